"""The ``caseFields`` property: variable names with optional labels."""

import pytest

from flowdesk.bpmn import case_fields


def test_labels_are_given_or_made_from_the_name():
    assert case_fields.parse(" customer.full_name , amount:Amount (EUR),") == [
        {"name": "customer.full_name", "label": "Full name"}, {"name": "amount", "label": "Amount (EUR)"}]


def test_a_name_listed_twice_is_shown_once():
    assert case_fields.parse("amount, amount:Total") == [{"name": "amount", "label": "Amount"}]


@pytest.mark.parametrize("value", ["", " , ", "3rd", "amount, a-b:Label", ":Label"])
def test_a_list_without_proper_names_is_refused(value):
    assert case_fields.problem(value)


def test_a_dotted_name_reads_inside_objects_and_misses_quietly():
    data = {"customer": {"name": "Ada"}, "amount": 3}
    assert case_fields.value_at(data, "customer.name") == "Ada"
    assert case_fields.value_at(data, "customer.email") is None
    assert case_fields.value_at(data, "amount.value") is None
