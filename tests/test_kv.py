"""The key/value store: Redis with a breaker, or the cache table; both answer the same."""

from __future__ import annotations

import logging
import time

import pytest

from action_app import kv
from action_app.kv import RedisStore
from action_app.registry import registry_of
from tests.drafts import redis_writes
from tests.redis_server import ThrowawayRedis


@pytest.fixture
def store(any_app):
    """The app's store: Redis in production mode, the cache table when embedded."""
    return registry_of(any_app).store


def test_set_get_delete(store):
    store.set("k", "v", ttl_seconds=60)
    assert store.get("k") == "v"
    store.delete("k")
    assert store.get("k") is None


def test_incr_if_exists_adds_to_a_counter_and_leaves_a_missing_one_missing(store):
    store.set("count", "5", ttl_seconds=60)
    assert store.incr_if_exists("count", 2) == 7
    assert store.get("count") == "7"
    assert store.incr_if_exists("missing", 1) is None
    assert store.get("missing") is None


def test_an_expired_counter_is_not_brought_back(store, any_app):
    store.set("gone", "5", ttl_seconds=1)
    time.sleep(1.1)
    assert store.incr_if_exists("gone", 1) is None
    assert store.get("gone") is None


def test_purge_expired_removes_what_has_expired(store, any_app):
    store.set("old", "1", ttl_seconds=1)
    store.set("kept", "1", ttl_seconds=60)
    time.sleep(1.1)
    removed = store.purge_expired()
    assert removed == (0 if any_app.config["SETTINGS"].redis_url else 1)  # Redis expires its own
    assert store.get("kept") == "1"


class CountingClient:
    """Counts the commands sent to Redis (``kv.command``), to see the breaker skip it."""

    def __init__(self, store: RedisStore, monkeypatch):
        self.calls = 0
        real = kv.command

        def counted(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(kv, "command", counted)


def test_the_breaker_skips_redis_for_a_pause_after_a_failure(tmp_path, monkeypatch, caplog):
    server = ThrowawayRedis(tmp_path / "redis").start()
    store = RedisStore(server.url, pause=1.0)
    counting = CountingClient(store, monkeypatch)
    try:
        store.set("k", "v")
        assert store.get("k") == "v"
        server.stop()
        calls_before = counting.calls
        with caplog.at_level(logging.WARNING, logger="action_app.kv"):
            assert store.get("k") is None  # one failed attempt, not an exception
        assert counting.calls == calls_before + 1
        assert "Redis unavailable, carrying on without it for 1s" in caplog.text
        # Within the pause, nothing reaches Redis: an outage costs one failure, not one each.
        assert store.get("k") is None
        store.set("k", "w")
        assert store.incr_if_exists("k") is None
        store.delete("k")
        assert counting.calls == calls_before + 1

        server.start()  # the same port: Redis is back
        time.sleep(1.1)
        store.set("k", "back")
        assert store.get("k") == "back"
        assert counting.calls > calls_before + 1
    finally:
        store.close()
        server.stop()


def test_a_restarted_redis_is_reached_again_at_once(tmp_path, caplog):
    """Every pooled connection is dead after a restart: the first command on one is tried
    again on a fresh connection, so the store carries on without an error or a pause."""
    server = ThrowawayRedis(tmp_path / "redis").start()
    store = RedisStore(server.url, pause=30.0)
    try:
        store.set("k", "v")
        server.stop()
        server.start()  # the same port, nothing kept
        with caplog.at_level(logging.WARNING, logger="action_app.kv"):
            assert store.get("k") is None
            store.set("k", "again", ttl_seconds=60)
            assert store.get("k") == "again"
        assert "Redis unavailable" not in caplog.text
    finally:
        store.close()
        server.stop()


def test_a_script_redis_has_lost_is_sent_whole(tmp_path):
    server = ThrowawayRedis(tmp_path / "redis").start()
    store = RedisStore(server.url)
    try:
        store.set("count", "1", ttl_seconds=60)
        assert store.incr_if_exists("count") == 2
        kv.command(store.client, "SCRIPT", "FLUSH")
        assert store.incr_if_exists("count", 3) == 5
        assert store.incr_if_exists("missing") is None
    finally:
        store.close()
        server.stop()


def test_an_error_answer_is_raised_and_the_connection_stays_in_step(tmp_path):
    """A command Redis answers with an error raises redis-py's error, and the next command on
    that connection gets its own answer; one that times out leaves no late answer behind."""
    import redis

    server = ThrowawayRedis(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=0.3)
    try:
        kv.command(client, "SET", "text", "not a number")
        with pytest.raises(redis.ResponseError):
            kv.command(client, "INCR", "text")
        assert kv.command(client, "GET", "text") == "not a number"
        assert kv.command(client, "INCRBY", "n", 4) == 4
        assert len(client.connection_pool._available_connections) == 1  # the one, reused
        # No answer in time: that connection is dropped, so Redis's late answer (nil, after a
        # second) is never read as the next command's.
        with pytest.raises(redis.TimeoutError):
            kv.command(client, "BLPOP", "empty", 1)
        time.sleep(1.2)
        assert kv.command(client, "GET", "text") == "not a number"
    finally:
        client.close()
        server.stop()


def test_pipelined_commands_are_one_write_and_each_gets_its_own_answer(tmp_path, monkeypatch):
    """``kv.pipelined``: several commands in one round trip; an error answer takes its place
    without taking the others' (the connection stays in step), a lost script says so, and a
    connection that fails midway is dropped, never left with answers unread."""
    import redis

    server = ThrowawayRedis(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=0.3)
    writes = redis_writes(monkeypatch)
    try:
        kv.command(client, "SET", "text", "not a number")
        writes.clear()
        answers = kv.pipelined(
            client,
            [("INCR", "text"), ("SET", "flag", "1", "NX"), ("SET", "flag", "1", "NX"),
             ("EVALSHA", "0" * 40, 0), ("GET", "text")],
        )  # fmt: skip
        assert len(writes) == 1
        assert isinstance(answers[0], redis.ResponseError)
        assert answers[1:3] == ["OK", None]
        assert isinstance(answers[3], redis.exceptions.NoScriptError)
        assert answers[4] == "not a number"
        assert kv.command(client, "GET", "flag") == "1"  # the same connection, in step
        assert len(client.connection_pool._available_connections) == 1
        # The second command's answer does not come in time: the connection is dropped, so
        # its late answer is never read as a later command's.
        with pytest.raises(redis.TimeoutError):
            kv.pipelined(client, [("GET", "text"), ("BLPOP", "empty", 1)])
        assert client.connection_pool._available_connections == [] or all(
            c._sock is None for c in client.connection_pool._available_connections
        )
        time.sleep(1.2)
        assert kv.pipelined(client, [("GET", "text"), ("GET", "flag")]) == ["not a number", "1"]
    finally:
        client.close()
        server.stop()
