"""Camunda Forms (form-js JSON embedded in Camunda 8 models) become the ticket's JSON schema."""

import pytest

from flowdesk.bpmn.camunda_forms import FormNotSupported, to_json_schema


def form(*components):
    return {"components": list(components), "type": "default", "schemaVersion": 16}


def test_input_fields_become_properties_with_their_constraints():
    schema = to_json_schema(form(
        {"type": "text", "text": "# Heading", "id": "t"},
        {"type": "textfield", "key": "email", "label": "E-mail", "id": "a",
         "validate": {"required": True, "validationType": "email", "maxLength": 80}},
        {"type": "textarea", "key": "comment", "id": "b", "validate": {"minLength": 3, "pattern": "^[a-z ]+$"}},
        {"type": "number", "key": "age", "label": "Age", "id": "c", "decimalDigits": 0,
         "validate": {"min": 18, "max": 120}},
        {"type": "checkbox", "key": "agreed", "id": "d", "defaultValue": False},
        {"type": "radio", "key": "size", "id": "e", "values": [{"label": "S", "value": "s"}, {"label": "L", "value": "l"}]},
        {"type": "checklist", "key": "extras", "id": "f", "values": [{"label": "Gift", "value": "gift"}]},
        {"type": "taglist", "key": "labels", "id": "g"},
        {"type": "datetime", "key": "when", "id": "h"},
        {"type": "button", "action": "submit", "id": "i"},
    ))

    assert schema == {
        "type": "object",
        "additionalProperties": False,
        "required": ["email"],
        "properties": {
            "email": {"type": "string", "title": "E-mail", "maxLength": 80, "format": "email"},
            "comment": {"type": "string", "minLength": 3, "pattern": "^[a-z ]+$"},
            "age": {"type": "integer", "title": "Age", "minimum": 18, "maximum": 120},
            "agreed": {"type": "boolean", "default": False},
            "size": {"enum": ["s", "l"]},
            "extras": {"type": "array", "items": {"enum": ["gift"]}},
            "labels": {"type": "array", "items": {"type": "string"}},
            "when": {"type": "string"},
        },
    }


def test_fields_in_a_group_without_a_path_are_top_level_fields():
    schema = to_json_schema(form({"type": "group", "id": "g", "components": [
        {"type": "textfield", "key": "street", "id": "s"}]}))

    assert list(schema["properties"]) == ["street"]


@pytest.mark.parametrize(("component", "says"), [
    ({"type": "signature", "key": "sig", "id": "x"}, "component type 'signature' is not supported"),
    ({"type": "textfield", "key": "address.street", "id": "x"}, "needs a key that is a variable name"),
    ({"type": "dynamiclist", "path": "rows", "id": "x", "components": []}, "'x' (dynamiclist with a path)"),
])
def test_what_a_schema_cannot_say_is_refused(component, says):
    with pytest.raises(FormNotSupported) as refused:
        to_json_schema(form(component))

    assert says in str(refused.value)
