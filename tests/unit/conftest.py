"""Fixtures for the bpmn layer: BPMN files from tests/data, parsed and run like the server runs them.

The server never keeps a workflow object between requests: it saves ``Execution.dump()`` as JSON
and restores it against a spec rebuilt from the stored ``spec_dict``. :class:`Instance` does the
same after every step, so each test also checks that state survives the round trip.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

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
        """Element ids of the completed tasks (events and gateways included)."""
        # Through the history: completed tasks nothing needs any more are pruned from the tree.
        return {element.element_id for element in self.execution.completed_elements()}


@pytest.fixture(scope="session")
def start_instance():
    """``start_instance("review_loop.bpmn")`` -> an Instance of the file's only process (session-wide,
    for module-scoped fixtures that build a long instance once)."""
    def start(name: str) -> Instance:
        [parsed] = parse_models([(name, read_bpmn(name))])
        return Instance(parsed)
    return start


@pytest.fixture(scope="session")
def reload():
    """``reload(instance)`` -> the instance's execution, saved and restored (the instance is unchanged)."""
    return lambda instance: save_and_restore(instance.parsed, instance.execution)


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


class FakeClock:
    """An injectable clock: ``clock()`` is the instance's "now", ``advance`` moves it on."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class ClockedInstance(Instance):
    """An :class:`Instance` whose timers run on ``clock``, saved and restored after every step."""

    def __init__(self, parsed: ParsedProcess, clock: FakeClock, variables: dict | None = None, **start):
        self.parsed, self.clock = parsed, clock
        self.execution = Execution.start(spec_of(parsed), variables, clock=clock, **start)
        self.save_and_restore()

    def save_and_restore(self) -> None:
        state = json.loads(json.dumps(self.execution.dump()))
        self.execution = Execution.restore(spec_of(self.parsed), state, clock=self.clock)

    def complete(self, element_id: str, **data) -> None:
        self.execution.complete_user_task(self.task(element_id).task_id, data)
        self.save_and_restore()

    def complete_first(self, element_id: str, **data) -> None:
        """Complete the first waiting task ``element_id`` (multi-instance tasks share their id)."""
        task = next(t for t in self.execution.user_tasks() if t.element_id == element_id)
        self.execution.complete_user_task(task.task_id, data)
        self.save_and_restore()

    def advance(self, **delta) -> None:
        """Move the clock on and run the instance, as the scheduler does when a timer is due."""
        self.clock.advance(**delta)
        self.execution.run()
        self.save_and_restore()

    def deliver(self, name: str, payload: dict | None = None, correlations: dict | None = None) -> bool:
        caught = self.execution.deliver_message(name, payload, correlations)
        self.save_and_restore()
        return caught

    def signal(self, name: str, payload: dict | None = None) -> bool:
        caught = self.execution.broadcast_signal(name, payload)
        self.save_and_restore()
        return caught

    def completed_ids(self) -> list[str]:
        """Element ids of :meth:`Execution.completed_elements`, in completion order."""
        return [element.element_id for element in self.execution.completed_elements()]


@pytest.fixture
def clock() -> FakeClock:
    """A clock at Monday 2 March 2026, 08:00 UTC."""
    return FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))


@pytest.fixture
def parse_files():
    """``parse_files("process.bpmn", "table.dmn")`` -> every ParsedProcess of one upload."""
    def parse(*names: str) -> list[ParsedProcess]:
        return parse_models([(name, read_bpmn(name)) for name in names])
    return parse


@pytest.fixture
def run_clocked(parse_files, clock):
    """``run_clocked("timers.bpmn", process_id="wait", amount=5)`` -> a :class:`ClockedInstance`.

    ``also=("table.dmn",)`` uploads more files with it; ``message=`` and ``by_timer=`` go to
    :meth:`Execution.start`.
    """
    def start(name: str, process_id: str | None = None, also: tuple = (), message=None, by_timer: bool = False,
              **variables) -> ClockedInstance:
        processes = [p for p in parse_files(name, *also) if p.filename == name]
        if process_id is not None:
            processes = [p for p in processes if p.process_id == process_id]
        assert len(processes) == 1, [p.process_id for p in processes]
        return ClockedInstance(processes[0], clock, variables, message=message, by_timer=by_timer)
    return start


@pytest.fixture
def sandbox_limits():
    """``sandbox_limits(timeout=0.2)`` -> tighter script sandbox limits for this test only."""
    from dataclasses import asdict

    from flowdesk.bpmn import script_engine

    previous = script_engine.LIMITS
    yield script_engine.configure
    script_engine.configure(**asdict(previous))


@pytest.fixture
def with_script(bpmn):
    """``with_script("x = 1")`` -> spiff_dialect.bpmn whose script task ``compute`` runs that script."""
    from xml.sax.saxutils import escape

    def build(script: str) -> bytes:
        return bpmn("spiff_dialect.bpmn").replace(b"total = price * quantity", escape(script).encode())
    return build


@pytest.fixture
def with_condition(bpmn):
    """``with_condition("x > 1")`` -> two_step.bpmn whose flow ``flow_gateway_skip`` has that condition."""
    from xml.sax.saxutils import escape

    def build(condition: str) -> bytes:
        return bpmn("two_step.bpmn").replace(b"skip == True", escape(condition).encode())
    return build
