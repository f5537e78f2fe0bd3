"""parse_models: uploads in, one ParsedProcess per executable process out, or every issue found."""

import pytest

from flowdesk.bpmn import ModelError, ProcessSpec, XmlRefused, parse_models


def without_flow_id(content: bytes) -> bytes:
    """simple_user_task.bpmn with ``flow_approve_to_end`` losing its id, as Camunda exports allow."""
    return content.replace(b'<bpmn:sequenceFlow id="flow_approve_to_end" ', b"<bpmn:sequenceFlow ")


def test_returns_one_parsed_process_per_executable_process(parse):
    processes = parse("two_processes.bpmn")

    assert [p.process_id for p in processes] == ["proc_a", "proc_b"]
    assert [p.name for p in processes] == ["Process A", "Process B"]
    assert {p.filename for p in processes} == {"two_processes.bpmn"}


def test_parsed_process_keeps_the_source_and_its_element_ids(parse, bpmn):
    process = parse("simple_user_task.bpmn")[0]

    assert process.source == bpmn("simple_user_task.bpmn")
    assert {"start", "approve", "end", "flow_start_to_approve"} <= set(process.element_ids)


def test_element_ids_belong_to_their_own_process(parse):
    proc_a, proc_b = parse("two_processes.bpmn")

    assert "task_a" in proc_a.element_ids and "task_b" not in proc_a.element_ids
    assert "task_b" in proc_b.element_ids and "task_a" not in proc_b.element_ids


def test_same_content_gives_the_same_content_hash(parse):
    assert parse("ticket_progression.bpmn")[0].content_hash == parse("ticket_progression.bpmn")[0].content_hash


def test_renamed_task_gives_a_different_content_hash(parse, bpmn):
    renamed = bpmn("simple_user_task.bpmn").replace(b'name="Approve"', b'name="Approve request"')

    assert parse("simple_user_task.bpmn")[0].content_hash != parse("simple_user_task.bpmn", renamed)[0].content_hash


def test_moving_a_shape_in_the_diagram_keeps_the_content_hash(parse, bpmn):
    moved = bpmn("simple_user_task.bpmn").replace(b'<dc:Bounds x="240" y="80"', b'<dc:Bounds x="260" y="90"')

    assert parse("simple_user_task.bpmn")[0].content_hash == parse("simple_user_task.bpmn", moved)[0].content_hash


def test_missing_reference_is_reported_with_file_line_and_element(parse, bpmn):
    expected_line = next(
        n for n, line in enumerate(bpmn("invalid_missing_ref.bpmn").decode().splitlines(), start=1)
        if 'id="flow_work_to_nowhere"' in line
    )

    with pytest.raises(ModelError) as error:
        parse("invalid_missing_ref.bpmn")

    [issue] = error.value.issues
    assert issue.file == "invalid_missing_ref.bpmn"
    assert issue.line == expected_line
    assert issue.element_id == "flow_work_to_nowhere"
    assert "nowhere" in issue.message


def test_model_issues_are_plain_dicts_for_the_api(parse):
    with pytest.raises(ModelError) as error:
        parse("invalid_missing_ref.bpmn")

    assert set(error.value.issues[0].as_dict()) == {"file", "line", "element_id", "message"}


def test_every_broken_file_in_an_upload_is_reported(bpmn):
    hostile = bpmn("two_step.bpmn").replace(b"skip == True", b"__import__('os')")

    with pytest.raises(ModelError) as error:
        parse_models([("invalid_missing_ref.bpmn", bpmn("invalid_missing_ref.bpmn")), ("two_step.bpmn", hostile)])

    assert {i.file for i in error.value.issues} == {"invalid_missing_ref.bpmn", "two_step.bpmn"}


def test_sequence_flow_without_id_gets_one(parse, bpmn):
    no_id = without_flow_id(bpmn("simple_user_task.bpmn"))

    process = parse("simple_user_task.bpmn", no_id)[0]

    assert "flow_approve_to_end" not in process.element_ids
    assert any(i.startswith("flowdesk_flow_approve_end") for i in process.element_ids)


def test_process_with_a_sequence_flow_without_id_still_runs_to_its_end(run, bpmn):
    no_id = without_flow_id(bpmn("simple_user_task.bpmn"))
    instance = run("simple_user_task.bpmn", no_id)

    instance.complete("approve")

    assert instance.execution.is_completed
    assert instance.execution.reached_end_event


def test_generated_flow_ids_are_stable_across_parses(bpmn):
    no_id = without_flow_id(bpmn("simple_user_task.bpmn"))

    first = parse_models([("a.bpmn", no_id)])[0]
    second = parse_models([("a.bpmn", no_id)])[0]

    assert first.content_hash == second.content_hash


@pytest.mark.parametrize("condition", [
    b"__import__('os').system('id') == 0",
    b"().__class__.__bases__[0].__subclasses__()",
    b"(lambda: 0).__globals__",
    b"eval('1') == 1",
])
def test_hostile_condition_is_refused_at_parse_time_naming_the_flow(parse, bpmn, condition):
    hostile = bpmn("two_step.bpmn").replace(b"skip == True", condition)

    with pytest.raises(ModelError) as error:
        parse("two_step.bpmn", hostile)

    [issue] = error.value.issues
    assert issue.element_id == "flow_gateway_skip"
    assert issue.file == "two_step.bpmn"
    assert issue.message.startswith("refused condition")


@pytest.mark.parametrize("script", [
    b"total = __import__('os').getcwd()",
    b"total = ().__class__",
    b"total = price._secret",
])
def test_hostile_script_is_refused_at_parse_time_naming_the_task(parse, bpmn, script):
    hostile = bpmn("spiff_dialect.bpmn").replace(b"total = price * quantity", script)

    with pytest.raises(ModelError) as error:
        parse("spiff_dialect.bpmn", hostile)

    [issue] = error.value.issues
    assert issue.element_id == "compute"
    assert issue.line is not None
    assert issue.message.startswith("refused script")


def test_file_with_only_non_executable_processes_is_refused(parse, bpmn):
    not_executable = bpmn("two_processes.bpmn").replace(b'isExecutable="true"', b'isExecutable="false"')

    with pytest.raises(ModelError, match="no executable process"):
        parse("two_processes.bpmn", not_executable)


def test_non_executable_process_is_left_out(parse, bpmn):
    only_b = bpmn("two_processes.bpmn").replace(
        b'id="proc_a" name="Process A" isExecutable="true"', b'id="proc_a" name="Process A" isExecutable="false"')

    assert [p.process_id for p in parse("two_processes.bpmn", only_b)] == ["proc_b"]


def test_xml_that_is_not_bpmn_is_refused():
    with pytest.raises(XmlRefused, match="not a BPMN or DMN document") as refused:
        parse_models([("note.xml", b'<note xmlns="urn:example:notes"><to>you</to></note>')])

    assert refused.value.filename == "note.xml"


def test_bpmn_with_a_doctype_is_refused_before_parsing(bpmn):
    with_doctype = bpmn("simple_user_task.bpmn").replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE bpmn:definitions [<!ENTITY x "y">]>')

    with pytest.raises(XmlRefused, match="DOCTYPE"):
        parse_models([("simple_user_task.bpmn", with_doctype)])


def test_upload_size_limit_applies_per_file(bpmn):
    content = bpmn("simple_user_task.bpmn")

    with pytest.raises(XmlRefused) as refused:
        parse_models([("simple_user_task.bpmn", content)], max_bytes=len(content) - 1)

    assert refused.value.too_large


def test_spec_dict_round_trips_through_process_spec(parse):
    process = parse("ticket_progression.bpmn")[0]

    assert ProcessSpec.from_dict(process.process_id, process.spec_dict).to_dict() == process.spec_dict



def with_extension(content: bytes, element: bytes) -> bytes:
    """spiff_dialect.bpmn with ``element`` added to the extension elements of user task ``check``."""
    return content.replace(b"<spiffworkflow:properties>", element + b"<spiffworkflow:properties>")


def with_multi_instance(content: bytes, completion: bytes) -> bytes:
    """spiff_dialect.bpmn whose user task ``check`` runs twice, finishing early on ``completion``."""
    return content.replace(
        b"<bpmn:outgoing>flow_check_to_end</bpmn:outgoing>",
        b"<bpmn:outgoing>flow_check_to_end</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics>"
        b"<bpmn:loopCardinality>2</bpmn:loopCardinality><bpmn:completionCondition>" + completion
        + b"</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>")


@pytest.mark.parametrize("tag", [b"preScript", b"postScript"])
def test_hostile_pre_or_post_script_is_refused_at_parse_time_naming_the_task(parse, bpmn, tag):
    hostile = with_extension(bpmn("spiff_dialect.bpmn"),
                             b"<spiffworkflow:%s>x = __import__('os')</spiffworkflow:%s>" % (tag, tag))

    with pytest.raises(ModelError) as error:
        parse("spiff_dialect.bpmn", hostile)

    [issue] = error.value.issues
    assert issue.element_id == "check"
    assert issue.line is not None
    assert issue.message.startswith(f"refused {tag.decode()}")


def test_harmless_pre_script_is_accepted(parse, bpmn):
    harmless = with_extension(bpmn("spiff_dialect.bpmn"), b"<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>")

    assert parse("spiff_dialect.bpmn", harmless)[0].process_id == "spiff_dialect"


def test_hostile_completion_condition_is_refused_at_parse_time_naming_the_task(parse, bpmn):
    hostile = with_multi_instance(bpmn("spiff_dialect.bpmn"), b"().__class__.__bases__")

    with pytest.raises(ModelError) as error:
        parse("spiff_dialect.bpmn", hostile)

    [issue] = error.value.issues
    assert issue.element_id == "check"
    assert issue.message.startswith("refused completion condition")


def test_camunda_completion_condition_is_translated(parse, bpmn):
    camunda = with_multi_instance(bpmn("spiff_dialect.bpmn"), b"${total &gt; 10}")

    spec = str(parse("spiff_dialect.bpmn", camunda)[0].spec_dict)

    assert "(total > 10)" in spec


def test_untranslatable_camunda_completion_condition_is_refused(parse, bpmn):
    camunda = with_multi_instance(bpmn("spiff_dialect.bpmn"), b"${approvalService.enough(nrOfInstances)}")

    with pytest.raises(ModelError) as error:
        parse("spiff_dialect.bpmn", camunda)

    [issue] = error.value.issues
    assert issue.element_id == "check"
    assert "unsupported expression in completion condition" in issue.message


def test_hostile_action_body_is_refused_at_parse_time_naming_the_task(parse, bpmn):
    hostile = bpmn("service_chain.bpmn").replace(b"{'sku': sku, 'quantity': quantity}", b"__import__('os')")

    with pytest.raises(ModelError) as error:
        parse("service_chain.bpmn", hostile)

    [issue] = error.value.issues
    assert (issue.element_id, issue.message.split(":")[0]) == ("reserve", "refused action body")


def test_camunda_get_variable_in_an_assignment_attribute_resolves_the_variable(run, bpmn):
    camunda = bpmn("camunda_dialect.bpmn").replace(b"claims,${team}", b"claims,${execution.getVariable('team')}")

    instance = run("camunda_dialect.bpmn", camunda, requester="ann", team="fraud", urgency=3)

    assert instance.task("assess").candidate_groups == ["claims", "fraud"]


def test_assignment_attribute_with_more_than_a_variable_is_refused_naming_the_task(parse, bpmn):
    camunda = bpmn("camunda_dialect.bpmn").replace(b'camunda:assignee="${requester}"',
                                                   b'camunda:assignee="${requester.toUpperCase()}"')

    with pytest.raises(ModelError) as error:
        parse("camunda_dialect.bpmn", camunda)

    [issue] = error.value.issues
    assert issue.element_id == "assess"
    assert "camunda:assignee" in issue.message and "toUpperCase()" in issue.message


@pytest.mark.parametrize("language", [b"groovy", b"javascript"])
def test_script_in_another_language_is_refused_naming_the_task_and_language(parse, bpmn, language):
    groovy = bpmn("spiff_dialect.bpmn").replace(b'<bpmn:scriptTask id="compute"',
                                                b'<bpmn:scriptTask id="compute" scriptFormat="' + language + b'"')

    with pytest.raises(ModelError) as error:
        parse("spiff_dialect.bpmn", groovy)

    [issue] = error.value.issues
    assert issue.element_id == "compute"
    assert f"written in '{language.decode()}'" in issue.message
    assert "Python" in issue.message


def test_script_declared_as_python_is_accepted(parse, bpmn):
    python = bpmn("spiff_dialect.bpmn").replace(b'<bpmn:scriptTask id="compute"',
                                                b'<bpmn:scriptTask id="compute" scriptFormat="python"')

    assert [p.process_id for p in parse("spiff_dialect.bpmn", python)]
