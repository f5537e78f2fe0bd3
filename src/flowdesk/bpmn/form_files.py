"""The JSON form files a model's human tasks name, so a deploy can insist they come with it."""

from __future__ import annotations

from .xml import BPMN_NS, NAMESPACES

_FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
_NS = {**NAMESPACES, "bpmn": BPMN_NS}


def named_form_files(process) -> list[tuple[str, int | None, str]]:
    """(element id, line, file name) of each form file named under ``process``'s elements: the
    spiffworkflow element form and the property form the SpiffArena editor writes."""
    found = []
    for name in _FORM_PROPERTIES:
        for node in process.xpath(
                f".//spiffworkflow:{name} | .//spiffworkflow:property[@name='{name}']", namespaces=_NS):
            value = (node.get("value") if node.tag.endswith("property") else node.text) or ""
            owner = node.xpath("ancestor::*[@id][1]")
            if value.strip() and owner:
                found.append((owner[0].get("id"), node.sourceline, value.strip()))
    return found
