"""Uploaded files in, runnable process specs out: parsing and validation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity as CallActivityMixin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import camunda7, events, model_checks, preprocess, serializer, ticket_properties, timers, zeebe
from .errors import ModelError, ModelIssue, XmlRefused
from .form_files import named_form_files
from .human_task_parser import camunda_form_fields
from .parser import FlowdeskParser
from .xml import BPMN_NS, CAMUNDA_NS, NAMESPACES, document_kind, drop_comments, give_sequence_flows_ids, parse_xml

SPIFF_NS = NAMESPACES["spiffworkflow"]


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

    def message_start_names(self) -> list[str]:
        """Messages that start this process (message start events)."""
        return events.message_start_names(self.spec)

    def signal_start_names(self) -> list[str]:
        """Signals that start this process (signal start events)."""
        return events.signal_start_names(self.spec)

    def called_process_ids(self) -> set[str]:
        """Processes its call activities call that this spec does not carry (deployed apart)."""
        missing = set()
        for spec in (self.spec, *self.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if isinstance(task_spec, CallActivityMixin) and task_spec.spec not in self.subprocess_specs:
                    missing.add(task_spec.spec)
        return missing

    def with_called(self, called: dict[str, "ProcessSpec"]) -> "ProcessSpec":
        """This spec plus the specs of separately deployed processes its call activities call."""
        merged = dict(self.subprocess_specs)
        for process_id, process in called.items():
            merged.setdefault(process_id, process.spec)
            for name, sub in process.subprocess_specs.items():
                merged.setdefault(name, sub)
        return ProcessSpec(self.process_id, self.spec, merged)

    def timer_starts(self) -> list:
        """Timer start events: when the scheduler should create instances."""
        return timers.timer_starts(self.spec)


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
    # Processes called but not in this upload -> the version pinned in the model (or None: latest).
    external_calls: dict[str, int | None] = field(default_factory=dict)
    # Days the history of its instances is kept (process property ``retention_days``); None: the global setting.
    retention_days: int | None = None
    # (element id, line, file name) of every form schema file its human tasks name.
    form_files: list[tuple[str, int | None, str]] = field(default_factory=list)
    # The camunda:formData fields of its plain start event: what a person fills in to start it.
    start_form: list[dict] = field(default_factory=list)


def _subprocess_specs(parser, process_id: str) -> tuple[dict, set[str]]:
    """Specs of everything ``process_id`` calls that this upload has, and the ids it lacks."""
    found: dict = {}
    missing: set[str] = set()
    pending = [parser.get_spec(process_id)]
    while pending:
        for task_spec in pending.pop().task_specs.values():
            if not isinstance(task_spec, SubWorkflowTaskMixin) or task_spec.spec in found or task_spec.spec in missing:
                continue
            sub = parser.get_spec(task_spec.spec, required=False)
            if sub is None:
                missing.add(task_spec.spec)
            else:
                found[task_spec.spec] = sub
                pending.append(sub)
    return found, missing


def _pinned_versions(node) -> dict[str, int]:
    """``camunda:calledElementBinding="version"`` pins a call activity to one deployed version."""
    pinned = {}
    for call in node.iter(f"{{{BPMN_NS}}}callActivity"):
        version = call.get(f"{{{CAMUNDA_NS}}}calledElementVersion")
        if call.get(f"{{{CAMUNDA_NS}}}calledElementBinding") == "version" and version and version.isdigit():
            pinned[call.get("calledElement")] = int(version)
    return pinned


def retention_days(node, filename: str) -> int | None:
    """The ``retention_days`` extension property of a ``bpmn:process`` (camunda or spiffworkflow).

    Raises :class:`ModelError` when it is not a whole number of days.
    """
    for ns in (CAMUNDA_NS, SPIFF_NS):
        found = node.xpath("./bpmn:extensionElements/x:properties/x:property[@name='retention_days']",
                           namespaces={"bpmn": BPMN_NS, "x": ns})
        if found:
            value = (found[0].get("value") or "").strip()
            if not value.isdigit() or int(value) > 36500:
                raise ModelError([ModelIssue(filename, found[0].sourceline, node.get("id"),
                                             f"retention_days must be a whole number of days, not '{value}'")])
            return int(value)
    return None


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


def _start_form(process) -> list[dict]:
    """The form fields of the process's first plain (no event definition) start event with any."""
    ns = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
    for start in process.xpath("./bpmn:startEvent", namespaces=ns):
        if any(isinstance(child.tag, str) and child.tag.endswith("EventDefinition") for child in start):
            continue
        fields = camunda_form_fields(start, ns)
        if fields:
            return fields
    return []


def _unseen(found: list[ModelIssue], more: list[ModelIssue], by_line: bool = False) -> list[ModelIssue]:
    """The issues of ``more`` about an element (``by_line``: an element's line) none of ``found``
    names: what one check refused is not reported again by the next."""
    def where(issue):
        return (issue.element_id, issue.line) if by_line else issue.element_id
    seen = {where(issue) for issue in found}
    return [issue for issue in more if where(issue) not in seen]


def _parser_issues(root, filename: str, roots: dict) -> list[ModelIssue]:
    """What SpiffWorkflow's parser refuses in ``root``: its first complaint about each process."""
    parser, issues = FlowdeskParser(), []
    try:
        parser.add_bpmn_xml(root, filename)
        for node in root.iter(f"{{{BPMN_NS}}}process"):
            if node.get("isExecutable", "true").lower() != "true":
                continue
            try:
                parser.get_spec(node.get("id"))
            except ValidationException as exc:
                issues.append(_issue_from(exc, roots))
    except ValidationException as exc:
        issues.append(_issue_from(exc, roots))
    except Exception:  # noqa: BLE001 - a model refused already may trip the parser anywhere; its issues stand
        pass
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
    refused: set[str] = set()  # files with issues: their processes are not built
    for filename, content in files:
        root = parse_xml(content, filename, max_bytes)
        drop_comments(root)
        kind = document_kind(root)
        roots[filename], sources[filename] = root, content
        try:
            if kind == "bpmn":
                give_sequence_flows_ids(root)
                preprocess.resolve_qualified_references(root)
                preprocess.rename_reserved_ids(root)
                found = [ModelIssue(filename, node.sourceline, node.get("id"), problem)
                         for node, problem in preprocess.event_definition_ref_problems(root)]
                found += model_checks.check_references(root, filename)
                # A broken graph misleads the parser: then its complaints would only confuse.
                graph_broken = bool(found)
                found += zeebe.rewrite(root, filename)
                found += camunda7.rewrite(root, filename)
                found += model_checks.check_script_languages(root, filename)
                found += model_checks.check_listeners(root, filename)
                found += model_checks.check_compensation(root, filename)
                found += model_checks.check_data_store_types(root, filename)
                found += model_checks.translate_expressions(root, filename)
                found += model_checks.check_scripts(root, filename)
                # Every stage speaks: a bad script must not hide a bad property of the same file.
                found += _unseen(found, ticket_properties.check(root, filename), by_line=True)
                if found:
                    issues.extend(found)
                    if not graph_broken:  # what the parser says of it too (its specs are not kept)
                        issues.extend(_unseen(found, _parser_issues(root, filename, roots)))
                    refused.add(filename)
                    continue
                parser.add_bpmn_xml(root, filename)
            elif kind == "dmn":
                parser.add_dmn_xml(root, filename)
            else:
                raise XmlRefused(f"not a BPMN or DMN document (root element {root.tag})", filename)
        except ValidationException as exc:
            issues.append(_issue_from(exc, roots))
            refused.add(filename)
        except SpiffWorkflowException as exc:
            issues.append(ModelIssue(filename, None, None, str(exc)))
            refused.add(filename)
    # The files that parsed are built even when others were refused: one answer lists every issue.
    processes = []
    for filename, root in roots.items():
        if document_kind(root) != "bpmn" or filename in refused:
            continue
        for node in root.iter(f"{{{BPMN_NS}}}process"):
            if node.get("isExecutable", "true").lower() != "true":
                continue
            process_id = node.get("id")
            try:
                spec = parser.get_spec(process_id)
                subprocess_specs, missing = _subprocess_specs(parser, process_id)
                spec_dict = serializer.spec_to_dict(spec, subprocess_specs)
            except ValidationException as exc:
                issues.append(_issue_from(exc, roots))
                continue
            except (SpiffWorkflowException, KeyError, TypeError, ValueError) as exc:
                issues.append(ModelIssue(filename, node.sourceline, process_id, f"{type(exc).__name__}: {exc}"))
                continue
            try:
                retention = retention_days(node, filename)
            except ModelError as exc:
                issues.extend(exc.issues)
                continue
            start_form = _start_form(node)
            canonical = json.dumps(_without_file_names(spec_dict), sort_keys=True, default=str).encode()
            if start_form:  # a changed start form is a new version; models without one keep their hash
                canonical += f"|start_form={json.dumps(start_form, sort_keys=True)}".encode()
            if retention is not None:  # a changed retention is a new version; models without one keep their hash
                canonical += f"|retention_days={retention}".encode()
            processes.append(ParsedProcess(
                process_id=process_id,
                name=node.get("name") or process_id,
                filename=filename,
                source=sources[filename],
                spec_dict=spec_dict,
                content_hash=hashlib.sha256(canonical).hexdigest(),
                element_ids=[el.get("id") for el in node.iter() if isinstance(el.tag, str) and el.get("id")],
                external_calls={called: _pinned_versions(node).get(called) for called in sorted(missing)},
                retention_days=retention,
                form_files=named_form_files(node),
                start_form=start_form,
            ))
    if issues:
        raise ModelError(issues)
    if not processes:
        if roots and all(document_kind(root) == "dmn" for root in roots.values()):
            raise ModelError([ModelIssue(next(iter(roots)), None, None,
                                         "a DMN file is deployed together with the BPMN file whose business rule "
                                         "tasks use its decisions (decisions are not stored on their own): upload "
                                         "both in one request")])
        raise ModelError([ModelIssue(None, None, None, "the upload defines no executable process")])
    return processes
