"""The flowdesk command line, run the way an operator runs it."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from flowdesk.cli import main

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.chdir(tmp_path)  # the key file of an unconfigured installation lands here
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], catch_exceptions=False)  # as an operator makes the database

    def run(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)
    return run


def test_db_upgrade(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0
    assert "upgraded" in result.output


def test_deploy_files(cli):
    result = cli("deploy", str(EXAMPLES / "ticket_progression.bpmn"), str(DATA / "two_processes.bpmn"))
    assert result.exit_code == 0, result.output
    assert "ticket_progression v1 (new version)" in result.output
    assert "proc_a v1" in result.output
    assert "ticket_progression v1 (unchanged)" in cli("deploy", str(EXAMPLES / "ticket_progression.bpmn")).output


def test_deploy_invalid_file_fails(cli):
    result = cli("deploy", str(DATA / "invalid_missing_ref.bpmn"))
    assert result.exit_code == 1
    assert "flow_work_to_nowhere" in result.output


def test_users_create_prints_working_key(cli, tmp_path):
    result = cli("users", "create", "sue", "--role", "agent", "--group", "support", "--group", "triage")
    assert result.exit_code == 0
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("fd_")

    from flowdesk.engine.access import identity
    from flowdesk.engine.store.runtime import Runtime

    principal = identity.authenticate(Runtime(f"sqlite:///{tmp_path / 'cli.sqlite3'}", master_key=b"unused"), key)
    assert (principal.name, principal.role, principal.groups) == ("sue", "agent", frozenset({"support", "triage"}))


def test_users_create_twice_fails(cli):
    cli("users", "create", "sue", "--role", "agent")
    assert cli("users", "create", "sue", "--role", "agent").exit_code == 1


def test_unconfigured_installation_gets_a_private_key_file(cli, tmp_path):
    cli("users", "create", "sue", "--role", "agent")
    key_file = tmp_path / "flowdesk.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert cli("signing-secret").output.strip() == cli("signing-secret").output.strip()


def test_unknown_role_is_refused(cli):
    assert cli("users", "create", "x", "--role", "wizard").exit_code != 0


def _authenticate(tmp_path, key):
    from flowdesk.engine.access import identity
    from flowdesk.engine.store.runtime import Runtime

    return identity.authenticate(Runtime(f"sqlite:///{tmp_path / 'cli.sqlite3'}", master_key=b"unused"), key)


def _key_ids(cli, user):
    lines = cli("users", "list").output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{user}\t"))
    return [line.split()[1] for line in lines[start + 1:] if line.startswith("  key ")]


def test_users_create_system_with_allow_lists(cli, tmp_path):
    key = cli("users", "create", "crm", "--role", "system", "--process-key", "billing", "--message", "paid").output
    principal = _authenticate(tmp_path, key.strip().splitlines()[-1])
    assert (principal.process_keys, principal.message_names) == (frozenset({"billing"}), frozenset({"paid"}))


def test_users_create_auditor(cli, tmp_path):
    key = cli("users", "create", "ida", "--role", "auditor").output.strip().splitlines()[-1]
    assert _authenticate(tmp_path, key).role == "auditor"


def test_users_list_shows_users_and_keys_without_secrets(cli):
    key = cli("users", "create", "sue", "--role", "agent", "--group", "support").output.strip().splitlines()[-1]
    listing = cli("users", "list").output
    assert "sue\tagent\tsupport" in listing
    assert key[:7] in listing and key[:8] not in listing


def test_users_add_key_with_scope_and_expiry(cli, tmp_path):
    cli("users", "create", "crm", "--role", "system")
    result = cli("users", "add-key", "crm", "--scope", "read", "--expires-in", "3600", "--label", "reports")
    assert result.exit_code == 0
    assert _authenticate(tmp_path, result.output.strip().splitlines()[-1]).scopes == frozenset({"read"})


def test_users_rotate_key_replaces_the_old_one(cli, tmp_path):
    from flowdesk.engine.store.errors import Unauthenticated

    old = cli("users", "create", "crm", "--role", "system").output.strip().splitlines()[-1]
    [key_id] = _key_ids(cli, "crm")
    new = cli("users", "rotate-key", key_id).output.strip().splitlines()[-1]
    assert _authenticate(tmp_path, new).name == "crm"
    with pytest.raises(Unauthenticated):
        _authenticate(tmp_path, old)


def test_users_revoke_key(cli, tmp_path):
    from flowdesk.engine.store.errors import Unauthenticated

    key = cli("users", "create", "crm", "--role", "system").output.strip().splitlines()[-1]
    [key_id] = _key_ids(cli, "crm")
    assert cli("users", "revoke-key", key_id).exit_code == 0
    with pytest.raises(Unauthenticated):
        _authenticate(tmp_path, key)
    assert "revoked" in cli("users", "list").output


def test_users_delete(cli):
    cli("users", "create", "sue", "--role", "agent")
    assert cli("users", "delete", "sue").exit_code == 0
    assert "sue" not in cli("users", "list").output
    assert cli("users", "delete", "sue").exit_code == 1


def test_tenants_create_and_a_user_of_that_tenant(cli, tmp_path):
    assert cli("tenants", "create", "acme", "--name", "Acme Corp").exit_code == 0
    assert "acme\tAcme Corp" in cli("tenants", "list").output
    result = cli("users", "create", "sue", "--role", "agent", "--tenant", "acme")
    assert result.exit_code == 0
    key = result.output.strip().splitlines()[-1]

    principal = _authenticate(tmp_path, key)
    assert (principal.name, principal.tenant_id) == ("sue", "acme")
    # The same name in the default tenant is another user.
    assert cli("users", "create", "sue", "--role", "agent").exit_code == 0


def test_deploy_into_a_tenant(cli):
    cli("tenants", "create", "acme")
    result = cli("deploy", "--tenant", "acme", str(EXAMPLES / "ticket_progression.bpmn"))
    assert result.exit_code == 0
    assert "ticket_progression v1 (new version)" in result.output
    assert "v1 (new version)" in cli("deploy", str(EXAMPLES / "ticket_progression.bpmn")).output


def test_unknown_or_invalid_tenant_is_refused(cli):
    assert cli("users", "create", "sue", "--role", "agent", "--tenant", "nobody").exit_code == 1
    assert cli("deploy", "--tenant", "nobody", str(EXAMPLES / "ticket_progression.bpmn")).exit_code == 1
    result = cli("tenants", "create", "Not A Slug")
    assert result.exit_code == 1 and "invalid tenant id" in result.output
    cli("tenants", "create", "acme")
    assert cli("tenants", "create", "acme").exit_code == 1


def test_user_commands_act_in_the_given_tenant(cli, tmp_path):
    cli("tenants", "create", "acme")
    cli("users", "create", "sue", "--role", "agent", "--tenant", "acme")
    assert "sue" not in cli("users", "list").output
    assert "sue\tagent" in cli("users", "list", "--tenant", "acme").output
    key = cli("users", "add-key", "sue", "--tenant", "acme").output.strip().splitlines()[-1]
    assert _authenticate(tmp_path, key).tenant_id == "acme"
    assert cli("users", "delete", "sue").exit_code == 1
    assert cli("users", "delete", "sue", "--tenant", "acme").exit_code == 0
    assert cli("users", "list", "--tenant", "nobody").exit_code == 1


def test_a_bad_setting_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("FLOWDESK_MAX_UPLOAD_BYTES", "2MB")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "FLOWDESK_MAX_UPLOAD_BYTES='2MB'" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def fresh_dir(tmp_path, monkeypatch):
    """An empty directory with no database configured: the default SQLite file would land here."""
    monkeypatch.delenv("FLOWDESK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_users_create_refuses_to_make_a_database_where_there_is_none(fresh_dir):
    result = CliRunner().invoke(main, ["users", "create", "sue", "--role", "agent"])
    assert result.exit_code == 1
    assert f"no database at {fresh_dir / 'flowdesk.sqlite3'}" in result.output
    assert "--create-database" in result.output
    assert not (fresh_dir / "flowdesk.sqlite3").exists()


def test_create_database_makes_one_when_asked(fresh_dir):
    result = CliRunner().invoke(main, ["--create-database", "users", "create", "sue", "--role", "agent"])
    assert result.exit_code == 0, result.output
    assert (fresh_dir / "flowdesk.sqlite3").exists()


def test_commands_say_which_database_they_use(cli, tmp_path):
    result = cli("users", "create", "sue", "--role", "agent")
    assert f"database: SQLite {tmp_path / 'cli.sqlite3'}" in result.output


def test_the_database_password_is_not_shown(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", "postgresql://fd:hunter2@127.0.0.1:1/flowdesk")
    result = CliRunner().invoke(main, ["users", "list"])
    assert "database: postgresql://fd:***@127.0.0.1:1/flowdesk" in result.output
    assert "hunter2" not in result.output


@pytest.mark.parametrize("host, public", [("127.0.0.1", "http://127.0.0.1:8123"),
                                          ("0.0.0.0", "http://127.0.0.1:8123"),
                                          ("::1", "http://[::1]:8123")])
def test_serve_port_is_the_default_public_url(fresh_dir, monkeypatch, host, public):
    monkeypatch.delenv("FLOWDESK_PUBLIC_URL", raising=False)
    assert _served_settings(monkeypatch, "--host", host, "--port", "8123").public_url == public


def test_a_configured_public_url_wins_over_serve_port(fresh_dir, monkeypatch):
    monkeypatch.setenv("FLOWDESK_PUBLIC_URL", "https://flow.example.com")
    assert _served_settings(monkeypatch, "--port", "8123").public_url == "https://flow.example.com"


def _served_settings(monkeypatch, *args):
    """The settings `flowdesk serve ARGS` builds its server with (the server is not started)."""
    import flowdesk.server

    built = []

    def build(settings):
        built.append(settings)
        raise SystemExit(0)
    monkeypatch.setattr(flowdesk.server, "build", build)
    CliRunner().invoke(main, ["serve", *args])
    return built[0]


def test_signing_secret_is_per_tenant_and_rotates_with_an_overlap(cli):
    cli("db", "upgrade")
    assert cli("tenants", "create", "acme").exit_code == 0
    default, acme = cli("signing-secret").stdout.split(), cli("signing-secret", "--tenant", "acme").stdout.split()
    assert len(default) == len(acme) == 1 and default != acme
    rotated = cli("signing-secret", "--tenant", "acme", "--rotate", "--overlap", "600").stdout.split()
    assert rotated[1:] == acme and rotated[0] not in acme
    assert cli("signing-secret", "--tenant", "acme").stdout.split() == rotated
    assert cli("signing-secret").stdout.split() == default
    assert cli("signing-secret", "--tenant", "nobody").exit_code == 1


@pytest.fixture
def heartbeats(tmp_path, monkeypatch):
    """The heartbeats of a process writing to the file ``flowdesk check`` reads (in ``tmp_path``)."""
    from flowdesk.engine.store.heartbeats import Heartbeats, file_for

    monkeypatch.setenv("FLOWDESK_HEARTBEAT_DIR", str(tmp_path))
    board = Heartbeats()
    board.write_to(file_for(str(tmp_path), "scheduler"))
    return board


def test_check_passes_while_the_loops_beat(cli, heartbeats):
    heartbeats.register("scheduler", stalled_after=60).beat()
    result = cli("check", "scheduler")
    assert result.exit_code == 0
    assert "scheduler: ok" in result.output


def test_check_fails_naming_a_loop_that_stopped_beating(cli, heartbeats):
    import time

    heartbeats.register("scheduler", stalled_after=60)
    heartbeats.register("dispatcher", stalled_after=0.1)
    time.sleep(0.2)
    result = cli("check", "scheduler")
    assert result.exit_code == 1
    assert "dispatcher: stalled" in result.output
    assert "scheduler: ok" in result.output


def test_check_fails_when_the_process_never_wrote_a_heartbeat(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWDESK_HEARTBEAT_DIR", str(tmp_path / "elsewhere"))
    result = cli("check", "worker")
    assert result.exit_code == 1
    assert "cannot read" in result.output
