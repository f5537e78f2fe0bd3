"""Camunda's typed variables to flowdesk's JSON and back (api/camunda/variables.py)."""

import pytest

from flowdesk.api.camunda.variables import camunda_date, from_flowdesk, to_flowdesk
from flowdesk.engine.store.errors import InvalidInput


@pytest.mark.parametrize("typed, value", [
    ({"value": "a", "type": "String"}, "a"),
    ({"value": "true", "type": "Boolean"}, True),
    ({"value": 7, "type": "Short"}, 7),
    ({"value": "42", "type": "Integer"}, 42),
    ({"value": 2 ** 40, "type": "Long"}, 2 ** 40),
    ({"value": 1, "type": "Double"}, 1.0),
    ({"value": "2026-01-31T12:00:00.000+0100", "type": "Date"}, "2026-01-31T12:00:00+01:00"),
    ({"value": '{"a": [1]}', "type": "Json"}, {"a": [1]}),
    ({"value": '[1, 2]', "type": "Object", "valueInfo": {"serializationDataFormat": "application/json",
                                                         "objectTypeName": "java.util.ArrayList"}}, [1, 2]),
    ({"value": None, "type": "Null"}, None),
    ({"value": {"nested": True}}, {"nested": True}),
    ({"value": 3, "type": "integer"}, 3),
])
def test_typed_values_become_json(typed, value):
    assert to_flowdesk({"v": typed}) == {"v": value}


@pytest.mark.parametrize("typed", [
    {"value": 40000, "type": "Short"},
    {"value": 2 ** 31, "type": "Integer"},
    {"value": True, "type": "Integer"},
    {"value": "maybe", "type": "Boolean"},
    {"value": 5, "type": "String"},
    {"value": "{oops", "type": "Json"},
    {"value": "rO0AB", "type": "Object", "valueInfo": {"serializationDataFormat": "application/x-java-serialized-object"}},
    {"value": "AAEC", "type": "Bytes"},
    {"value": "yesterday", "type": "Date"},
    "not an object",
])
def test_values_that_do_not_fit_their_type_are_refused(typed):
    with pytest.raises(InvalidInput) as refused:
        to_flowdesk({"v": typed})
    assert "v" in refused.value.detail


def test_json_values_go_out_with_camunda_types():
    assert from_flowdesk({"s": "x", "b": False, "i": 5, "l": 2 ** 33, "d": 0.5, "n": None, "j": {"a": 1}}) == {
        "s": {"type": "String", "value": "x", "valueInfo": {}},
        "b": {"type": "Boolean", "value": False, "valueInfo": {}},
        "i": {"type": "Integer", "value": 5, "valueInfo": {}},
        "l": {"type": "Long", "value": 2 ** 33, "valueInfo": {}},
        "d": {"type": "Double", "value": 0.5, "valueInfo": {}},
        "n": {"type": "Null", "value": None, "valueInfo": {}},
        "j": {"type": "Json", "value": '{"a":1}', "valueInfo": {}},
    }


def test_names_keep_only_those_asked_for():
    assert from_flowdesk({"a": 1, "b": 2}, ["b", "missing"]) == {"b": {"type": "Integer", "value": 2, "valueInfo": {}}}


def test_dates_are_written_as_camunda_writes_them():
    from datetime import datetime, timezone
    assert camunda_date(datetime(2026, 1, 31, 12, 0, 5, 123456, tzinfo=timezone.utc)) == "2026-01-31T12:00:05.123+0000"
