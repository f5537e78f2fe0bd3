"""Deployed DMN decisions: listing them and evaluating one over the API, outside any instance.

A decision is deployed with the process whose business rule task runs it (decisions are not
stored on their own), so the decisions are those of every process's latest version; when two
processes carry the same decision id, the one deployed last answers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import select

from ...bpmn import ExecutionError, decision_tables
from ...bpmn.decision_tables import DecisionResult, DecisionTable
from ..access.principal import Principal, Role
from ..models import DefinitionVersion
from ..store import paging
from ..store.errors import InvalidInput, NotFound
from ..store.runtime import Runtime
from ..store.spec_cache import SpecCache
from .cycle import execution_failed
from .definitions import latest_versions, spec_of

_TABLES = SpecCache(capacity=256)  # definition version id -> (its decision tables by decision id,)


@dataclass
class DeployedDecision:
    """A decision table and the deployed process version that carries it."""

    table: DecisionTable
    process_key: str
    process_version: int
    definition_version_id: str

    def __getattr__(self, name: str):
        return getattr(self.table, name)  # decision_id, name, hit_policy, inputs, outputs, rules


def _tables_of(rt: Runtime, session, version: DefinitionVersion) -> dict[str, DecisionTable]:
    def build():
        source = session.scalar(select(DefinitionVersion.source).where(DefinitionVersion.id == version.id))
        return (decision_tables.decision_tables(spec_of(rt, session, version.id, version.process_key), source),)
    return _TABLES.remember(version.id, build)[0]


def _deployed(rt: Runtime, session, principal: Principal) -> dict[str, DeployedDecision]:
    found: dict[str, DeployedDecision] = {}
    newest_first = sorted(latest_versions(session), key=lambda v: (v.created_at, v.id), reverse=True)
    for version in newest_first:
        if not principal.allows_process(version.process_key):
            continue
        for decision_id, table in _tables_of(rt, session, version).items():
            found.setdefault(decision_id, DeployedDecision(table, version.process_key, version.version, version.id))
    return found


def _cursor(decision_id: str) -> str:
    return base64.urlsafe_b64encode(decision_id.encode()).decode().rstrip("=")


def _after(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid cursor", {"after": ["not a cursor returned by this API"]}) from exc


def list_decisions(rt: Runtime, principal: Principal, after: str | None = None,
                   limit: int | None = None) -> paging.Page:
    """The deployed decisions the caller may see, by decision id, one page at a time."""
    limit = paging.check_limit(limit)
    start = _after(after) if after else None
    with rt.uow() as uow:
        decisions = sorted(_deployed(rt, uow.session, principal).values(), key=lambda d: d.decision_id)
    if start is not None:
        decisions = [d for d in decisions if d.decision_id > start]
    if len(decisions) > limit:
        return paging.Page(decisions[:limit], _cursor(decisions[limit - 1].decision_id))
    return paging.Page(decisions, None)


def get_decision(rt: Runtime, principal: Principal, decision_id: str) -> DeployedDecision:
    with rt.uow() as uow:
        decision = _deployed(rt, uow.session, principal).get(decision_id)
    if decision is None:
        raise NotFound(f"no decision '{decision_id}' is deployed")
    return decision


def evaluate(rt: Runtime, principal: Principal, decision_id: str, variables: dict) -> DecisionResult:
    """Run decision ``decision_id`` against ``variables`` in the script sandbox; nothing is stored.

    A rule that cannot be evaluated (a variable it needs is missing...) is ExecutionFailed (422).
    """
    principal.require(Role.SYSTEM, Role.MODELER, action="evaluate decisions")
    if not isinstance(variables, dict):
        raise InvalidInput("variables must be an object", {"variables": ["must be a JSON object"]})
    decision = get_decision(rt, principal, decision_id)
    try:
        return decision_tables.evaluate(decision.table, variables)
    except ExecutionError as exc:
        raise execution_failed(exc) from exc
