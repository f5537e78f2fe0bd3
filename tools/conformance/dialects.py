"""What a model's editor dialect declares, for checking that it reaches the right place.

A file's dialect is the editor extensions it uses: Camunda 8 (the zeebe namespace), SpiffArena
(spiffworkflow extension elements), Camunda 7 (camunda attributes or elements), or plain BPMN.
The harness checks, while it drives the file, that each declared job type or topic is the
topic its external task is fetched by, that each connector became an HTTP call (a job), and
that each constant assignee and candidate group landed on the ticket.
"""

from __future__ import annotations

from lxml import etree

from .config import BPMN, CAMUNDA, SPIFF

ZEEBE = "http://camunda.org/schema/zeebe/1.0"
DIALECTS = ("Camunda 8", "SpiffArena", "Camunda 7", "plain BPMN")
HTTP = "an HTTP call"
_SPIFF_HTTP = ("http",) + tuple(f"http/{verb}Request{v}" for verb in ("Get", "Post", "Put", "Patch", "Delete")
                                for v in ("", "V2"))


def _namespaces_used(roots: list) -> set[str]:
    used = set()
    for root in roots:
        for el in root.iter():
            if isinstance(el.tag, str):
                used.add(etree.QName(el).namespace)
                used.update(etree.QName(name).namespace for name in el.attrib if name.startswith("{"))
    return used


def dialect(roots: list) -> str:
    used = _namespaces_used(roots)
    if ZEEBE in used:
        return "Camunda 8"
    if SPIFF in used:
        return "SpiffArena"
    if CAMUNDA in used:
        return "Camunda 7"
    return "plain BPMN"


def _static(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text or "${" in text or "#{" in text or text.startswith("="):
        return None
    return text


def _spiff_topic(task) -> str | None:
    for prop in task.iterfind(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property"):
        if prop.get("name") == "topic":
            return _static(prop.get("value"))
    return None


def declared_topics(roots: list) -> dict[str, str]:
    """element id -> the external task topic its model declares, or :data:`HTTP` for a connector."""
    found: dict[str, str] = {}
    for root in roots:
        for task in root.iter():
            if not isinstance(task.tag, str) or task.get("id") is None:
                continue
            definition = task.find(f"{{{BPMN}}}extensionElements/{{{ZEEBE}}}taskDefinition")
            if definition is not None and _static(definition.get("type")):
                found[task.get("id")] = definition.get("type").strip()
                continue
            operator = task.find(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}serviceTaskOperator")
            if operator is not None and operator.get("id") in _SPIFF_HTTP:
                found[task.get("id")] = HTTP
                continue
            if operator is not None and operator.get("id"):  # another connector: a worker of its name
                found[task.get("id")] = _spiff_topic(task) or operator.get("id")
                continue
            connector = (task.findtext(f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}connector/{{{CAMUNDA}}}connectorId")
                         or "").strip()
            if connector:
                found[task.get("id")] = HTTP if connector == "http-connector" else connector
                continue
            holder = task if task.get(f"{{{CAMUNDA}}}type") == "external" else None
            message = task.find(f"{{{BPMN}}}messageEventDefinition")
            if holder is None and message is not None and message.get(f"{{{CAMUNDA}}}type") == "external":
                holder = message
            if holder is not None and _static(holder.get(f"{{{CAMUNDA}}}topic")):
                found[task.get("id")] = holder.get(f"{{{CAMUNDA}}}topic").strip()
                continue
    return found


def _split(value: str | None) -> set[str]:
    text = _static(value)
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def declared_assignments(roots: list) -> dict[str, dict]:
    """element id -> the constant ``assignee``, ``candidate_groups`` and ``candidate_users`` of a user task."""
    found: dict[str, dict] = {}
    for root in roots:
        for task in root.iter(f"{{{BPMN}}}userTask"):
            zeebe = task.find(f"{{{BPMN}}}extensionElements/{{{ZEEBE}}}assignmentDefinition")
            source = (lambda name: zeebe.get(name)) if zeebe is not None else (
                lambda name: task.get(f"{{{CAMUNDA}}}{name}"))
            declared = {"assignee": _static(source("assignee")), "candidate_groups": _split(source("candidateGroups")),
                        "candidate_users": _split(source("candidateUsers"))}
            if declared["assignee"] or declared["candidate_groups"] or declared["candidate_users"]:
                found[task.get("id")] = declared
    return found


def assignment_problem(declared: dict, ticket: dict) -> str | None:
    """What of a task's declared assignment its ticket lacks (None when everything landed)."""
    missing = []
    if declared["assignee"] and ticket.get("assignee") != declared["assignee"]:
        missing.append(f"assignee '{declared['assignee']}' (ticket: {ticket.get('assignee')!r})")
    for key in ("candidate_groups", "candidate_users"):
        lacking = declared[key] - set(ticket.get(key) or [])
        if lacking:
            missing.append(f"{key} {sorted(lacking)} (ticket: {sorted(ticket.get(key) or [])})")
    return "; ".join(missing) or None
