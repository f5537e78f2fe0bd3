"""Long-lived instances: completed tasks are pruned from the state, their history is kept."""

import copy
import json

import pytest


TURNS = 1200


def _go_round(instance, turns: int) -> None:
    for _ in range(turns):
        instance.complete("review", again=True)


@pytest.fixture(scope="module")
def long_loop(start_instance):
    """A review loop gone round 1,200 times (saved and restored every turn), and its task count at turn 10."""
    instance = start_instance("review_loop.bpmn")
    _go_round(instance, 10)
    tasks_at_10 = len(instance.execution.dump()["tasks"])
    _go_round(instance, TURNS - 10)
    return instance, tasks_at_10


@pytest.fixture
def finished_loop(long_loop, reload):
    """A copy of ``long_loop`` that the reviewer then ends."""
    instance = copy.copy(long_loop[0])
    instance.execution = reload(instance)
    instance.complete("review", again=False)
    return instance


def test_a_loop_of_1200_turns_still_waits_in_its_user_task(long_loop):
    instance, _ = long_loop
    assert instance.waiting() == ["review"]
    assert not instance.execution.is_completed


def test_a_loop_of_1200_turns_reaches_its_end_event(finished_loop):
    assert finished_loop.execution.reached_end_event
    assert finished_loop.execution.variables["again"] is False


def test_the_state_stops_growing_with_the_turns(long_loop):
    instance, tasks_at_10 = long_loop
    state = instance.execution.dump()
    assert len(state["tasks"]) == tasks_at_10
    # The pruned history is compressed: far less than the ~1.3 KB a kept turn used to cost.
    assert len(json.dumps(state)) < 100 * 1024


def test_history_of_a_long_loop_lists_every_turn_in_order(finished_loop):
    history = finished_loop.execution.completed_elements()
    ids = [element.element_id for element in history]
    assert ids == ["start"] + ["round", "review", "again"] * (TURNS + 1) + ["done"]
    assert [element.finished_at for element in history] == sorted(element.finished_at for element in history)
    review = history[2]
    assert (review.name, review.type) == ("Review", "userTask")


def test_a_pruned_loop_still_takes_its_boundary_timer(run):
    instance = run("review_loop.bpmn")
    _go_round(instance, 50)
    assert [t.element_id for t in instance.execution.waiting_timers()] == ["review_overdue"]


def test_a_parallel_review_loop_past_the_old_depth_limit_joins_every_turn(run):
    instance = run("parallel_review_loop.bpmn")
    for turn in range(400):  # 400 turns: the unpruned tree passed SpiffWorkflow's depth limit at ~333
        first, second = ("legal", "finance") if turn % 2 else ("finance", "legal")
        assert sorted(instance.waiting()) == ["finance", "legal"]
        instance.complete(first, again=True)
        assert instance.waiting() == [second]  # the join waits for the other branch
        instance.complete(second, again=True)
    instance.complete("legal", again=False)
    instance.complete("finance", again=False)

    assert instance.execution.reached_end_event
    ids = [element.element_id for element in instance.execution.completed_elements()]
    assert ids.count("both") == ids.count("legal") == 401
