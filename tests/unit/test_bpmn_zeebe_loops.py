"""Camunda 8 multi-instance: zeebe:loopCharacteristics collections and Zeebe's loop variables."""


def test_each_instance_gets_its_element_and_the_outputs_are_collected(run):
    instance = run("camunda8_loop.bpmn", voters=["ann", "bob", "cy"])

    assert sorted(t.assignee for t in instance.execution.user_tasks()) == ["ann", "bob", "cy"]
    for task in sorted(instance.execution.user_tasks(), key=lambda t: t.assignee)[:2]:
        instance.execution.complete_user_task(task.task_id, {"vote": task.assignee.upper()})

    # numberOfCompletedInstances >= 2: the third vote is not waited for.
    assert instance.waiting() == ["Task_count"]
    assert sorted(v for v in instance.task("Task_count").data["votes"] if v) == ["ANN", "BOB"]
