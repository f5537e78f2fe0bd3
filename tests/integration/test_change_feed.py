"""Processes that keep keys and webhook subscriptions hear each other's changes over real Redis."""

import time

import pytest
from redis import Redis

from flowdesk.engine.access import api_keys, identity
from flowdesk.engine.process import webhooks
from flowdesk.engine.store.errors import Unauthenticated
from flowdesk.engine.access.principal import Principal
from flowdesk.engine.store.runtime import Runtime
from flowdesk.workers.change_feed import RedisChangeFeed

ADMIN = Principal("u-admin", "admin", "admin")


@pytest.fixture
def listening(redis_url, eventually):
    """``listening(rt)``: ``rt`` with a change feed on Redis, once it has subscribed."""
    def attach(rt: Runtime) -> Runtime:
        rt.attach_change_feed(RedisChangeFeed(redis_url))
        assert eventually(lambda: rt.reads.enabled), "the change feed never subscribed"
        return rt
    return attach


@pytest.fixture
def here(pg_runtime, listening):
    """This process's runtime, listening on the change feed."""
    return listening(pg_runtime)


@pytest.fixture
def there(postgres_url, master_key, listening, here):
    """Another process's runtime on the same database and Redis."""
    rt = listening(Runtime(postgres_url, master_key=master_key))
    yield rt
    rt.close()


def refused(rt: Runtime, key: str) -> bool:
    try:
        identity.authenticate(rt, key)
    except Unauthenticated:
        return True
    return False


def test_a_key_revoked_in_one_process_is_refused_by_another(here, there, eventually):
    _, key = identity.create_user(here, "agent", "agent")
    identity.authenticate(there, key)
    identity.authenticate(there, key)  # kept by the other process from here on
    api_keys.revoke(here, ADMIN, api_keys.list_keys(here, ADMIN).items[-1].id)
    assert eventually(lambda: refused(there, key), timeout=2.0)


def test_a_subscription_made_in_one_process_gets_the_others_events(here, there, eventually):
    def emit_in_there():
        with there.uow() as uow:
            webhooks.emit(uow, "ticket.created", {"instance_id": None})
            uow.commit()

    emit_in_there()  # nobody subscribed yet: the other process keeps an empty list
    subscription = webhooks.subscribe(here, ADMIN, "http://127.0.0.1:9/hook", ["ticket.created"]).subscription
    assert eventually(lambda: not there.reads._entries.get("webhooks"), timeout=2.0)
    emit_in_there()
    assert len(webhooks.deliveries(here, ADMIN, subscription.id).items) == 1


def test_nothing_is_kept_while_redis_is_unreachable(pg_runtime):
    pg_runtime.attach_change_feed(RedisChangeFeed("redis://127.0.0.1:9/0", retry_after=0.1))
    _, key = identity.create_user(pg_runtime, "agent", "agent")
    time.sleep(0.3)
    assert not pg_runtime.reads.enabled
    identity.authenticate(pg_runtime, key)
    assert not pg_runtime.reads._entries


def test_a_dropped_subscription_turns_the_cache_off_until_it_is_back(redis_url, eventually):
    feed, states = RedisChangeFeed(redis_url, retry_after=0.5), []
    feed.listen(lambda topics: None, states.append)
    try:
        assert eventually(lambda: states == [True])
        Redis.from_url(redis_url).client_kill_filter(_type="pubsub")
        assert eventually(lambda: states == [True, False, True])
    finally:
        feed.close()


def test_a_published_change_reaches_every_listener(redis_url, eventually):
    feeds, heard = [RedisChangeFeed(redis_url) for _ in range(2)], []
    for feed in feeds:
        feed.listen(heard.append, lambda listening: None)
    try:
        assert eventually(lambda: all(feed.listening for feed in feeds))
        feeds[0].publish({"identity", "webhooks"})
        assert eventually(lambda: heard == [{"identity", "webhooks"}] * 2)
    finally:
        for feed in feeds:
            feed.close()


def test_a_key_revoked_from_the_command_line_is_refused_by_a_running_server(here, eventually, postgres_url, redis_url,
                                                                           master_key, monkeypatch):
    from click.testing import CliRunner

    from flowdesk.cli import main

    _, key = identity.create_user(here, "agent", "agent")
    identity.authenticate(here, key)
    identity.authenticate(here, key)  # kept by the server process from here on
    for name, value in {"FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": redis_url,
                        "FLOWDESK_SECRET_KEY": master_key.decode(), "FLOWDESK_AUTO_MIGRATE": "false"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["users", "revoke-key", api_keys.list_keys(here, ADMIN).items[-1].id])
    assert result.exit_code == 0, result.output
    assert eventually(lambda: refused(here, key), timeout=2.0)


def test_a_process_told_not_to_keep_reads_the_database_but_still_announces(here, eventually, postgres_url, redis_url,
                                                                            master_key, monkeypatch):
    from flowdesk.config import Settings
    from flowdesk.server import build
    from flowdesk.workers import context

    for name, value in {"FLOWDESK_DATABASE_URL": postgres_url, "FLOWDESK_REDIS_URL": redis_url,
                        "FLOWDESK_SECRET_KEY": master_key.decode(), "FLOWDESK_AUTO_MIGRATE": "false",
                        "FLOWDESK_READ_CACHE": "false"}.items():
        monkeypatch.setenv(name, value)
    _, uncached = build(Settings.from_env())
    try:
        _, key = identity.create_user(here, "agent", "agent")
        identity.authenticate(here, key)
        identity.authenticate(here, key)  # kept by the listening process
        time.sleep(0.2)
        assert not uncached.reads.enabled
        api_keys.revoke(uncached, ADMIN, api_keys.list_keys(uncached, ADMIN).items[-1].id)
        assert eventually(lambda: refused(here, key), timeout=2.0)
    finally:
        uncached.close()
        context.use(None)


def test_a_failing_notice_handler_is_reported_as_such_and_the_cache_restarts(redis_url, eventually, caplog):
    feed = RedisChangeFeed(redis_url, retry_after=0.05)
    states = []

    def on_change(topics):
        raise RuntimeError("handler bug")

    feed.listen(on_change, states.append)
    try:
        assert eventually(lambda: states == [True])
        feed.publish({"keys"})
        assert eventually(lambda: states[-3:] == [True, False, True])  # off, then resubscribed empty
    finally:
        feed.close()

    failures = [r for r in caplog.records if r.name == "flowdesk.workers.change_feed" and r.levelname == "ERROR"]
    assert failures and "applying a change notice failed" in failures[0].getMessage()
    assert "handler bug" in repr(failures[0].exc_info[1].__cause__)
    assert not any("lost Redis" in r.getMessage() for r in caplog.records)
