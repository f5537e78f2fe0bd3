"""FEEL dates, times and durations: compared and computed while an expression runs, kept in
variables as ISO 8601 text, constants checked and the unsupported refused at deploy."""

from pathlib import Path

import pytest

from flowdesk.bpmn import ModelError
from flowdesk.bpmn.feel import FeelNotSupported, translate
from flowdesk.bpmn.script_engine import RestrictedEnvironment, check

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def evaluate():
    environment = RestrictedEnvironment()
    return lambda expression, **data: environment.evaluate(translate(expression), data)


@pytest.mark.parametrize(("expression", "value"), [
    ('=date("2024-01-01") < date("2024-02-01")', True),
    ('=date("2024-01-31") + duration("P1D") = date("2024-02-01")', True),
    ('=string(date("2024-03-01") - date("2024-01-01"))', "P60D"),
    ('=date("2024-03-01") - date("2024-01-01") = duration("P60D")', True),
    ('=date("2024-01-31") + duration("P1M") = date("2024-02-29")', True),
    ('=date and time("2024-01-01T10:00:00Z") > date and time("2024-01-01T11:00:00+02:00")', True),
    ('=date and time("2024-01-01T23:00:00Z") + duration("PT2H") = @"2024-01-02T01:00:00Z"', True),
    ('=time("10:30:00") < time("11:00:00")', True),
    ('=duration("P1D") > duration("PT23H")', True),
    ('=duration("PT90M") = duration("PT1H30M")', True),
    ('=@"2024-05-01" = date(due)', True),
    ('=date(due) + @"P2D" > date("2024-05-02")', True),
    ('=day of week(date("2024-01-01"))', "Monday"),
    ('=month of year(date(due))', "May"),
    ('=last day of month(date("2024-02-10"))', 29),
    ('=years and months duration(date("2024-01-15"), date("2025-03-14")) = duration("P1Y1M")', True),
    ("=now() > date and time(\"2020-01-01T00:00:00Z\")", True),
    ("=today() > date(due)", True),
    ("=date(missing) = null", True),  # a function of null is null
    ('=if date(due) < date("2025-01-01") then "soon" else "later"', "soon"),
])
def test_dates_times_and_durations_compare_and_compute(evaluate, expression, value):
    assert evaluate(expression, due="2024-05-01") == value


def test_a_duration_an_expression_gives_is_iso_text(evaluate):
    assert evaluate('=date("2024-03-01") - date("2024-01-01")') == "P60D"
    assert evaluate('=duration("P1Y2M")') == "P1Y2M"


@pytest.mark.parametrize(("expression", "construct"), [
    ('=date("2024-13-01")', "'date(\"2024-13-01\")'"),
    ('=duration("one day")', "'duration(\"one day\")'"),
    ('=@"yesterday"', "'@(\"yesterday\")'"),
    ('=date and time("2024-01-01T10:00:00@Europe/Berlin")', "named time zone"),
    ('=date(due).year', "'.year' on a computed value"),
])
def test_what_cannot_run_is_refused_when_translated(expression, construct):
    with pytest.raises(FeelNotSupported) as refused:
        translate(expression)

    assert construct in str(refused.value)


def test_temporal_translations_pass_the_sandbox_check():
    check(translate('=date(due) + duration("P1D") < today()'), "eval")


@pytest.fixture
def delivery(run):
    return lambda **variables: run("feel_dates.bpmn", **variables)


def test_dates_and_durations_are_kept_as_iso_text(delivery):
    variables = delivery(ordered="2024-05-01", promised="2024-05-10").execution.variables

    assert variables["deadline"] == "2024-05-15"
    assert variables["allowed"] == "P14D"
    assert variables["cutoff"] == "2024-05-01T17:00:00+00:00"
    assert variables["orderedOn"] == "Wednesday"


@pytest.mark.parametrize(("promised", "path"), [("2024-05-20", "Task_apologise"), ("2024-05-10", "Task_ship")])
def test_a_date_condition_chooses_the_flow(delivery, promised, path):
    assert delivery(ordered="2024-05-01", promised=promised).waiting() == [path]


def test_an_invalid_constant_date_is_refused_at_deploy_naming_the_element(parse):
    content = (DATA / "feel_dates.bpmn").read_bytes().replace(b"duration(&#34;P14D&#34;)", b"duration(&#34;14 days&#34;)")

    with pytest.raises(ModelError) as refused:
        parse("feel_dates.bpmn", content)

    [issue] = refused.value.issues
    assert issue.element_id == "Task_deadline"
    assert "FEEL construct 'duration(\"14 days\")'" in issue.message
