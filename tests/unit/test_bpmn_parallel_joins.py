"""Parallel joins of several waiting branches, saved, restored and pruned between every step."""

import itertools

import pytest


@pytest.mark.parametrize("branches", [2, 3, 4, 5, 6])
def test_a_parallel_join_waits_for_every_user_task_then_goes_on(run_clocked, branches):
    instance = run_clocked("parallel_joins.bpmn", process_id=f"fork_{branches}_user_tasks")
    tasks = [f"task_{i}" for i in range(1, branches + 1)]

    for done, task in enumerate(tasks, start=1):
        assert instance.waiting() == tasks[done - 1:]
        instance.complete(task)

    assert instance.waiting() == ["after_join"]


@pytest.mark.parametrize("order", list(itertools.permutations(["task_1", "task_2", "task_3"])))
def test_a_parallel_join_of_three_goes_on_whatever_the_order(run_clocked, order):
    instance = run_clocked("parallel_joins.bpmn", process_id="fork_3_user_tasks")

    for task in order:
        instance.complete(task)

    assert instance.waiting() == ["after_join"]


def test_a_parallel_join_of_three_manual_tasks_goes_on(run_clocked):
    instance = run_clocked("parallel_joins.bpmn", process_id="fork_3_manual_tasks")

    for task in ("task_1", "task_2", "task_3"):
        instance.complete(task)

    assert instance.waiting() == ["after_join"]


def test_nested_parallel_joins_go_on_when_every_branch_is_done(run_clocked):
    instance = run_clocked("parallel_joins.bpmn", process_id="nested_forks")

    for task in ("task_e", "task_a", "task_d", "task_c", "task_b"):
        instance.complete(task)
    assert instance.waiting() == ["after_join"]
    instance.complete("after_join")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_a_parallel_join_keeps_what_every_branch_wrote(run_clocked):
    instance = run_clocked("parallel_joins.bpmn", process_id="fork_4_user_tasks")

    for i in (2, 4, 1, 3):
        instance.complete(f"task_{i}", **{f"answer_{i}": i})

    assert instance.waiting() == ["after_join"]
    assert {f"answer_{i}" for i in range(1, 5)} <= set(instance.task("after_join").data)
