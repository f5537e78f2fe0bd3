"""Reading untrusted XML: a hardened lxml parser and the checks that go with it."""

from __future__ import annotations

from lxml import etree

from .errors import XmlRefused

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NAMESPACES = {"camunda": CAMUNDA_NS, "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20151101",  # DMN 1.1 as some tools write it, without /dmn.xsd
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)


def _parser() -> etree.XMLParser:
    # No entity expansion, no DTD loading, no network, no huge trees: an upload is data,
    # never a reason for the parser to fetch or expand anything.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_xml(content: bytes, filename: str | None = None, max_bytes: int = 2 * 1024 * 1024):
    """Parse ``content`` into an element tree, refusing anything with a DOCTYPE or entities."""
    if len(content) > max_bytes:
        raise XmlRefused(f"file is larger than {max_bytes} bytes", filename, too_large=True)
    if not content.strip():
        raise XmlRefused("file is empty", filename)
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"not well-formed XML: {exc}", filename) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlRefused("a DOCTYPE declaration is not allowed", filename)
    for node in root.iter(etree.Entity):
        raise XmlRefused(f"entity reference &{node.name}; is not allowed", filename)
    return root


def document_kind(root) -> str:
    """``bpmn``, ``dmn`` or ``unknown``, from the root element's namespace."""
    qname = etree.QName(root)
    if qname.namespace == BPMN_NS and qname.localname == "definitions":
        return "bpmn"
    if qname.namespace in DMN_NAMESPACES and qname.localname == "definitions":
        return "dmn"
    return "unknown"


def give_sequence_flows_ids(root) -> None:
    """Give every ``sequenceFlow`` without an ``id`` a stable one.

    The schema allows flows without ids (Camunda exports have them) but SpiffWorkflow then
    connects nothing and reports the process finished right after its start event.
    """
    for n, flow in enumerate(root.iter(f"{{{BPMN_NS}}}sequenceFlow")):
        if not flow.get("id"):
            flow.set("id", f"flowdesk_flow_{flow.get('sourceRef')}_{flow.get('targetRef')}_{n}")


def drop_comments(root) -> None:
    """Remove XML comments and processing instructions, keeping the text around them.

    Parsers read an element's text up to its first child node: a comment inside a script or
    condition silently cut off everything after it.
    """
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        parent = node.getparent()
        if parent is None:
            continue
        tail = node.tail or ""
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(node)
