"""Uploaded files in, runnable process specs out: parsing and validation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import script_engine, serializer
from .errors import ModelError, ModelIssue, XmlRefused
from .parser import FlowdeskParser
from .xml import BPMN_NS, document_kind, give_sequence_flows_ids, parse_xml


@dataclass
class ProcessSpec:
    """A parsed process and the subprocesses it calls: what an instance runs against."""

    process_id: str
    spec: object
    subprocess_specs: dict

    @classmethod
    def from_dict(cls, process_id: str, dct: dict) -> "ProcessSpec":
        spec, subprocess_specs = serializer.spec_from_dict(dct)
        return cls(process_id, spec, subprocess_specs)

    def to_dict(self) -> dict:
        return serializer.spec_to_dict(self.spec, self.subprocess_specs)


@dataclass
class ParsedProcess:
    """One executable process found in an upload."""

    process_id: str
    name: str
    filename: str
    source: bytes
    spec_dict: dict
    content_hash: str
    element_ids: list[str] = field(default_factory=list)


def _line_of(roots: dict, filename: str | None, element_id: str | None) -> int | None:
    root = roots.get(filename)
    if root is None or not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def _issue_from(exc: ValidationException, roots: dict) -> ModelIssue:
    line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number else None
    element_id = exc.id or None
    filename = exc.file_name or None
    if line is None:
        line = _line_of(roots, filename, element_id)
    message = str(exc.args[0]) if exc.args else str(exc)
    return ModelIssue(filename, line, element_id, message)


def _check_references(root, filename: str) -> list[ModelIssue]:
    """Sequence flows must connect elements that exist (SpiffWorkflow's message is obscure)."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    issues = []
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for attribute in ("sourceRef", "targetRef"):
            ref = flow.get(attribute)
            if ref not in ids:
                issues.append(ModelIssue(filename, flow.sourceline, flow.get("id"),
                                         f"sequence flow '{flow.get('id')}' has {attribute} '{ref}', "
                                         "which is not an element of this file"))
    return issues


def _check_scripts(root, filename: str) -> list[ModelIssue]:
    """Refuse at deploy time any script or condition the restricted compiler will not run."""
    issues = []
    targets = [(el, "exec") for el in root.iter(f"{{{BPMN_NS}}}script")]
    targets += [(el, "eval") for el in root.iter(f"{{{BPMN_NS}}}conditionExpression")]
    for el, mode in targets:
        code = (el.text or "").strip()
        if not code:
            continue
        try:
            script_engine.check(code, mode)
        except SyntaxError as exc:
            owner = el.getparent()
            issues.append(ModelIssue(filename, el.sourceline, owner.get("id"), f"refused {'script' if mode == 'exec' else 'condition'}: {exc}"))
    return issues


def _without_file_names(value):
    """The spec minus file names, so re-uploading a model under another name is no change."""
    if isinstance(value, dict):
        return {k: _without_file_names(v) for k, v in value.items() if k != "file"}
    if isinstance(value, list):
        return [_without_file_names(v) for v in value]
    return value


def parse_models(files: list[tuple[str, bytes]], max_bytes: int = 2 * 1024 * 1024) -> list[ParsedProcess]:
    """Parse and validate BPMN/DMN uploads; return every executable process they define.

    Raises :class:`XmlRefused` for bytes that are not acceptable XML and :class:`ModelError`
    (with every issue found) for XML that is not a runnable model.
    """
    parser = FlowdeskParser()
    roots: dict[str, object] = {}
    sources: dict[str, bytes] = {}
    issues: list[ModelIssue] = []
    for filename, content in files:
        root = parse_xml(content, filename, max_bytes)
        kind = document_kind(root)
        roots[filename], sources[filename] = root, content
        try:
            if kind == "bpmn":
                give_sequence_flows_ids(root)
                found = _check_references(root, filename) + _check_scripts(root, filename)
                if found:
                    issues.extend(found)
                    continue
                parser.add_bpmn_xml(root, filename)
            elif kind == "dmn":
                parser.add_dmn_xml(root, filename)
            else:
                raise XmlRefused(f"not a BPMN or DMN document (root element {root.tag})", filename)
        except ValidationException as exc:
            issues.append(_issue_from(exc, roots))
        except SpiffWorkflowException as exc:
            issues.append(ModelIssue(filename, None, None, str(exc)))
    if issues:
        raise ModelError(issues)

    processes = []
    for filename, root in roots.items():
        if document_kind(root) != "bpmn":
            continue
        for node in root.iter(f"{{{BPMN_NS}}}process"):
            if node.get("isExecutable", "true").lower() != "true":
                continue
            process_id = node.get("id")
            try:
                spec = parser.get_spec(process_id)
                subprocess_specs = parser.get_subprocess_specs(process_id)
                spec_dict = serializer.spec_to_dict(spec, subprocess_specs)
            except ValidationException as exc:
                issues.append(_issue_from(exc, roots))
                continue
            except (SpiffWorkflowException, KeyError, TypeError, ValueError) as exc:
                issues.append(ModelIssue(filename, node.sourceline, process_id, f"{type(exc).__name__}: {exc}"))
                continue
            canonical = json.dumps(_without_file_names(spec_dict), sort_keys=True, default=str).encode()
            processes.append(ParsedProcess(
                process_id=process_id,
                name=node.get("name") or process_id,
                filename=filename,
                source=sources[filename],
                spec_dict=spec_dict,
                content_hash=hashlib.sha256(canonical).hexdigest(),
                element_ids=[el.get("id") for el in node.iter() if isinstance(el.tag, str) and el.get("id")],
            ))
    if issues:
        raise ModelError(issues)
    if not processes:
        raise ModelError([ModelIssue(None, None, None, "the upload defines no executable process")])
    return processes
