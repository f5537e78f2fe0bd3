"""Processes: deployed definitions and the instances that run them.

Owns definitions and their versions (deploy, forms declared by models), the load -> apply ->
save cycle every command goes through (:mod:`.cycle`, with the projections registered on it),
starting and reading instances, their lifecycle (suspend, resume, cancel) and history,
messages and signals, timers and the scheduler's round, service-task jobs and their results
(the outbox, retries, leases), external tasks, incidents, waits, data stores, retention and
the webhooks' outbox.

May use: ``engine.access``, ``engine.store``, ``engine.models``, ``flowdesk.bpmn``. It never
imports ``engine.work``: what it refreshes there (tickets, SLA marks) registers with it.
"""
