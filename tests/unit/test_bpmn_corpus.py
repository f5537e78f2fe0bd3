"""Real-world files written by others (tests/data/corpus, see SOURCES.md) parse and run to an end."""


def test_nested_subprocesses_run_to_the_end_event(run):
    instance = run("nested-subprocesses.bpmn")

    # Five user tasks across parallel branches and nested subprocesses, completed in whatever order they come.
    for _ in range(5):
        instance.complete(instance.waiting()[0])

    assert instance.waiting() == []
    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_nested_subprocesses_offer_both_parallel_branches_at_once(run):
    waiting = {task.name for task in run("nested-subprocesses.bpmn").execution.user_tasks()}

    assert waiting == {"Check Items", "Charge Card"}


def test_camunda_modeler_invoice_approval_assigns_and_names_its_form(run):
    task = run("invoiceApproval.bpmn").task("UserTask_1")

    assert task.name == "Approve Invoice"
    assert task.assignee == "demo"
    assert task.form["key"] == "camunda-forms:app:task-form.form"


def test_camunda_modeler_invoice_approval_runs_to_its_end(run):
    instance = run("invoiceApproval.bpmn")

    instance.complete("UserTask_1", approved=True)

    assert instance.execution.reached_end_event


def test_spiff_hello_world_manual_task_runs_to_its_end(run):
    instance = run("hello-world.bpmn")

    assert instance.task("Activity_0j3j0ev").name == "Show Example Manual Task"
    instance.complete("Activity_0j3j0ev")

    assert instance.execution.reached_end_event
