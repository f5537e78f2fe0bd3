"""``flowdesk tenants`` and ``flowdesk signing-secret``: tenants and their signing keys."""

from __future__ import annotations

import sys

import click

from ..config import Settings
from . import common


@click.group()
def tenants() -> None:
    """Tenant commands: each tenant has its own users, definitions, instances and tickets."""


@tenants.command("create")
@click.argument("tenant_id")
@click.option("--name", help="Display name (default: the id).")
def tenants_create(tenant_id: str, name: str | None) -> None:
    """Create tenant TENANT_ID (a lowercase slug such as 'acme')."""
    from ..engine.store.errors import DomainError
    from ..engine.access.tenants import create_tenant

    runtime = common.runtime(Settings.from_env())
    try:
        tenant = create_tenant(runtime, tenant_id, name)
    except DomainError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)
    click.echo(f"tenant {tenant.id} ({tenant.name}) created")


@tenants.command("list")
def tenants_list() -> None:
    """List the tenants."""
    from ..engine.access.tenants import list_tenants

    for tenant in list_tenants(common.runtime(Settings.from_env())):
        click.echo(f"{tenant.id}\t{tenant.name}")


@click.command("signing-secret")
@click.option("--tenant", default=common.DEFAULT_TENANT, show_default=True, help="The tenant whose key to print.")
@click.option("--rotate", is_flag=True, help="Move the tenant to a new key first.")
@click.option("--overlap", default=86400, show_default=True, type=click.IntRange(0),
              help="With --rotate: seconds the previous key stays valid (calls carry both signatures).")
def signing_secret(tenant: str, rotate: bool, overlap: int) -> None:
    """Print the tenant's key its action servers verify X-Flowdesk-Signature with (hex).

    During a rotation's overlap the previous key is printed on a second line.
    """
    from ..engine.access import signing_keys
    from ..engine.store.errors import DomainError

    runtime = common.runtime(Settings.from_env(), migrate=False)
    try:
        if rotate:
            keys = signing_keys.rotate(runtime, tenant, overlap)
        else:
            keys = signing_keys.keys_for(runtime, tenant, signing_keys.ACTION_SIGNING)
    except DomainError as exc:
        common.fail(exc)
    for key in keys:
        click.echo(key.hex())


