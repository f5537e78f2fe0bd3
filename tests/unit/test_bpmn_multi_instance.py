"""Camunda's multi-instance loop variables in completion conditions."""


def test_a_parallel_multi_instance_ends_when_its_completion_condition_counts_enough(run_clocked):
    instance = run_clocked("camunda_loop_variables.bpmn", process_id="two_of_three_reviewers",
                           reviewers=["ann", "bob", "cid"])
    assert instance.waiting() == ["tr_review"] * 3

    instance.complete_first("tr_review", approve=True)
    assert instance.waiting() == ["tr_review"] * 2
    instance.complete_first("tr_review", approve=True)

    assert instance.waiting() == ["tr_decide"]
    assert not {"nrOfCompletedInstances", "nrOfInstances", "loopCounter"} & set(instance.task("tr_decide").data)


def test_a_sequential_multi_instance_sees_instances_active_and_loop_counter(run_clocked):
    instance = run_clocked("camunda_loop_variables.bpmn", process_id="half_of_the_votes")

    instance.complete_first("hv_vote")
    assert instance.waiting() == ["hv_vote"]
    instance.complete_first("hv_vote")

    assert instance.waiting() == ["hv_count"]
