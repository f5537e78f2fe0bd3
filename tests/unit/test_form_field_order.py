"""The order a ticket's form fields are shown in: the UI schema's ui:order wins over the modeler's."""

from flowdesk.engine.process.forms import field_order

SCHEMA = {"type": "object", "properties": {"name": {}, "email": {}, "age": {}, "notes": {}}}


def test_without_ui_schema_the_modelers_order():
    assert field_order(SCHEMA) == ["name", "email", "age", "notes"]


def test_ui_order_naming_every_field():
    assert field_order(SCHEMA, {"ui:order": ["notes", "age", "email", "name"]}) == ["notes", "age", "email", "name"]


def test_ui_order_naming_some_fields_puts_the_rest_after():
    assert field_order(SCHEMA, {"ui:order": ["age"]}) == ["age", "name", "email", "notes"]


def test_ui_order_star_stands_for_the_fields_it_does_not_name():
    assert field_order(SCHEMA, {"ui:order": ["email", "*", "name"]}) == ["email", "age", "notes", "name"]


def test_ui_order_ignores_names_the_schema_lacks():
    assert field_order(SCHEMA, {"ui:order": ["phone", "notes"]}) == ["notes", "name", "email", "age"]


def test_ui_order_that_is_not_a_list_is_ignored():
    assert field_order(SCHEMA, {"ui:order": "notes"}) == ["name", "email", "age", "notes"]
