"""Deploying BPMN/DMN uploads as versioned definitions, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass

from datetime import timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import defer

from ...bpmn import ModelError, ParsedProcess, ProcessSpec, XmlRefused, parse_models
from ..access import audit_log
from ..access.principal import Principal, Role
from ..models import DefinitionVersion, TimerStartSchedule
from ..store import audit, paging, tenancy
from ..store.changes import DEFINITIONS
from ..store.errors import BadDocument, Conflict, InvalidInput, InvalidModel, NotFound, PayloadTooLarge
from ..store.runtime import Runtime
from ..store.spec_cache import SpecCache
from ..store.unit_of_work import UnitOfWork
from . import forms

# Starting an instance needs a version's id and metadata; its BPMN source and serialized spec
# (tens of KB, the spec parsed as JSON) come from the spec cache, so they are not loaded with it.
WITHOUT_DOCUMENTS = (defer(DefinitionVersion.source), defer(DefinitionVersion.spec))


@dataclass
class Deployed:
    version: DefinitionVersion
    created: bool


@dataclass
class DefinitionSummary:
    process_key: str
    name: str
    latest_version: int
    versions: int
    latest: DefinitionVersion


def _parse(files: list[tuple[str, bytes]], max_bytes: int) -> list[ParsedProcess]:
    if not files:
        raise InvalidInput("no file uploaded", {"file": ["send one or more .bpmn/.dmn files"]})
    try:
        return parse_models(files, max_bytes)
    except XmlRefused as exc:
        if exc.too_large:
            raise PayloadTooLarge(f"{exc.filename}: {exc.message}") from exc
        raise BadDocument(f"{exc.filename}: {exc.message}", file=exc.filename) from exc
    except ModelError as exc:
        raise InvalidModel("the model cannot be deployed", [i.as_dict() for i in exc.issues]) from exc


def _is_form(filename: str, content: bytes) -> bool:
    return filename.lower().endswith(".json") or content.lstrip()[:1] == b"{"


def _check_calls(session, parsed: list[ParsedProcess]) -> None:
    """A call activity must call a process deployed before or in this same upload."""
    here = {p.process_id for p in parsed}
    issues = []
    for process in parsed:
        for called, pinned in process.external_calls.items():
            query = select(DefinitionVersion.id).where(DefinitionVersion.process_key == called)
            if pinned is not None:
                query = query.where(DefinitionVersion.version == pinned)
            if (called in here and pinned is None) or session.scalar(query.limit(1)) is not None:
                continue
            what = f"version {pinned} of process '{called}'" if pinned else f"process '{called}'"
            issues.append({"file": process.filename, "line": None, "element_id": process.process_id,
                           "message": f"a call activity calls {what}, which is not deployed"})
    if issues:
        raise InvalidModel("the model calls processes that are not deployed", issues)


def _check_form_files(parsed: list[ParsedProcess], form_names: set[str]) -> None:
    """A form file a task names must come in the same upload: without it the form would not be
    shown or enforced, and the task would complete with any data."""
    issues = [{"file": process.filename, "line": line, "element_id": element_id,
               "message": f"the task's form file '{name}' is not in this upload: deploy it with the model"}
              for process in parsed for element_id, line, name in process.form_files
              if name not in form_names and f"{name}.json" not in form_names]
    if issues:
        raise InvalidModel("the model names form files that are not deployed with it", issues)


def resolve_calls(rt: Runtime, session, version: DefinitionVersion | VersionRef) -> tuple[ProcessSpec, dict[str, str]]:
    """The version's spec with every separately deployed called process added, and their versions.

    Called processes are the latest deployed version unless the model pins one, resolved now
    (when an instance starts) and kept with the instance.
    """
    spec = spec_of(rt, session, version.id, version.process_key)
    pins = dict(version.external_calls or {})
    called: dict[str, str] = {}
    pending = set(spec.called_process_ids())
    while pending:
        process_id = pending.pop()
        query = select(DefinitionVersion).where(DefinitionVersion.process_key == process_id)
        if pins.get(process_id) is not None:
            query = query.where(DefinitionVersion.version == pins[process_id])
        target = session.scalar(query.order_by(DefinitionVersion.version.desc()).limit(1)
                                .options(*WITHOUT_DOCUMENTS))
        if target is None:
            raise Conflict(f"process '{version.process_key}' calls '{process_id}', which is not deployed")
        called[process_id] = target.id
        spec = spec.with_called({process_id: spec_of(rt, session, target.id, target.process_key)})
        pins.update({k: v for k, v in (target.external_calls or {}).items() if k not in pins})
        pending |= spec.called_process_ids() - set(called)
    return spec, called


def spec_with_calls(rt: Runtime, session, version_id: str, process_key: str, called: dict | None) -> ProcessSpec:
    """An instance's spec: its version plus the called versions fixed at its start (cached)."""
    spec = spec_of(rt, session, version_id, process_key)
    if not called:
        return spec
    key = version_id + "|" + ",".join(f"{k}={v}" for k, v in sorted(called.items()))
    return rt.specs.remember(key, lambda: spec.with_called({
        pid: spec_of(rt, session, vid, pid) for pid, vid in called.items()}))


def _start_events(process: ParsedProcess) -> dict:
    """The non-plain start events of a process, so messages, signals and timers find it fast, and
    the form its plain start event asks for (``form``: camunda:formData fields)."""
    spec = ProcessSpec.from_dict(process.process_id, process.spec_dict)
    starts = {
        "messages": spec.message_start_names(),
        "signals": spec.signal_start_names(),
        "timers": [{"element_id": t.element_id, "kind": t.kind, "value": t.value} for t in spec.timer_starts()],
    }
    if process.start_form:
        starts["form"] = {"fields": process.start_form}
    return starts


def with_start_form(session, version: DefinitionVersion) -> DefinitionVersion:
    """``version`` with ``start_form_schema`` (the JSON schema of its start form, or None) and
    ``start_form_fields`` (the fields in the modeler's order)."""
    form = (version.start_events or {}).get("form")
    version.start_form_schema = forms.schema_of(session, form)
    version.start_form_fields = forms.field_order(version.start_form_schema)
    return version


_START_EVENTS = SpecCache(capacity=256)  # definition version id -> (its start_events column,)


def start_form_schema(session, version_id: str) -> dict | None:
    """The JSON schema of the start form of the version ``version_id``, or None without one.

    A version's start events never change once deployed, so they are read once per process."""
    def load():
        return (session.scalar(select(DefinitionVersion.start_events).where(DefinitionVersion.id == version_id)),)
    start_events = _START_EVENTS.remember(version_id, load)[0]
    form = (start_events or {}).get("form")
    return forms.schema_of(session, form) if form else None


def schedule_timer_starts(session, version: DefinitionVersion, now) -> None:
    """The newest version of a process owns its timer start schedule; older ones stop starting."""
    session.execute(delete(TimerStartSchedule).where(TimerStartSchedule.process_key == version.process_key))
    spec = ProcessSpec.from_dict(version.process_key, version.spec)
    for start in spec.timer_starts():
        session.add(TimerStartSchedule(process_key=version.process_key, element_id=start.element_id,
                                       definition_version_id=version.id, reference_at=now,
                                       next_at=start.next_due(now, now - timedelta(microseconds=1))))


def deploy(rt: Runtime, principal: Principal, files: list[tuple[str, bytes]]) -> tuple[list[Deployed], list]:
    """Parse ``files`` and store a new version of each process (and form) whose content changed.

    Returns the processes and the JSON-schema forms deployed.
    """
    principal.require(Role.MODELER, action="deploy definitions")
    if not files:
        raise InvalidInput("no file uploaded", {"file": ["send one or more .bpmn/.dmn/.json files"]})
    form_files = [(name, content) for name, content in files if _is_form(name, content)]
    model_files = [(name, content) for name, content in files if not _is_form(name, content)]
    for name, content in form_files:
        if len(content) > rt.max_upload_bytes:
            raise PayloadTooLarge(f"{name}: file is larger than {rt.max_upload_bytes} bytes")
    schemas = [(name, forms.parse_schema(name, content)) for name, content in form_files]
    parsed = _parse(model_files, rt.max_upload_bytes) if model_files else []
    _check_form_files(parsed, {name for name, _ in form_files})
    with rt.uow() as uow:
        _check_calls(uow.session, parsed)
        deployed_forms = [forms.store(uow.session, name, schema, principal.name, rt.clock()) for name, schema in schemas]
        results = []
        for process in parsed:
            latest = uow.session.scalar(
                select(DefinitionVersion).where(DefinitionVersion.process_key == process.process_id)
                .order_by(DefinitionVersion.version.desc()).limit(1)
            )
            if latest is not None and latest.content_hash == process.content_hash:
                results.append(Deployed(latest, created=False))
                continue
            version = DefinitionVersion(
                process_key=process.process_id,
                version=(latest.version + 1) if latest else 1,
                name=process.name,
                filename=process.filename,
                content_hash=process.content_hash,
                source=process.source,
                spec=process.spec_dict,
                element_ids=process.element_ids,
                deployed_by=principal.name,
                created_at=rt.clock(),
            )
            version.start_events = _start_events(process)
            version.external_calls = process.external_calls or None
            version.retention_days = process.retention_days
            uow.session.add(version)
            uow.session.flush()
            _START_EVENTS.remember(version.id, lambda version=version: (version.start_events,))
            schedule_timer_starts(uow.session, version, rt.clock())
            audit.record(uow.session, "definition.deployed", principal.name, process_key=process.process_id,
                         version=version.version, definition_version_id=version.id)
            audit_log.record(uow.session, principal.name, "definition.deployed", "definition", process.process_id,
                             version=version.version, filename=process.filename)
            results.append(Deployed(version, created=True))
        uow.commit()
        return results, deployed_forms


def parse_upload(rt: Runtime, session, files: list[tuple[str, bytes]]) -> list[ParsedProcess]:
    """The processes :func:`deploy` would store for ``files``, refused as deploy refuses them; stores nothing."""
    if not files:
        raise InvalidInput("no file uploaded", {"file": ["send one or more .bpmn/.dmn/.json files"]})
    for name, content in files:
        if _is_form(name, content):
            if len(content) > rt.max_upload_bytes:
                raise PayloadTooLarge(f"{name}: file is larger than {rt.max_upload_bytes} bytes")
            forms.parse_schema(name, content)
    model_files = [(name, content) for name, content in files if not _is_form(name, content)]
    parsed = _parse(model_files, rt.max_upload_bytes) if model_files else []
    _check_form_files(parsed, {name for name, content in files if _is_form(name, content)})
    _check_calls(session, parsed)
    return parsed


def list_definitions(rt: Runtime, principal: Principal, after: str | None = None,
                     limit: int | None = None) -> paging.Page:
    """A page of process keys with their latest versions, by key."""
    limit = paging.check_limit(limit)
    with rt.uow() as uow:
        latest_numbers = (
            select(DefinitionVersion.process_key, func.max(DefinitionVersion.version).label("v"))
            .group_by(DefinitionVersion.process_key).subquery()
        )
        rows = uow.session.scalars(paging.apply_by_name(
            select(DefinitionVersion).join(
                latest_numbers,
                (DefinitionVersion.process_key == latest_numbers.c.process_key)
                & (DefinitionVersion.version == latest_numbers.c.v),
            ), DefinitionVersion.process_key, after, limit)
        ).all()
        page = paging.page_by_name(list(rows), limit, name_of=lambda row: row.process_key)
        counts = dict(uow.session.execute(
            select(DefinitionVersion.process_key, func.count())
            .where(DefinitionVersion.process_key.in_([r.process_key for r in page.items]))
            .group_by(DefinitionVersion.process_key)
        ).all())
        page.items = [DefinitionSummary(r.process_key, r.name, r.version, counts[r.process_key], r) for r in page.items]
        return page


def versions_of(rt: Runtime, principal: Principal, process_key: str) -> list[DefinitionVersion]:
    """All versions of ``process_key``, newest first; 404 when the key was never deployed."""
    with rt.uow() as uow:
        rows = uow.session.scalars(
            select(DefinitionVersion).where(DefinitionVersion.process_key == process_key)
            .order_by(DefinitionVersion.version.desc())
        ).all()
        if not rows:
            raise NotFound(f"no process '{process_key}' is deployed")
        return [with_start_form(uow.session, row) for row in rows]


def get_version(rt: Runtime, principal: Principal, process_key: str, version: int) -> DefinitionVersion:
    with rt.uow() as uow:
        row = uow.session.scalar(select(DefinitionVersion).where(
            DefinitionVersion.process_key == process_key, DefinitionVersion.version == version))
        if row is None:
            raise NotFound(f"process '{process_key}' has no version {version}")
        return row


@dataclass(frozen=True)
class VersionRef:
    """What starting an instance needs of a deployed version: plain values the read cache keeps."""

    id: str
    process_key: str
    version: int
    external_calls: dict | None


def _latest_ref(session, process_key: str) -> VersionRef | None:
    row = session.execute(
        select(DefinitionVersion.id, DefinitionVersion.process_key, DefinitionVersion.version,
               DefinitionVersion.external_calls)
        .where(DefinitionVersion.process_key == process_key)
        .order_by(DefinitionVersion.version.desc()).limit(1)).first()
    return None if row is None else VersionRef(*row)


def latest_version(uow: UnitOfWork, process_key: str) -> VersionRef:
    """The newest deployed version of ``process_key`` in the unit of work's tenant."""
    ref = uow.reads.get(DEFINITIONS, (uow.tenant, process_key), lambda: _latest_ref(uow.session, process_key))
    if ref is None:
        raise NotFound(f"no process '{process_key}' is deployed")
    return ref


def version_ref(uow: UnitOfWork, process_key: str | None = None, version: int | None = None,
                version_id: str | None = None) -> VersionRef:
    """A given version: by ``process_key`` and ``version`` number, or by its id."""
    query = select(DefinitionVersion.id, DefinitionVersion.process_key, DefinitionVersion.version,
                   DefinitionVersion.external_calls)
    if version_id is not None:
        query = query.where(DefinitionVersion.id == version_id)
    else:
        query = query.where(DefinitionVersion.process_key == process_key, DefinitionVersion.version == version)
    row = uow.session.execute(query).first()
    if row is None:
        raise NotFound(f"process definition '{version_id}' does not exist" if version_id is not None
                       else f"process '{process_key}' has no version {version}")
    return VersionRef(*row)


def find_versions(rt: Runtime, principal: Principal, *, process_key: str | None = None, version_id: str | None = None,
                  version: int | None = None, latest_only: bool = False, first: int = 0,
                  limit: int | None = None) -> list[DefinitionVersion]:
    """Deployed versions matching the filters, by key then version (the XML is loaded when read)."""
    with rt.uow() as uow:
        query = select(DefinitionVersion)
        if latest_only:
            newest = (select(DefinitionVersion.process_key, func.max(DefinitionVersion.version).label("v"))
                      .group_by(DefinitionVersion.process_key).subquery())
            query = query.join(newest, and_(DefinitionVersion.process_key == newest.c.process_key,
                                            DefinitionVersion.version == newest.c.v))
        for column, value in ((DefinitionVersion.process_key, process_key), (DefinitionVersion.id, version_id),
                              (DefinitionVersion.version, version)):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(DefinitionVersion.process_key, DefinitionVersion.version).offset(first)
        if limit is not None:
            query = query.limit(limit)
        return list(uow.session.scalars(query))


def latest_versions(session) -> list[DefinitionVersion]:
    """The latest version of every deployed process (of the session's tenant), by process key."""
    newest = select(DefinitionVersion.process_key, func.max(DefinitionVersion.version).label("version"))
    tenant = tenancy.scope_of(session)
    if tenant != tenancy.SYSTEM:
        newest = newest.where(DefinitionVersion.tenant_id == tenant)
    newest = newest.group_by(DefinitionVersion.process_key).subquery()
    return list(session.scalars(
        select(DefinitionVersion)
        .join(newest, and_(DefinitionVersion.process_key == newest.c.process_key,
                           DefinitionVersion.version == newest.c.version))
        .order_by(DefinitionVersion.process_key).options(*WITHOUT_DOCUMENTS)))


def spec_of(rt: Runtime, session, definition_version_id: str, process_key: str) -> ProcessSpec:
    """The cached spec of a version, loading its serialized form only on a cache miss."""
    def load():
        return session.scalar(select(DefinitionVersion.spec).where(DefinitionVersion.id == definition_version_id))
    return rt.specs.get(definition_version_id, process_key, load)
