"""Fixtures for the bpmn layer: BPMN files from tests/data, parsed and run like the server runs them.

The server never keeps a workflow object between requests: it saves ``Execution.dump()`` as JSON
and restores it against a spec rebuilt from the stored ``spec_dict``. :class:`Instance` does the
same after every step, so each test also checks that state survives the round trip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from flowdesk.bpmn import Execution, ParsedProcess, ProcessSpec, WaitingUserTask, parse_models

TESTS = Path(__file__).parent.parent
SEARCH_PATH = (TESTS / "data", TESTS / "data" / "corpus", TESTS.parent / "examples")


def read_bpmn(name: str) -> bytes:
    """The bytes of ``name`` from tests/data, tests/data/corpus or examples/."""
    for folder in SEARCH_PATH:
        if (folder / name).exists():
            return (folder / name).read_bytes()
    raise FileNotFoundError(name)


def spec_of(parsed: ParsedProcess) -> ProcessSpec:
    """The spec as the server rebuilds it from the stored definition version."""
    return ProcessSpec.from_dict(parsed.process_id, parsed.spec_dict)


def save_and_restore(parsed: ParsedProcess, execution: Execution) -> Execution:
    """What happens between two requests: state to JSON text and back, against a fresh spec."""
    return Execution.restore(spec_of(parsed), json.loads(json.dumps(execution.dump())))


class Instance:
    """One process instance, saved and restored after every step as the server does."""

    def __init__(self, parsed: ParsedProcess, variables: dict | None = None):
        self.parsed = parsed
        self.execution = save_and_restore(parsed, Execution.start(spec_of(parsed), variables))

    def waiting(self) -> list[str]:
        """Element ids of the READY user/manual tasks."""
        return [task.element_id for task in self.execution.user_tasks()]

    def task(self, element_id: str) -> WaitingUserTask:
        matches = [task for task in self.execution.user_tasks() if task.element_id == element_id]
        assert len(matches) == 1, f"{element_id} is not waiting; waiting: {self.waiting()}"
        return matches[0]

    def complete(self, element_id: str, **data) -> None:
        """Complete the waiting task ``element_id`` (failing the test if it is not waiting)."""
        self.execution.complete_user_task(self.task(element_id).task_id, data)
        self.execution = save_and_restore(self.parsed, self.execution)

    def completed_elements(self) -> set[str]:
        """Element ids of the completed top-level tasks (events and gateways included)."""
        return {
            task.task_spec.bpmn_id for task in self.execution.workflow.get_tasks(state=TaskState.COMPLETED)
            if task.task_spec.bpmn_id
        }


@pytest.fixture
def bpmn():
    """``bpmn("two_step.bpmn")`` -> the file's bytes."""
    return read_bpmn


@pytest.fixture
def parse():
    """``parse("two_processes.bpmn")`` -> every ParsedProcess in that file."""
    def parse_file(name: str, content: bytes | None = None) -> list[ParsedProcess]:
        return parse_models([(name, read_bpmn(name) if content is None else content)])
    return parse_file


@pytest.fixture
def run(parse):
    """``run("ticket_progression.bpmn", amount=5)`` -> a started :class:`Instance`.

    ``content=`` runs modified bytes under that file name; ``process_id=`` picks one process.
    """
    def start(name: str, content: bytes | None = None, process_id: str | None = None, **variables) -> Instance:
        processes = parse(name, content)
        if process_id is not None:
            processes = [p for p in processes if p.process_id == process_id]
        assert len(processes) == 1, [p.process_id for p in processes]
        return Instance(processes[0], variables)
    return start
