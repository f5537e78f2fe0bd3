"""``flowdesk users``: users and their API keys."""

from __future__ import annotations

import click

from ..config import Settings
from . import common


@click.group()
def users() -> None:
    """User and API key commands."""


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "modeler", "agent", "system", "auditor", "requester"]))
@click.option("--group", "groups", multiple=True, help="Group membership; repeat for several.")
@click.option("--lead-of", "lead_of", multiple=True, help="Member and lead of this group (assigns its tickets).")
@click.option("--process-key", "process_keys", multiple=True, help="Only these processes may be used (system).")
@click.option("--message", "message_names", multiple=True, help="Only these messages/signals may be sent (system).")
@click.option("--topic", "topics", multiple=True, help="Only these external-task topics may be worked (system).")
@click.option("--tenant", default=common.DEFAULT_TENANT, show_default=True, help="The tenant the user belongs to.")
def users_create(name: str, role: str, groups: tuple[str, ...], lead_of: tuple[str, ...],
                 process_keys: tuple[str, ...], message_names: tuple[str, ...], topics: tuple[str, ...],
                 tenant: str) -> None:
    """Create a user and print its API key (shown once)."""
    from ..engine.access import identity
    from ..engine.store.errors import DomainError

    runtime = common.runtime(Settings.from_env())
    try:
        _, key = identity.create_user(runtime, name, role, list(groups), lead_of=list(lead_of),
                                      process_keys=list(process_keys) or None,
                                      message_names=list(message_names) or None, topics=list(topics) or None,
                                      tenant=tenant)
    except DomainError as exc:
        common.fail(exc)
    click.echo(key)


@users.command("list")
@common.TENANT_OPTION
def users_list(tenant: str) -> None:
    """Users with their role, groups and keys (never the secrets)."""
    from ..engine.access import api_keys, identity
    from ..engine.store import paging

    runtime = common.runtime(Settings.from_env())
    with common.in_tenant(runtime, tenant):
        keys = list(paging.every(lambda after: api_keys.list_keys(runtime, common.operator(), after=after,
                                                                   limit=paging.MAX_LIMIT)))
        users = list(paging.every(lambda after: identity.list_users(runtime, common.operator(), after,
                                                                     paging.MAX_LIMIT)))
    for user in users:
        click.echo(f"{user.name}\t{user.role}\t{','.join(user.group_names) or '-'}")
        for key in (k for k in keys if k.user_id == user.id):
            state = "revoked" if key.revoked_at else f"expires {key.expires_at:%Y-%m-%dT%H:%MZ}" if key.expires_at \
                else "active"
            shown = f"{key.prefix}..." if key.prefix else "(chosen key)"
            click.echo(f"  key {key.id} {shown} {','.join(key.scopes)} {state}")


@users.command("delete")
@click.argument("name")
@common.TENANT_OPTION
def users_delete(name: str, tenant: str) -> None:
    """Delete a user and their keys."""
    from ..engine.access import identity
    from ..engine.store.errors import DomainError

    runtime = common.runtime(Settings.from_env())
    try:
        with common.in_tenant(runtime, tenant):
            identity.delete_user(runtime, common.operator(), name)
    except DomainError as exc:
        common.fail(exc)
    click.echo(f"deleted {name}")


@users.command("add-key")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write"]), help="Default: both.")
@click.option("--expires-in", type=click.IntRange(min=1), help="Seconds until the key stops working.")
@click.option("--label", help="What the key is for.")
@common.TENANT_OPTION
def users_add_key(name: str, scopes: tuple[str, ...], expires_in: int | None, label: str | None,
                  tenant: str) -> None:
    """Give user NAME another API key and print it (shown once)."""
    from ..engine.access import api_keys
    from ..engine.store.errors import DomainError

    runtime = common.runtime(Settings.from_env())
    try:
        with common.in_tenant(runtime, tenant):
            _, secret = api_keys.create(runtime, common.operator(), name, name=label,
                                        scopes=list(scopes) or None, expires_in=expires_in)
    except DomainError as exc:
        common.fail(exc)
    click.echo(secret)


@users.command("rotate-key")
@click.argument("key_id")
@click.option("--grace", default=0, show_default=True, type=click.IntRange(0, 7 * 24 * 3600),
              help="Seconds the old key keeps working.")
@common.TENANT_OPTION
def users_rotate_key(key_id: str, grace: int, tenant: str) -> None:
    """Replace API key KEY_ID by a new one with the same rights and print it (shown once)."""
    from ..engine.access import api_keys
    from ..engine.store.errors import DomainError

    runtime = common.runtime(Settings.from_env())
    try:
        with common.in_tenant(runtime, tenant):
            _, secret = api_keys.rotate(runtime, common.operator(), key_id, grace)
    except DomainError as exc:
        common.fail(exc)
    click.echo(secret)


@users.command("revoke-key")
@click.argument("key_id")
@common.TENANT_OPTION
def users_revoke_key(key_id: str, tenant: str) -> None:
    """Revoke API key KEY_ID at once."""
    from ..engine.access import api_keys
    from ..engine.store.errors import DomainError

    runtime = common.runtime(Settings.from_env())
    try:
        with common.in_tenant(runtime, tenant):
            api_keys.revoke(runtime, common.operator(), key_id)
    except DomainError as exc:
        common.fail(exc)
    click.echo(f"revoked {key_id}")


