"""Access: who is calling, and what they may see.

Owns principals and roles, users and groups, API keys, JWTs and OIDC, tenants, the readable
audit log, secrets for actions, signing keys and signatures (inbound and outbound), the
idempotency of requests, and the visibility rules (which instances and tickets a principal
sees).

May use: ``engine.store`` and ``engine.models``. Nothing about processes or tickets.
"""
