"""Data stores in the bpmn layer: JSON stores read and written through the port the engine binds."""

import pytest

from flowdesk.bpmn import ExecutionError, ModelError, data_stores


class MemoryStores:
    """A port keeping the stores in a dict, as the database does per tenant."""

    def __init__(self, **values):
        self.values = dict(values)

    def read(self, name):
        return self.values.get(name)

    def write(self, name, value):
        self.values[name] = value


@pytest.fixture
def stores():
    port = MemoryStores()
    token = data_stores.bind(port)
    yield port
    data_stores.unbind(token)


def test_a_task_writes_the_store_named_by_the_data_store_id(run, stores):
    instance = run("exchange_rates.bpmn", process_id="publish_rates")

    instance.complete("enter_rates", exchange_rates={"EUR": 0.9})

    assert stores.values == {"exchange_rates": {"EUR": 0.9}}
    assert "exchange_rates" not in instance.execution.variables


def test_a_task_reads_the_store_into_its_data(run, stores):
    stores.values["exchange_rates"] = {"EUR": 0.5}

    instance = run("exchange_rates.bpmn", process_id="quote", price_usd=10)

    assert instance.waiting() == ["review_quote"]
    assert instance.execution.variables["price_eur"] == 5.0


def test_a_value_that_is_not_json_is_not_written(run, stores):
    instance = run("exchange_rates.bpmn", process_id="publish_rates")

    with pytest.raises(ExecutionError, match="JSON values only"):
        instance.complete("enter_rates", exchange_rates={"EUR": float("nan")})
    assert stores.values == {}


def test_without_a_bound_store_the_step_fails_naming_the_store(run):
    with pytest.raises(ExecutionError, match="data store 'exchange_rates' is not available"):
        run("exchange_rates.bpmn", process_id="quote", price_usd=10)


def test_a_spiffarena_json_data_store_reference_is_accepted(parse, bpmn):
    typed = bpmn("exchange_rates.bpmn").replace(b'dataStoreRef="exchange_rates" />',
                                                b'dataStoreRef="exchange_rates" type="json" />')

    assert sorted(p.process_id for p in parse("exchange_rates.bpmn", typed)) == ["publish_rates", "quote"]


def test_a_keyed_data_store_type_is_refused_naming_the_reference(parse, bpmn):
    typed = bpmn("exchange_rates.bpmn").replace(b'id="rates_read" name="Exchange rates" dataStoreRef="exchange_rates"',
                                                b'id="rates_read" name="Exchange rates" dataStoreRef="exchange_rates" '
                                                b'type="kkv"')

    with pytest.raises(ModelError) as error:
        parse("exchange_rates.bpmn", typed)

    [issue] = error.value.issues
    assert issue.element_id == "rates_read"
    assert "data store type 'kkv' is not supported" in issue.message
