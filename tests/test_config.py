"""Settings from the environment: a bad value is refused with the variable's name and what it wants."""

import os

import pytest

from flowdesk.config import Settings, SettingsError


@pytest.fixture
def env(monkeypatch):
    for name in [n for n in os.environ if n.startswith("FLOWDESK_")]:
        monkeypatch.delenv(name)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"FLOWDESK_{name}", value)
    return set_env


def test_a_number_with_a_unit_names_the_variable_and_what_it_expects(env):
    env(MAX_UPLOAD_BYTES="2MB")
    with pytest.raises(SettingsError, match=r"FLOWDESK_MAX_UPLOAD_BYTES='2MB'.*whole number"):
        Settings.from_env()


def test_a_misspelt_boolean_is_refused_not_read_as_false(env):
    env(AUTO_MIGRATE="ture")
    with pytest.raises(SettingsError, match=r"FLOWDESK_AUTO_MIGRATE='ture'.*true or false"):
        Settings.from_env()


@pytest.mark.parametrize("raw, expected", [("true", True), ("1", True), ("Yes", True), ("on", True),
                                           ("false", False), ("0", False), ("no", False), ("OFF", False)])
def test_booleans_in_their_usual_spellings(env, raw, expected):
    env(AUTO_MIGRATE=raw)
    assert Settings.from_env().auto_migrate is expected


def test_negative_retention_is_refused(env):
    env(RETENTION_DAYS="-1")
    with pytest.raises(SettingsError, match=r"FLOWDESK_RETENTION_DAYS='-1'.*0 or more"):
        Settings.from_env()


def test_zero_upload_limit_is_refused(env):
    env(MAX_UPLOAD_BYTES="0")
    with pytest.raises(SettingsError, match="FLOWDESK_MAX_UPLOAD_BYTES"):
        Settings.from_env()


def test_keyword_construction_is_checked_too():
    with pytest.raises(SettingsError, match="FLOWDESK_RETENTION_DAYS"):
        Settings(database_url="sqlite://", retention_days=-5)


def test_an_unknown_log_level_is_refused(env):
    env(LOG_LEVEL="LOUD")
    with pytest.raises(SettingsError, match="FLOWDESK_LOG_LEVEL='LOUD'"):
        Settings.from_env()


def test_empty_rate_limit_means_no_limit(env):
    env(RATE_LIMIT="")
    assert Settings.from_env().rate_limit == ""


def test_unset_rate_limit_is_the_default(env):
    assert Settings.from_env().rate_limit == "1200/minute"


def test_a_secret_is_read_from_its_file(env, tmp_path):
    (tmp_path / "admin_key").write_text("fd_from_a_file\n")
    env(ADMIN_KEY_FILE=str(tmp_path / "admin_key"))
    assert Settings.from_env().admin_key == "fd_from_a_file"


def test_a_value_and_its_file_together_are_refused(env, tmp_path):
    (tmp_path / "key").write_text("one")
    env(SECRET_KEY="two", SECRET_KEY_FILE=str(tmp_path / "key"))
    with pytest.raises(SettingsError, match="both FLOWDESK_SECRET_KEY and FLOWDESK_SECRET_KEY_FILE"):
        Settings.from_env()


def test_a_missing_secret_file_is_named(env, tmp_path):
    env(DATABASE_URL_FILE=str(tmp_path / "nowhere"))
    with pytest.raises(SettingsError, match=r"FLOWDESK_DATABASE_URL_FILE=.*nowhere.*cannot be read"):
        Settings.from_env()
