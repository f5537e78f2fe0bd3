"""The per-process read cache, and which committed changes empty it here and in other processes."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from flowdesk.engine.access import api_keys, identity, tenants
from flowdesk.engine.process import definitions, instances, webhooks
from flowdesk.engine.store import tenancy
from flowdesk.engine.store.changes import IDENTITY, WEBHOOKS
from flowdesk.engine.store.errors import Unauthenticated
from flowdesk.engine.models import ApiKey
from flowdesk.engine.access.principal import Principal
from flowdesk.engine.store.read_cache import ReadCache

ADMIN = Principal("u-admin", "admin", "admin")
SIMPLE = (Path(__file__).parent.parent / "data" / "simple_user_task.bpmn").read_bytes()


class Loads:
    """A loader that counts its calls and returns the next of ``values``."""

    def __init__(self, *values):
        self.values = list(values)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.values.pop(0)


class RecordingFeed:
    """A change feed that listens from the start and records what this process publishes."""

    def __init__(self):
        self.published: list[set[str]] = []
        self.on_change = None

    def publish(self, topics):
        self.published.append(set(topics))

    def listen(self, on_change, on_listening):
        self.on_change = on_change
        on_listening(True)

    def close(self):
        pass


@pytest.fixture
def cache():
    cache = ReadCache()
    cache.set_enabled(True)
    return cache


@pytest.fixture
def feed(runtime):
    feed = RecordingFeed()
    runtime.attach_change_feed(feed)
    return feed


@pytest.fixture
def agent_key(runtime):
    _, key = identity.create_user(runtime, "agent", "agent", ["sales"])
    return key


def test_a_disabled_cache_loads_every_time():
    cache, load = ReadCache(), Loads(1, 2)
    assert [cache.get("t", "k", load), cache.get("t", "k", load)] == [1, 2]


def test_an_enabled_cache_loads_once(cache):
    load = Loads(1, 2)
    assert [cache.get("t", "k", load), cache.get("t", "k", load)] == [1, 1]
    assert load.calls == 1


def test_invalidating_a_topic_drops_only_its_values(cache):
    cache.get("a", "k", Loads(1))
    cache.get("b", "k", Loads(1))
    cache.invalidate({"a"})
    assert cache.get("a", "k", Loads(2)) == 2
    assert cache.get("b", "k", Loads(2)) == 1


def test_a_load_overlapping_an_invalidation_is_not_kept(cache):
    def load_while_someone_changes_it():
        cache.invalidate({"t"})  # the change commits while the old row is being read
        return "old"

    assert cache.get("t", "k", load_while_someone_changes_it) == "old"
    assert cache.get("t", "k", Loads("new")) == "new"


def test_nothing_is_kept_for_a_missing_row(cache):
    load = Loads(None, None)
    cache.get("t", "k", load)
    cache.get("t", "k", load)
    assert load.calls == 2


def test_values_expire_after_max_age():
    now = [0.0]
    cache = ReadCache(max_age=5.0, clock=lambda: now[0])
    cache.set_enabled(True)
    cache.get("t", "k", Loads(1))
    now[0] = 4.9
    assert cache.get("t", "k", Loads(2)) == 1
    now[0] = 5.1
    assert cache.get("t", "k", Loads(3)) == 3


def test_turning_the_cache_off_drops_what_it_kept(cache):
    cache.get("t", "k", Loads(1))
    cache.set_enabled(False)
    cache.set_enabled(True)
    assert cache.get("t", "k", Loads(2)) == 2


def test_a_full_topic_drops_its_least_recently_used_value():
    cache = ReadCache(max_entries=2)
    cache.set_enabled(True)
    for key in ("a", "b", "c"):
        cache.get("t", key, Loads(key))
    assert cache.get("t", "c", Loads("again")) == "c"
    assert cache.get("t", "a", Loads("again")) == "again"


def test_a_forked_child_keeps_nothing(cache, monkeypatch):
    cache.get("t", "k", Loads(1))
    monkeypatch.setattr("os.getpid", lambda: -1)  # as in a child forked after the listener started
    assert not cache.enabled
    assert cache.get("t", "k", Loads(2)) == 2


def test_without_a_listening_feed_a_runtime_keeps_nothing(runtime, agent_key):
    identity.authenticate(runtime, agent_key)
    assert not runtime.reads.enabled
    with runtime.uow() as uow:
        uow.session.execute(sa.update(ApiKey).values(revoked_at=sa.func.now()))
        uow.commit()
    with pytest.raises(Unauthenticated):
        identity.authenticate(runtime, agent_key)


def test_an_authenticated_key_is_read_once(runtime, feed, agent_key):
    identity.authenticate(runtime, agent_key)  # first use: records it, so reads the key again next time
    identity.authenticate(runtime, agent_key)
    statements = []
    sa.event.listen(runtime.db, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert identity.authenticate(runtime, agent_key).name == "agent"
    assert statements == []


def test_revoking_a_key_refuses_it_at_once_and_tells_the_others(runtime, feed, agent_key):
    identity.authenticate(runtime, agent_key)
    key_id = api_keys.list_keys(runtime, ADMIN).items[-1].id
    api_keys.revoke(runtime, ADMIN, key_id)
    with pytest.raises(Unauthenticated):
        identity.authenticate(runtime, agent_key)
    assert {IDENTITY} in feed.published


def test_a_changed_group_membership_is_seen_at_once(runtime, feed, agent_key):
    assert identity.authenticate(runtime, agent_key).groups == frozenset({"sales"})
    identity.update_user(runtime, ADMIN, "agent", groups=["sales", "billing"])
    assert identity.authenticate(runtime, agent_key).groups == frozenset({"sales", "billing"})


def test_recording_a_keys_last_use_publishes_nothing(runtime, feed, agent_key):
    feed.published.clear()
    identity.authenticate(runtime, agent_key)  # first use: last_used_at is written
    with runtime.uow() as uow:
        assert uow.session.scalar(sa.select(ApiKey.last_used_at).where(ApiKey.name != "x").limit(1)) is not None
    assert feed.published == []


def test_a_rolled_back_change_publishes_nothing(runtime, feed):
    feed.published.clear()
    with runtime.uow() as uow:
        uow.session.execute(sa.update(ApiKey).values(name="never"))
    assert feed.published == []


def test_a_new_webhook_subscription_receives_the_next_event(runtime, feed):
    def emit_started():
        with runtime.uow() as uow:
            webhooks.emit(uow, "instance.started", {"instance_id": None})
            uow.commit()

    emit_started()  # nobody subscribed: an empty list is kept
    webhooks.subscribe(runtime, ADMIN, "http://127.0.0.1:9/hook", ["instance.started"])
    assert {WEBHOOKS} in feed.published
    emit_started()
    subscription_id = webhooks.list_subscriptions(runtime, ADMIN).items[0].id
    assert len(webhooks.deliveries(runtime, ADMIN, subscription_id).items) == 1


def test_a_notice_from_another_process_empties_the_topic(runtime, feed, agent_key):
    identity.authenticate(runtime, agent_key)
    identity.authenticate(runtime, agent_key)  # kept from here on
    with runtime.uow() as uow:  # another process revokes the key: this one only hears of it
        uow.session.execute(sa.update(ApiKey).values(revoked_at=sa.func.now())
                            .execution_options(flowdesk_unwatched=True))
        uow.commit()
    identity.authenticate(runtime, agent_key)  # still kept
    feed.on_change({IDENTITY})
    with pytest.raises(Unauthenticated):
        identity.authenticate(runtime, agent_key)


def _started_version(runtime) -> int:
    return instances.start_instance(runtime, ADMIN, "simple_user_task").instance.process_version


def test_a_start_right_after_a_deploy_runs_the_new_version(runtime, feed):
    definitions.deploy(runtime, ADMIN, [("v1.bpmn", SIMPLE)])
    assert _started_version(runtime) == 1
    definitions.deploy(runtime, ADMIN, [("v2.bpmn", SIMPLE.replace(b'name="Approve"', b'name="Approve it"'))])
    assert _started_version(runtime) == 2


def test_each_tenant_starts_its_own_latest_version(runtime, feed):
    tenants.create_tenant(runtime, "acme")
    definitions.deploy(runtime, ADMIN, [("v1.bpmn", SIMPLE)])
    definitions.deploy(runtime, ADMIN, [("v2.bpmn", SIMPLE.replace(b'name="Approve"', b'name="Approve it"'))])
    assert _started_version(runtime) == 2
    with tenancy.acting_for("acme"):
        definitions.deploy(runtime, ADMIN, [("v1.bpmn", SIMPLE)])
        assert _started_version(runtime) == 1
    assert _started_version(runtime) == 2
