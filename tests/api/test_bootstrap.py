"""First start: the admin user and its key."""

from flowdesk.api import create_app
from flowdesk.config import Settings
from flowdesk.engine.access import identity


def test_first_start_prints_admin_key_once(runtime, capsys):
    create_app(Settings(database_url=runtime.database_url, auto_migrate=False), runtime=runtime)
    printed = capsys.readouterr().out
    key = printed.split("API key ")[1].split()[0]
    assert identity.authenticate(runtime, key).role == "admin"

    create_app(Settings(database_url=runtime.database_url, auto_migrate=False), runtime=runtime)
    assert "API key" not in capsys.readouterr().out


def test_admin_key_setting_is_used(runtime, capsys):
    create_app(Settings(database_url=runtime.database_url, admin_key="fd_chosen_admin_key", auto_migrate=False),
               runtime=runtime)
    assert "API key" not in capsys.readouterr().out
    assert identity.authenticate(runtime, "fd_chosen_admin_key").name == "admin"

