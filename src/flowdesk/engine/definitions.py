"""Deploying BPMN/DMN uploads as versioned definitions, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..bpmn import ModelError, ParsedProcess, ProcessSpec, XmlRefused, parse_models
from . import audit
from .errors import BadDocument, InvalidInput, InvalidModel, NotFound, PayloadTooLarge
from .models import DefinitionVersion
from .principal import Principal, Role
from .runtime import Runtime


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


def deploy(rt: Runtime, principal: Principal, files: list[tuple[str, bytes]]) -> list[Deployed]:
    """Parse ``files`` and store a new version of each process whose content changed."""
    principal.require(Role.MODELER, action="deploy definitions")
    parsed = _parse(files, rt.max_upload_bytes)
    with rt.uow() as uow:
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
            uow.session.add(version)
            uow.session.flush()
            audit.record(uow.session, "definition.deployed", principal.name, process_key=process.process_id,
                         version=version.version, definition_version_id=version.id)
            results.append(Deployed(version, created=True))
        uow.commit()
        return results


def list_definitions(rt: Runtime, principal: Principal) -> list[DefinitionSummary]:
    """Every process key with its latest version, sorted by key."""
    with rt.uow() as uow:
        counts = dict(uow.session.execute(
            select(DefinitionVersion.process_key, func.count()).group_by(DefinitionVersion.process_key)
        ).all())
        latest_numbers = (
            select(DefinitionVersion.process_key, func.max(DefinitionVersion.version).label("v"))
            .group_by(DefinitionVersion.process_key).subquery()
        )
        rows = uow.session.scalars(
            select(DefinitionVersion).join(
                latest_numbers,
                (DefinitionVersion.process_key == latest_numbers.c.process_key)
                & (DefinitionVersion.version == latest_numbers.c.v),
            ).order_by(DefinitionVersion.process_key)
        ).all()
        return [DefinitionSummary(r.process_key, r.name, r.version, counts[r.process_key], r) for r in rows]


def versions_of(rt: Runtime, principal: Principal, process_key: str) -> list[DefinitionVersion]:
    """All versions of ``process_key``, newest first; 404 when the key was never deployed."""
    with rt.uow() as uow:
        rows = uow.session.scalars(
            select(DefinitionVersion).where(DefinitionVersion.process_key == process_key)
            .order_by(DefinitionVersion.version.desc())
        ).all()
        if not rows:
            raise NotFound(f"no process '{process_key}' is deployed")
        return list(rows)


def get_version(rt: Runtime, principal: Principal, process_key: str, version: int) -> DefinitionVersion:
    with rt.uow() as uow:
        row = uow.session.scalar(select(DefinitionVersion).where(
            DefinitionVersion.process_key == process_key, DefinitionVersion.version == version))
        if row is None:
            raise NotFound(f"process '{process_key}' has no version {version}")
        return row


def latest_version(session, process_key: str) -> DefinitionVersion:
    row = session.scalar(
        select(DefinitionVersion).where(DefinitionVersion.process_key == process_key)
        .order_by(DefinitionVersion.version.desc()).limit(1)
    )
    if row is None:
        raise NotFound(f"no process '{process_key}' is deployed")
    return row


def spec_of(rt: Runtime, session, definition_version_id: str, process_key: str) -> ProcessSpec:
    """The cached spec of a version, loading its serialized form only on a cache miss."""
    def load():
        return session.scalar(select(DefinitionVersion.spec).where(DefinitionVersion.id == definition_version_id))
    return rt.specs.get(definition_version_id, process_key, load)
