"""A small key/value store for caches and hot counters: Redis in production, a table when embedded.

Both are best-effort by design. A cache or a counter that cannot be reached must never stop a
supporter: Redis errors are logged, the store stays out of the way for a few seconds (so an outage
costs one failed connection, not one per request), and callers fall back to the database.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Protocol

import redis
from sqlalchemy import Engine, Integer, String, cast, delete, select, update

from action_app.models.cache import CacheEntry
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.sql import upsert

log = logging.getLogger(__name__)


def command(client: redis.Redis, *args):
    """One Redis command on a connection from ``client``'s pool, sent and its answer read
    directly: what ``client.execute_command`` does, without what redis-py 7 wraps around each
    command (its retry object, observability hooks, argument checks and answer callbacks), which
    was more than half its CPU for the short commands on a letter's path. The answer is the
    connection's (no callback: ``SET`` gives "OK", not True). Errors are redis-py's. A
    connection whose answer was not read (a timeout, anything raised between sending and
    reading) is dropped, never left for the next caller to read a late answer from; the pool
    finds one that Redis closed (a restart) as it hands it out, and makes a new one.
    tests/test_kv.py holds it to both."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_command(*args)
        return connection.read_response()
    except redis.ResponseError:
        raise  # the server's answer was an error: the connection is in step
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


def pipelined(client: redis.Redis, commands: list[tuple]) -> list:
    """Several commands in one round trip: written together on one pooled connection, then each
    answer read in turn (a pipeline without MULTI: each command runs alone, as separate calls
    would, only without a wait between them). An answer that is an error (``ResponseError``,
    ``NoScriptError``) is put in its place, not raised: the connection is in step after it. Any
    other error raises, and the connection is dropped, as in ``command``."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        answers = []
        for _ in commands:
            try:
                answers.append(connection.read_response())
            except redis.ResponseError as error:  # read whole: the next answer follows it
                answers.append(error)
        return answers
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


def run_script(client: redis.Redis, script, keys: list[str], args: list) -> object:
    """A registered script (``client.register_script``) by its hash, through ``command``; sent
    whole if this Redis does not have it (it was restarted, or its scripts flushed)."""
    try:
        return command(client, "EVALSHA", script.sha, len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:
        return command(client, "EVAL", script.script, len(keys), *keys, *args)


class KeyValueStore(Protocol):
    """What callers may ask of either store; every method is best-effort (see above)."""

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None: ...
    def incr_if_exists(self, key: str, amount: int = 1) -> int | None: ...
    def delete(self, key: str) -> None: ...
    def purge_expired(self) -> int: ...
    def close(self) -> None: ...


class RedisStore:
    """Redis with short timeouts and a breaker: after a failure, skip it for ``pause`` seconds."""

    def __init__(self, url: str, pause: float = 5.0):
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5, decode_responses=True
        )
        self.pause = pause
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._incr_existing = self.client.register_script(
            "if redis.call('EXISTS', KEYS[1]) == 1 then "
            "return redis.call('INCRBY', KEYS[1], ARGV[1]) end return nil"
        )

    def usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def failed(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.pause
        log.warning("Redis unavailable, carrying on without it for %.0fs: %s", self.pause, exc)

    def get(self, key: str) -> str | None:
        if not self.usable():
            return None
        try:
            return command(self.client, "GET", key)
        except redis.RedisError as exc:
            self.failed(exc)
            return None

    def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        if not self.usable():
            return
        try:
            if ttl_seconds:
                command(self.client, "SET", key, value, "EX", ttl_seconds)
            else:
                command(self.client, "SET", key, value)
        except redis.RedisError as exc:
            self.failed(exc)

    def incr_if_exists_command(self, key: str, amount: int = 1) -> tuple:
        """``incr_if_exists`` as a command to send with others (``pipelined``); if its answer
        is ``NoScriptError`` (Redis lost its scripts), call ``incr_if_exists``."""
        return ("EVALSHA", self._incr_existing.sha, 1, key, amount)

    def incr_if_exists(self, key: str, amount: int = 1) -> int | None:
        """Add to a counter that exists (keeping its expiry); a missing one stays missing."""
        if not self.usable():
            return None
        try:
            value = run_script(self.client, self._incr_existing, [key], [amount])
        except redis.RedisError as exc:
            self.failed(exc)
            return None
        return None if value is None else int(value)

    def delete(self, key: str) -> None:
        if not self.usable():
            return
        try:
            command(self.client, "DEL", key)
        except redis.RedisError as exc:
            self.failed(exc)

    def purge_expired(self) -> int:
        """Nothing to do: Redis expires keys itself."""
        return 0

    def close(self) -> None:
        self.client.close()


class DatabaseStore:
    """The cache table, on its own connection so it never joins a request's unit of work."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(CacheEntry.value, CacheEntry.expires_at).where(CacheEntry.key == key)
            ).first()
        if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
            return None
        return row.value

    def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        expires = utcnow() + timedelta(seconds=ttl_seconds) if ttl_seconds else None
        with self.engine.begin() as conn:
            statement = upsert(
                conn.dialect.name,
                CacheEntry.__table__,
                index=("key",),
                update=("value", "expires_at"),
            )
            conn.execute(statement, {"key": key, "value": value, "expires_at": expires})

    def incr_if_exists(self, key: str, amount: int = 1) -> int | None:
        """Add to a counter that exists and has not expired; return its new value, or None
        when there is no such counter (it stays missing)."""
        with self.engine.begin() as conn:
            value = conn.execute(
                update(CacheEntry)
                .where(CacheEntry.key == key)
                .where((CacheEntry.expires_at.is_(None)) | (CacheEntry.expires_at > utcnow()))
                .values(value=cast(cast(CacheEntry.value, Integer) + amount, String))
                .returning(CacheEntry.value)
            ).scalar()
        return None if value is None else int(value)

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(CacheEntry).where(CacheEntry.key == key))

    def purge_expired(self) -> int:
        """Delete the entries whose time is up; returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(CacheEntry).where(CacheEntry.expires_at <= utcnow()))
        return result.rowcount or 0

    def close(self) -> None:
        """Nothing to close: the engine's pool belongs to the app."""


def get_store() -> KeyValueStore:
    """The current app's store."""
    return current_registry().store
