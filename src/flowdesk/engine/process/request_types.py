"""Request types: the deployed processes a model marks requestable, as requesters see them.

What a model says (name, description, allowed groups, start form, stages, public variables, how
to cancel) is read from the deployed source by :mod:`flowdesk.bpmn.request_types` and kept per
definition version, which never changes once deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ...bpmn.request_types import RequestSpec, request_spec
from ..access.principal import Principal
from ..models import DefinitionVersion
from ..store.errors import Forbidden, NotFound
from ..store.runtime import Runtime
from ..store.spec_cache import SpecCache
from . import forms
from .definitions import latest_version, latest_versions

_SPECS = SpecCache(capacity=256)  # definition version id -> (RequestSpec or None,)


@dataclass
class RequestType:
    spec: RequestSpec
    version: int
    form_schema: dict | None = None
    form_ui_schema: dict | None = None
    form_fields: list[str] = field(default_factory=list)

    def __getattr__(self, name: str):
        return getattr(self.spec, name)  # process_key, name, description, groups...


def spec_of_version(session, version_id: str, process_key: str) -> RequestSpec | None:
    """The request type of one deployed version (None: not requestable)."""
    def build():
        source = session.scalar(select(DefinitionVersion.source).where(DefinitionVersion.id == version_id))
        return (request_spec(source, process_key) if source else None,)
    return _SPECS.remember(f"{version_id}:{process_key}", build)[0]


def may_request(principal: Principal, spec: RequestSpec) -> bool:
    """Requesters of one of the type's groups (any requester when it names none), within their allow-list."""
    if not principal.allows_process(spec.process_key):
        return False
    return principal.reads_everything or not spec.groups or bool(principal.groups & set(spec.groups))


def require_reader(principal: Principal) -> None:
    """Request types are for requesters (and whoever reads everything)."""
    if not (principal.is_requester or principal.reads_everything):
        raise Forbidden(f"role '{principal.role}' has no request types; requesters open requests")


def with_form(session, spec: RequestSpec, version: int) -> RequestType:
    kind = RequestType(spec, version)
    kind.form_schema = forms.schema_of(session, spec.form)
    kind.form_ui_schema = forms.ui_schema_of(session, spec.form)
    kind.form_fields = forms.field_order(kind.form_schema, kind.form_ui_schema)
    return kind


def list_types(rt: Runtime, principal: Principal) -> list[RequestType]:
    """The request types the caller may open, by name."""
    require_reader(principal)
    with rt.uow() as uow:
        found = []
        for version in latest_versions(uow.session):
            spec = spec_of_version(uow.session, version.id, version.process_key)
            if spec is not None and may_request(principal, spec):
                found.append(with_form(uow.session, spec, version.version))
        return sorted(found, key=lambda kind: (kind.name.lower(), kind.process_key))


def find_type(uow, principal: Principal, process_key: str):
    """The latest version (a ``VersionRef``) of a request type the caller may open, and its spec;
    404 for anything else (no hint whether the process exists, is not requestable or is others')."""
    try:
        version = latest_version(uow, process_key)
    except NotFound:
        version = None
    spec = spec_of_version(uow.session, version.id, process_key) if version is not None else None
    if spec is None or not may_request(principal, spec):
        raise NotFound(f"no request type '{process_key}'")
    return version, spec


def get_type(rt: Runtime, principal: Principal, process_key: str) -> RequestType:
    require_reader(principal)
    with rt.uow() as uow:
        version, spec = find_type(uow, principal, process_key)
        return with_form(uow.session, spec, version.version)

