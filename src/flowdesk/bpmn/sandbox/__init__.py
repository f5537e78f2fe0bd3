"""The sandbox conditions and scripts from uploaded models run in, never through plain eval/exec.

Code is compiled with RestrictedPython (no imports, no dunder or private attribute access,
guarded item/attribute access and writes) and runs with a short allow-list of builtins.
On top of that, a flowdesk policy makes every evaluation bounded (see :class:`.limits.Limits`):

* time: every loop iteration, function call and comprehension step calls ``_tick_``, which
  checks the evaluating thread's CPU time. The calls are compiled into the code rather than
  installed with ``sys.settrace``, so they work in any thread, leave debuggers and coverage
  alone, and cannot be switched off by a script that catches the error: once an evaluation
  is over its limit every later tick raises again, and so does the end of the evaluation.
* size: ``+ * ** << %``, f-strings, ``range()``, ``pow()``, ``sum()``, the ``math`` helpers and
  the string methods that can multiply their input refuse to build values larger than
  ``max_items`` items/characters or ``max_int_bits`` bits, before building them.
* memory: the process's resident size may grow by at most ``max_memory_bytes`` during one
  evaluation (checked with the clock, and after every large value built).
* output: ``print`` may write at most ``max_output_bytes`` characters per evaluation.
* data: what a script leaves in task data must be JSON (see :func:`.task_data.json_task_data`).

What the evaluator alone cannot stop: a single built-in call working on values that are already
within the limits runs to its end before the clock is looked at again (e.g. ``l.count(x)``
on a list holding a million references to one large list). So every evaluation runs in a
sandbox process (:mod:`.pool`, :mod:`.child`): OS limits, a wall clock, no network, only JSON
crossing; the evaluator is the first layer inside it. docs/security.md has the threat model.

Modules, one concept each:

* :mod:`.limits` -- what one evaluation may use (:class:`Limits`, ``LIMITS``, :func:`configure`)
  and the errors raised when code goes over it or is refused.
* :mod:`.sizes` -- how large a value an operation would build, worked out before building it.
* :mod:`.static_check` -- problems knowable at deploy time: unavailable builtins, constants too large.
* :mod:`.policy` -- the RestrictedPython policy that compiles code with the guard calls in it.
* :mod:`.namespace` -- the builtins and helpers evaluated code sees besides task data.
* :mod:`.evaluation` -- one run of compiled code: its clock, memory guard and the guards it calls.
* :mod:`.task_data` -- what a script may leave in task data (JSON values only).
* :mod:`.attributes` -- the (type, attribute) pairs a script may read.
* :mod:`.running` -- one evaluation in this process (what a sandbox process runs).
* :mod:`.wire` -- values and errors as JSON, between the server and a sandbox process.
* :mod:`.child` -- a sandbox process: limits itself, then answers requests.
* :mod:`.pool` -- the sandbox processes of a server, worker or scheduler process.

The SpiffWorkflow glue that uses them is :mod:`flowdesk.bpmn.script_engine`.
"""
