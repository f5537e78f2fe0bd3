"""How the engine's parts plug into each other, once, when the engine is imported.

The save cycle (:mod:`.cycle`) and the scheduler's round know nothing of what they refresh or
run besides their own kind: the projections and duties register here, in the order they must
run. Kept in one place so that order is visible, and so no module imports the ones built on it.
"""

from .process import activity_history, cycle, external_task_projection, jobs, scheduler, waits
from .work import request_feed, sla, ticket_projection

# SLA marks first: an interrupting timer's escalation is recorded before the ticket projection
# cancels the ticket its task left.
cycle.register_projection("escalations", sla.project_escalations)
cycle.register_projection("tickets", ticket_projection.project)
cycle.register_projection("requests", request_feed.project)  # a request's stage follows its new tickets
cycle.register_projection("external_tasks", external_task_projection.project)
cycle.register_projection("jobs", jobs.project)
cycle.register_projection("waits", waits.project)
cycle.register_projection("activities", activity_history.project)  # history across instances

scheduler.register_duty(sla.mark_breaches)
