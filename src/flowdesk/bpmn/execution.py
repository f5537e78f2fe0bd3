"""Running one process instance: start, restore, step, and say what it is waiting for."""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import action_calls, conditions, escalations, events, history, implicit_ends, serializer, stepping, timers
from .stepping import Pause, StepGuard, StepLimits
from .escalations import Escalation
from .action import ActionCall, ActionTask
from .errors import ExecutionError, error_from
from .history import CompletedElement
from .events import ThrownEvent, WaitingMessage
from .model import ProcessSpec
from .script_engine import restricted_script_engine
from .timers import WaitingTimer
from .user_tasks import WaitingUserTask, waiting_user_tasks

Clock = Callable[[], datetime]
WAIT_KINDS = frozenset({"user_task", "action", "external_task", "event"})
# Where the state keeps the history lines of pruned tasks (see history.prune).
_PRUNED_HISTORY = "flowdesk_pruned_history"
_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING



class TaskNotReady(Exception):
    """The task does not exist in this instance or is not in the state the command needs."""


class Execution:
    """A SpiffWorkflow workflow plus the operations the server needs from it.

    ``clock()`` returns an aware UTC datetime and is what every timer of the instance is
    evaluated against (default: real time); the server injects it so that a scheduler, not the
    wall clock, decides when a timer is due.
    """

    def __init__(self, workflow: BpmnWorkflow, clock: Clock | None = None,
                 pruned_history: history.PrunedHistory | None = None, limits: StepLimits | None = None):
        self.workflow = workflow
        self.clock = clock or timers.utc_now
        self._guard = StepGuard(limits or StepLimits())
        self._pruned_history = pruned_history or history.PrunedHistory()
        self._escalations: list[Escalation] = []
        self._completed: list[CompletedElement] = []  # completed since restored or last taken
        # What the instance waited for when it was loaded (nothing for a new one): the server's
        # projections of it were refreshed from exactly that, so a kind absent here needs no
        # lookup. Unknown (every kind) for a workflow handed in from elsewhere.
        self.waits_when_loaded: frozenset[str] = WAIT_KINDS
        # The ids of the READY user and manual tasks, and of the STARTED action tasks, then (None:
        # unknown): the server's open tickets and active action jobs mirror them one to one.
        self.user_tasks_when_loaded: frozenset[str] | None = None
        self.actions_when_loaded: frozenset[str] | None = None
        for spec in (workflow.spec, *workflow.subprocess_specs.values()):
            events.wire_event_subprocesses(spec)  # specs parsed before the parser did it
        # Timer definitions are shared by every instance of a spec: they find the clock here.
        setattr(workflow, timers.CLOCK_ATTRIBUTE, self.clock)

    @classmethod
    def start(cls, process: ProcessSpec, variables: dict | None = None, clock: Clock | None = None,
              message: tuple[str, dict | None] | None = None, by_timer: bool | str = False,
              limits: StepLimits | None = None) -> "Execution":
        """Create a new instance with ``variables`` and run it to its first wait state.

        ``message=(name, payload)`` starts it through the message start event ``name`` (the
        payload becomes variables); ``by_timer=True`` treats its timer start events (or only
        the one whose element id ``by_timer`` is) as fired now: the scheduler creates the
        instance when that timer is due. ``limits`` bound what one command may step (see stepping).
        """
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=restricted_script_engine())
        workflow.task_tree.data.update(variables or {})
        execution = cls(workflow, clock, limits=limits)
        execution.waits_when_loaded = frozenset()
        execution.user_tasks_when_loaded = execution.actions_when_loaded = frozenset()
        if by_timer:
            timers.fire_timer_starts(workflow, execution.now(), None if by_timer is True else by_timer)
        execution.run()
        if message is not None:
            name, payload = message
            if not events.deliver_message(workflow, name, payload, only_start_events=True):
                raise ExecutionError(f"the process has no message start event for '{name}'")
            execution.run()
        return execution

    @classmethod
    def restore(cls, process: ProcessSpec, state: dict, state_format: str = serializer.STATE_FORMAT,
                clock: Clock | None = None, limits: StepLimits | None = None) -> "Execution":
        """Rebuild an instance from saved state against its (cached) process spec."""
        pruned = state.get(_PRUNED_HISTORY)
        if pruned:  # kept out of the state restored (and copied) below: it only ever grows
            state = {key: value for key, value in state.items() if key != _PRUNED_HISTORY}
        workflow = serializer.state_from_dict(state, process.spec, process.subprocess_specs, state_format)
        execution = cls(workflow, clock, history.PrunedHistory.from_dict(pruned), limits)
        execution.waits_when_loaded = execution.waiting_kinds()
        waiting = execution._tasks(TaskState.READY | TaskState.STARTED)
        execution.user_tasks_when_loaded = frozenset(
            str(task.id) for task in waiting if task.state == TaskState.READY and task.task_spec.manual)
        execution.actions_when_loaded = frozenset(
            str(task.id) for task in waiting if task.state == TaskState.STARTED
            and isinstance(task.task_spec, ActionTask) and not task.task_spec.is_external)
        return execution

    def waiting_kinds(self) -> frozenset[str]:
        """The kinds of things the instance waits for now: ``user_task`` (READY user or manual
        tasks), ``action`` and ``external_task`` (STARTED service tasks), ``event`` (a named
        message or signal it can catch). A cheap summary of the projections' inputs."""
        kinds = set()
        for task in self._tasks(TaskState.READY | TaskState.STARTED):
            spec = task.task_spec
            if task.state == TaskState.READY and spec.manual:
                kinds.add("user_task")
            elif task.state == TaskState.STARTED and isinstance(spec, ActionTask):
                kinds.add("external_task" if spec.is_external else "action")
        if any(m.name for m in self.waiting_messages()) or any(self.waiting_signals()):
            kinds.add("event")
        return frozenset(kinds)

    def dump(self) -> dict:
        """The state to save: JSON-ready, without the spec."""
        state = serializer.state_to_dict(self.workflow)
        pruned = self._pruned_history.to_dict()
        if pruned:
            state[_PRUNED_HISTORY] = pruned
        return state

    def now(self) -> datetime:
        """The instance's current time (aware UTC)."""
        return timers.as_utc(self.clock())

    def run(self) -> None:
        """Fire the timers due at ``clock()`` and advance every task that needs no person or worker.

        Raises :class:`ExecutionError` when the step goes past its limits (see stepping).
        """
        watch = escalations.Watch(self.workflow)
        self._guard.start()
        try:
            self.workflow.refresh_timers()
            # do_engine_steps refreshes timers last, so a timer due by then is READY but not run.
            rounds = 0
            while rounds < 100:
                try:
                    self.workflow.do_engine_steps(will_complete_task=self._guard.before)
                except Pause:
                    self._stamp_completed()
                    self._prune()
                    continue
                rounds += 1
                moved = implicit_ends.end_subprocesses(self.workflow) | conditions.refresh(self.workflow, self.variables)
                if not moved and not any(not t.task_spec.manual for t in self._tasks(TaskState.READY)):
                    break
            self._escalations.extend(watch.fired())
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise error_from(exc) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Model data SpiffWorkflow does not wrap (a timer date that is not a date...):
            # the step fails like any other, it is not a server error.
            raise ExecutionError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._stamp_completed()
            self._prune()

    def _tasks(self, state: int | None = None) -> list:
        """Every task of the instance, subprocesses included, optionally only those in ``state``."""
        workflows = [self.workflow, *self.workflow.subprocesses.values()]
        return [t for wf in workflows for t in wf.tasks.values() if state is None or t.state & state]

    def _stamp_completed(self) -> None:
        # SpiffWorkflow stamps state changes with real time; history needs the instance's clock.
        # A task gets its stamp once, when it is first seen completed: that is when it is new.
        now = None
        for task in self._tasks(TaskState.COMPLETED):
            if task.task_spec.bpmn_id and history.FINISHED_AT not in task.internal_data:
                now = now or self.now()
                task.internal_data[history.FINISHED_AT] = now.isoformat()
                if history.is_history(task):
                    spec = task.task_spec
                    self._completed.append(CompletedElement(spec.bpmn_id, spec.bpmn_name,
                                                            history.element_type(spec), now))

    def take_completed_elements(self) -> list[CompletedElement]:
        """The BPMN elements completed since the instance was restored (or this was last asked), in order."""
        taken, self._completed = self._completed, []
        return taken

    def _prune(self) -> None:
        subprocesses = self.workflow.subprocesses
        for workflow in (self.workflow, *subprocesses.values()):
            self._pruned_history.add(history.prune(workflow, subprocesses.keys()))

    def waiting_timers(self) -> list[WaitingTimer]:
        """Every WAITING timer (intermediate, boundary, event gateway, in subprocesses), earliest first."""
        return timers.waiting_timers(self.workflow)

    def next_timer_due(self) -> datetime | None:
        """When the earliest waiting timer is due, or None: when the scheduler should call :meth:`run`."""
        waiting = self.waiting_timers()
        return waiting[0].due if waiting else None

    def waiting_messages(self) -> list[WaitingMessage]:
        """Every message the instance can catch now, with the correlation values it already knows."""
        return events.waiting_messages(self.workflow)

    def waiting_signals(self) -> list[str]:
        """The names of the signals the instance can catch now."""
        return events.waiting_signals(self.workflow)

    def deliver_message(self, name: str, payload: dict | None = None, correlations: dict | None = None,
                        every_catch: bool = False) -> bool:
        """Deliver message ``name``; True when a waiting catch took it (and the instance ran on).

        The catch that has waited longest takes it; with ``every_catch`` every waiting one does.
        Each ``correlations`` entry must equal a known correlation property or process
        variable of the catching (sub)process. The payload becomes variables: under the
        model's message variable when it names one, merged into the task data otherwise.
        """
        return self._caught(lambda: events.deliver_message(self.workflow, name, payload, correlations,
                                                           every_catch=every_catch))

    def broadcast_signal(self, name: str, payload: dict | None = None) -> bool:
        """Deliver signal ``name`` to every waiting catch; True when one took it."""
        return self._caught(lambda: events.broadcast_signal(self.workflow, name, payload))

    def _caught(self, deliver) -> bool:
        try:
            caught = deliver()
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise error_from(exc) from exc
        if caught:
            self.run()
        return caught

    def take_escalations(self) -> list[Escalation]:
        """Timer boundary events that fired on human tasks since the last call; clears them."""
        fired, self._escalations = self._escalations, []
        return fired

    def hold_timers(self, task_id: str) -> int:
        """Hold the timer boundary events of READY human task ``task_id`` (its ticket waits); how many."""
        return escalations.hold(self._ready_human_task(task_id), self.now())

    def release_timers(self, task_id: str) -> list[tuple[str, str, str]]:
        """Re-arm held timers of ``task_id``, later by the time held: (element id, due before, due now)."""
        return escalations.release(self._ready_human_task(task_id), self.now())

    def take_thrown_events(self) -> list[ThrownEvent]:
        """Messages and signals thrown since the last call (uncaught errors/escalations too); clears them."""
        return events.take_thrown_events(self.workflow)

    def cancel(self) -> None:
        """Cancel the instance: afterwards nothing is READY, STARTED or WAITING."""
        self.workflow.cancel()
        # SpiffWorkflow leaves tasks of subprocesses it did not reach through their parent.
        for task in self._tasks(_ACTIVE):
            task.cancel()
        self.workflow.event_manager.tasks.clear()

    def completed_elements(self) -> list[CompletedElement]:
        """The BPMN elements completed so far, in completion order (subprocesses included)."""
        return history.completed_elements([self.workflow, *self.workflow.subprocesses.values()],
                                          self._pruned_history)

    def complete_user_task(self, task_id: str, data: dict) -> None:
        """Complete a READY user/manual task with ``data`` and run on to the next wait state."""
        task = self._ready_human_task(task_id)
        task.data.update(data)
        stepping.finish(task, task.run)
        self.run()

    def _ready_human_task(self, task_id: str):
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, WorkflowException, KeyError):
            task = None
        # Task.run() does not check state: a completed or future task must be refused here.
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        return task

    def _started_action(self, task_id: str):
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, WorkflowException, KeyError):
            task = None
        if task is None or task.state != TaskState.STARTED or not isinstance(task.task_spec, ActionTask):
            raise TaskNotReady(task_id)
        return task

    def pending_actions(self) -> list[ActionCall]:
        """Every STARTED action task with the call it waits for (its body evaluated now)."""
        return action_calls.pending(self.workflow)

    def complete_action(self, task_id: str, result, result_variable: str | None) -> None:
        """Finish a STARTED action task with the action's response and run on."""
        task = self._started_action(task_id)
        if result_variable:
            task.data[result_variable] = result
        stepping.finish(task, task.complete)
        self.run()

    def throw_error(self, task_id: str, code: str, payload: dict | None = None) -> bool:
        """Raise BPMN error ``code`` from a STARTED action task.

        Returns False (and changes nothing) when no boundary or event subprocess catches it.
        """
        task = self._started_action(task_id)
        if self._throw_error(task, code, payload):
            return True
        # Error event subprocesses have no waiting start event until one is started for the error.
        catches = lambda d: isinstance(d, ErrorEventDefinition) and d.code in (None, code)  # noqa: E731
        if not any(catches(start.event_definition) for _, _, start in events.untriggered_starts(self.workflow)):
            return False
        events.trigger_event_subprocesses(self.workflow, catches)
        return self._throw_error(task, code, payload)

    def _throw_error(self, task, code: str, payload: dict | None) -> bool:
        manager = self.workflow.event_manager
        for waiting in list(manager.tasks.values()):
            definition = getattr(waiting.task_spec, "event_definition", None)
            if not isinstance(definition, ErrorEventDefinition) or definition.code not in (None, code):
                continue
            # Definitions match on class and code; copy the catcher's so a dialect subclass matches.
            thrown = copy(definition)
            thrown.code = code
            event = BpmnEvent(thrown, payload=payload or {}, target=task.workflow)
            if waiting.task_spec.catches(waiting, event):
                manager.catch(event)
                self.run()
                return True
        return False

    @property
    def is_completed(self) -> bool:
        return self.workflow.is_completed()

    @property
    def reached_end_event(self) -> bool:
        """True when a top-level end event completed (not just 'nothing left to do').

        A process drawn without any end event ends, as BPMN says, when its last token reaches a
        node without outgoing flows: there, completing is the end. So does a token reaching an
        activity without outgoing flows in a process that has end events elsewhere.
        """
        if not any(isinstance(spec, EndEvent) for spec in self.workflow.spec.task_specs.values()):
            return True
        top_level = [self.workflow] + [
            sp for sp in self.workflow.subprocesses.values()  # event subprocesses end the process too
            if sp.parent_workflow is self.workflow
            and events.is_event_subprocess(self.workflow.get_task_from_id(sp.parent_task_id))
        ]
        return any(
            history.is_end(t.task_spec) and t.state == TaskState.COMPLETED
            for wf in top_level for t in wf.tasks.values()
        )

    @property
    def variables(self) -> dict:
        """The process variables as the last completed step left them."""
        if self.workflow.is_completed():
            return dict(self.workflow.data)
        last = self.workflow.last_task
        if last is not None:
            return dict(last.data)
        return dict(self.workflow.task_tree.data)

    def user_tasks(self) -> list[WaitingUserTask]:
        """Every READY user or manual task, in a stable order."""
        return waiting_user_tasks(self.workflow)
