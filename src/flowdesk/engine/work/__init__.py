"""Work: what people do with the tasks processes wait on.

Owns tickets (the projection of READY user tasks, claim, complete), the inbox and saved
filters, assignment policies and delegation, approvals, progress steps and the ticket
timeline, SLA clocks, calendars and escalations, comments and attachments, and moving running
instances to a new version (which carries their open tickets over).

May use: ``engine.process``, ``engine.access``, ``engine.store``, ``engine.models``,
``flowdesk.bpmn``.
"""
