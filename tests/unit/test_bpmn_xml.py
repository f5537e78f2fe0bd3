"""parse_xml: uploads are data; anything that asks the parser to fetch or expand is refused."""

import pytest

from flowdesk.bpmn import XmlRefused
from flowdesk.bpmn.xml import document_kind, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""


def test_accepts_a_normal_bpmn_file(bpmn):
    root = parse_xml(bpmn("simple_user_task.bpmn"), "simple_user_task.bpmn")

    assert document_kind(root) == "bpmn"


def test_refuses_internal_entities_billion_laughs():
    with pytest.raises(XmlRefused, match="DOCTYPE"):
        parse_xml(BILLION_LAUGHS, "lolz.bpmn")


def test_refuses_external_entity_without_reading_the_file():
    with pytest.raises(XmlRefused) as refused:
        parse_xml(XXE, "xxe.bpmn")

    assert "DOCTYPE" in refused.value.message
    assert "root:" not in str(refused.value)


def test_refuses_parameter_entities():
    with pytest.raises(XmlRefused, match="DOCTYPE"):
        parse_xml(PARAMETER_ENTITY, "param.bpmn")


def test_refuses_a_bare_doctype():
    with pytest.raises(XmlRefused, match="DOCTYPE"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE definitions><definitions/>')


def test_refuses_an_undeclared_entity_reference():
    with pytest.raises(XmlRefused, match="not well-formed"):
        parse_xml(b"<definitions>&secret;</definitions>")


def test_refuses_malformed_xml_and_names_the_file():
    with pytest.raises(XmlRefused, match="not well-formed") as refused:
        parse_xml(b"<definitions><process></definitions>", "broken.bpmn")

    assert refused.value.filename == "broken.bpmn"
    assert not refused.value.too_large


@pytest.mark.parametrize("content", [b"", b"  \n\t "])
def test_refuses_an_empty_file(content):
    with pytest.raises(XmlRefused, match="empty"):
        parse_xml(content, "empty.bpmn")


def test_refuses_a_file_over_the_size_limit_as_too_large(bpmn):
    content = bpmn("simple_user_task.bpmn")

    with pytest.raises(XmlRefused) as refused:
        parse_xml(content, "big.bpmn", max_bytes=len(content) - 1)

    assert refused.value.too_large
    assert refused.value.filename == "big.bpmn"


def test_accepts_a_file_exactly_at_the_size_limit(bpmn):
    content = bpmn("simple_user_task.bpmn")

    assert parse_xml(content, max_bytes=len(content)) is not None


def test_document_kind_is_unknown_for_other_xml():
    assert document_kind(parse_xml(b'<note xmlns="urn:example:notes"/>')) == "unknown"
