"""The store: what every other room stands on.

Owns the database (engines, the SQLite and PostgreSQL differences, mapping driver errors),
the unit of work (the only place that commits), the runtime (one per process: settings,
sessions, caches, the queue port, the clock), the schema and its migrations' check, the read
and spec caches and the change feed that keeps them fresh, keys and encryption at rest,
heartbeats and readiness, paging, the audit trail every change appends to, tenancy scoping,
the domain errors, and the BPMN data stores a step writes through.

May use: ``engine.models``, ``flowdesk.bpmn`` (its ports), ``flowdesk.config``. Nothing above it.
"""
