"""Processes and subprocesses drawn without a start event start every node no flow leads to."""


def test_a_process_without_start_event_starts_its_nodes_without_incoming_flow(run_clocked):
    instance = run_clocked("implicit_starts.bpmn", process_id="no_start_event")

    assert sorted(instance.waiting()) == ["ns_also_first", "ns_first"]
    instance.complete("ns_first")
    instance.complete("ns_also_first")

    assert instance.waiting() == ["ns_inner"]
    instance.complete("ns_inner")
    assert instance.execution.is_completed and instance.execution.reached_end_event


def test_an_empty_subprocess_passes_straight_through(run_clocked):
    instance = run_clocked("implicit_starts.bpmn", process_id="empty_subprocess")

    assert instance.waiting() == ["es_after"]
