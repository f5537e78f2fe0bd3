"""Call activities pass the variables their Camunda 7 or Camunda 8 model maps, not all of them."""

import pytest


def test_a_camunda_7_call_passes_nothing_but_its_in_mappings(run):
    instance = run("call_variable_mappings.bpmn", process_id="c7_caller", amount=5, secret="caller only")

    assert instance.task("a_inside").data == {"total": 5, "double": 10}


def test_a_camunda_8_call_passes_every_variable_and_its_inputs(run):
    instance = run("call_variable_mappings.bpmn", process_id="c8_caller", amount=5, secret="caller only")

    assert instance.task("a_inside").data == {"amount": 5, "secret": "caller only", "total": 5, "double": 10}


@pytest.mark.parametrize("caller", ["c7_caller", "c8_caller"])
def test_only_the_out_mappings_come_back(run, caller):
    instance = run("call_variable_mappings.bpmn", process_id=caller, amount=5, secret="caller only")
    instance.complete("a_inside")

    after = instance.task(f"{caller[:2]}_after").data

    assert after["outcome"] == 15
    assert after["secret"] == "caller only" and after["amount"] == 5
    assert "result" not in after and "scratch" not in after
