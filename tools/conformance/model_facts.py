"""What the harness reads from the model itself: how processes start and end, the companion
files they call, and the data a person or system would give them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .config import BPMN, CAMUNDA, SPIFF, START_TIME
from .manifest import Entry

def read_xml(path: Path):
    try:
        return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (etree.XMLSyntaxError, OSError):
        return None


def _q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


@dataclass
class ProcessInfo:
    """What a process's XML says about how it starts and ends."""

    process_id: str
    starts: list[tuple[str, str | None]] = field(default_factory=list)  # (kind, message/signal name)
    top_level_ends: set[str] = field(default_factory=set)

    @property
    def plain_start(self) -> bool:
        return not self.starts or any(kind == "none" for kind, _ in self.starts)


def _event_name(root, definition, ref_attr: str, tag: str) -> str | None:
    ref = definition.get(ref_attr)
    if not ref:
        return None
    ref = ref.split(":")[-1]
    for node in root.iter(_q(tag)):
        if node.get("id") == ref:
            return node.get("name") or ref
    return ref


def processes_of(root) -> list[ProcessInfo]:
    """Executable processes of a BPMN document with their start events and top-level end events."""
    found = []
    for process in root.iter(_q("process")):
        if process.get("isExecutable", "true").lower() != "true":
            continue
        info = ProcessInfo(process.get("id"))
        for start in process.findall(_q("startEvent")):
            if start.find(_q("messageEventDefinition")) is not None:
                info.starts.append(("message", _event_name(root, start.find(_q("messageEventDefinition")),
                                                           "messageRef", "message")))
            elif start.find(_q("signalEventDefinition")) is not None:
                info.starts.append(("signal", _event_name(root, start.find(_q("signalEventDefinition")),
                                                          "signalRef", "signal")))
            elif start.find(_q("timerEventDefinition")) is not None:
                info.starts.append(("timer", None))
            elif start.find(_q("conditionalEventDefinition")) is not None:
                info.starts.append(("conditional", None))
            else:
                info.starts.append(("none", None))
        # An end event ends the process at the top level or in an event subprocess (which ends it too).
        holders = [process] + [sp for sp in process.findall(_q("subProcess")) if sp.get("triggeredByEvent") == "true"]
        for holder in holders:
            info.top_level_ends |= {e.get("id") for e in holder.findall(_q("endEvent"))}
        found.append(info)
    return found


def _ids_defined(path: Path) -> set[str]:
    """Process ids (BPMN) and decision ids (DMN) a file defines, so callers can find it."""
    root = read_xml(path)
    if root is None:
        return set()
    ids = {p.get("id") for p in root.iter(_q("process"))}
    ids |= {d.get("id") for d in root.iter() if isinstance(d.tag, str) and etree.QName(d).localname == "decision"}
    return {i for i in ids if i}


def _ids_called(root) -> set[str]:
    """Decision ids business rule tasks call and process ids call activities call."""
    called = set()
    for task in root.iter(_q("businessRuleTask")):
        if task.get(f"{{{CAMUNDA}}}decisionRef"):
            called.add(task.get(f"{{{CAMUNDA}}}decisionRef"))
        for node in task.iter(f"{{{SPIFF}}}calledDecisionId"):
            if node.text:
                called.add(node.text.strip())
    for call in root.iter(_q("callActivity")):
        if call.get("calledElement"):
            called.add(call.get("calledElement"))
    return called


def companions_of(entry: Entry, corpus: Path) -> list[str]:
    """Corpus paths to deploy with ``entry``: what its notes name, plus files in the same folder
    that define a decision or process it calls (followed transitively)."""
    folder = corpus / entry.folder
    prefix = f"{entry.folder}/" if entry.folder else ""
    wanted = [prefix + name for name in entry.companions if (folder / name).is_file()]
    defined = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".bpmn", ".dmn", ".xml") and path.is_file():
            for ident in _ids_defined(path):
                defined.setdefault(ident, prefix + path.name)
    queue = [entry.file, *wanted]
    seen = set(queue)
    while queue:
        root = read_xml(corpus / queue.pop())
        if root is None:
            continue
        for ident in sorted(_ids_called(root)):
            other = defined.get(ident)
            if other and other not in seen:
                seen.add(other)
                wanted.append(other)
                queue.append(other)
    return [name for name in wanted if name != entry.file]


_FORM_PROPERTIES = {"formJsonSchemaFilename": "schema", "formUiSchemaFilename": "ui"}


def form_files(roots: list) -> dict[str, str]:
    """The form files the models' tasks name (element or SpiffArena property form) -> "schema" or "ui"."""
    named: dict[str, str] = {}
    for root in roots:
        for node in root.iter(f"{{{SPIFF}}}property", *(f"{{{SPIFF}}}{name}" for name in _FORM_PROPERTIES)):
            local = etree.QName(node).localname
            kind = _FORM_PROPERTIES.get(node.get("name") if local == "property" else local)
            value = ((node.get("value") if local == "property" else node.text) or "").strip()
            if kind and value:
                named.setdefault(value, kind)
    return named


# name, operator, then a 'string', "string", number or boolean literal.
_COMPARISON = re.compile(
    r"""([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<|\beq\b)\s*"""
    r"""(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(true|false|True|False))""")
_BARE = re.compile(r"^\s*[$#]?\{?\s*!?\s*(?:not\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\}?\s*$")


def _add(hints: dict, name: str, *values) -> None:
    known = hints.setdefault(name, [])
    for value in values:
        if value not in known:
            known.append(value)


def condition_hints(roots: list) -> dict[str, list]:
    """Values the conditions obviously compare a variable with, in the order they appear.

    ``${approved == 'true'}`` needs approved='true', ``amount > 1000`` 1001 (or 1000 for the
    other branch), a bare ``${approved}`` True (or False). The first value starts the instance;
    the next ones are used when the same task comes round again, so a loop takes its exit.
    """
    hints: dict[str, list] = {}
    for root in roots:
        for node in root.iter(_q("conditionExpression"), _q("condition")):
            text = (node.text or "").strip()
            bare = _BARE.match(text)
            if bare and bare.group(1) not in ("true", "false", "True", "False"):
                _add(hints, bare.group(1), True, False)
                continue
            for name, op, single, double, number, boolean in _COMPARISON.findall(text):
                if name in ("true", "false", "True", "False", "and", "or", "not"):
                    continue
                if number:
                    n = float(number) if "." in number else int(number)
                    _add(hints, name, *{">": (n + 1, n), ">=": (n, n - 1), "<": (n - 1, n),
                                        "<=": (n, n + 1), "!=": (n + 1, n)}.get(op, (n, n + 1)))
                elif boolean:
                    flag = boolean.lower() == "true"
                    _add(hints, name, flag, not flag)
                else:
                    _add(hints, name, single or double)
        _add_decision_hints(root, hints)
    return hints


def _add_decision_hints(root, hints: dict) -> None:
    """A decision table's input column that reads a plain variable: the literals its rules test."""
    for table in root.iter():
        if not isinstance(table.tag, str) or etree.QName(table).localname != "decisionTable":
            continue
        columns = []
        for child in table:
            if isinstance(child.tag, str) and etree.QName(child).localname == "input":
                text = "".join(child.itertext()).strip()
                columns.append(text if text.isidentifier() else None)
        for rule in (r for r in table if isinstance(r.tag, str) and etree.QName(r).localname == "rule"):
            entries = [e for e in rule if isinstance(e.tag, str) and etree.QName(e).localname == "inputEntry"]
            for name, entry in zip(columns, entries):
                literal = re.fullmatch(r"""\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?))\s*""", "".join(entry.itertext()))
                if name and literal:
                    text, other, number = literal.groups()
                    if number is not None:
                        _add(hints, name, float(number) if "." in number else int(number))
                    else:
                        _add(hints, name, text if text is not None else other)


def task_outputs(roots: list) -> dict[str, list[str]]:
    """Data objects each human task writes (dataOutputAssociation) and multi-instance output items:
    its completion must set them."""
    outputs: dict[str, list[str]] = {}
    for root in roots:
        refs = {r.get("id"): r.get("dataObjectRef") for r in root.iter(_q("dataObjectReference"))}
        for tag in ("userTask", "manualTask"):
            for task in root.iter(_q(tag)):
                for target in task.findall(f"{_q('dataOutputAssociation')}/{_q('targetRef')}"):
                    name = refs.get((target.text or "").strip())
                    if name:
                        outputs.setdefault(task.get("id"), []).append(name)
        # Each instance of a multi-instance task hands back its output item.
        for item in root.iter(_q("outputDataItem")):
            task = item.getparent().getparent()
            if item.get("id") and task.get("id"):
                outputs.setdefault(task.get("id"), []).append(item.get("id"))
    return outputs


_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
# How a script or expression uses a variable tells the kind of value a person or system would give.
_USES = [
    (re.compile(_NAME + r"\.(?:upper|lower|strip|split|startswith|endswith|replace|title|format)\("), "text"),
    (re.compile(_NAME + r"\s*\+\s*['\"]"), "text"),
    (re.compile(r"['\"]\s*\+\s*" + _NAME + r"\b"), "text"),
    (re.compile(r"\blen\(\s*" + _NAME + r"\s*\)"), "list"),
    (re.compile(r"\bfor\s+\w+\s+in\s+" + _NAME + r"\b"), "list"),
    (re.compile(_NAME + r"\[\s*['\"]"), "record"),
]
_KEY = re.compile(_NAME + r"""\[\s*['"]([^'"]+)['"]\s*\]""")
_TIMER_VALUE = {"timeDate": START_TIME.isoformat(), "timeDuration": "PT1M", "timeCycle": "R1/PT1M"}


def _script_texts(roots: list) -> list[str]:
    """Scripts, pre/post scripts, conditions and parameter values: the code that reads variables."""
    texts = []
    for root in roots:
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            name = etree.QName(node).localname
            if name in ("script", "preScript", "postScript", "conditionExpression", "condition") and node.text:
                texts.append(node.text)
            elif name == "parameter" and node.get("value"):
                texts.append(node.get("value"))
    return texts


def start_values(roots: list) -> dict:
    """Variables the model needs before it can run: what a timer's ``${name}`` names (an ISO
    date, duration or cycle) and a multi-instance task's ``loopDataInputRef`` collection (two
    items). The caller that starts such a process provides them."""
    values: dict = {}
    for root in roots:
        for definition in root.iter(_q("timerEventDefinition")):
            for child in definition:
                kind = etree.QName(child).localname if isinstance(child.tag, str) else ""
                match = re.fullmatch(r"[$#]\{\s*" + _NAME + r"\s*\}", (child.text or "").strip())
                if match and kind in _TIMER_VALUE:
                    values[match.group(1)] = _TIMER_VALUE[kind]
        for ref in root.iter(_q("loopDataInputRef")):
            if (ref.text or "").strip().isidentifier():
                values[ref.text.strip()] = ["1", "2"]
    return values


def called_names(roots: list) -> set[str]:
    """Names the scripts call as functions (``get_current_user()``): no seeded value can stand in."""
    pattern = re.compile(r"(?<![.\w])" + _NAME + r"\s*\(")
    return {name for text in _script_texts(roots) for name in pattern.findall(text)}


def typed_values(roots: list) -> dict:
    """A value of the right kind for variables the scripts read but nothing in the corpus sets.

    One a script calls string methods on (or adds to a string) gets a numeric string; one it
    takes ``len`` of or loops over a one-item list; one it indexes with a key a record with
    those keys (numeric strings again). Used instead of ``True`` when such a variable must be
    seeded (the manifest's own run seeded it, or a NameError names it).
    """
    values: dict = {}
    texts = _script_texts(roots)
    for text in texts:
        for pattern, kind in _USES:
            for name in pattern.findall(text):
                if name in values:
                    continue
                if kind == "text":
                    values[name] = "1"
                elif kind == "list":
                    values[name] = ["1"]
                else:
                    keys = [key for var, key in _KEY.findall(" ".join(texts)) if var == name]
                    values[name] = {key: "1" for key in keys}
    return values

