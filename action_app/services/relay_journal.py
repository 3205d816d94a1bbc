"""The relay's journal: which claimed messages the mail server has already taken.

A relay records a whole batch's outcomes in one commit. A worker killed between the mail
server's "250 OK" and that commit would leave every message of the batch claimed but unrecorded,
and when the lease ran out they would all be sent again. So the moment the server takes a
message its id is written here (one Redis SET, outside the database transaction), and a relay
that claims a message whose lease ran out first asks the journal: one it holds is recorded as
sent, never sent again. At most the message in flight when the process died (taken by the
server, not yet journalled) goes twice, as before batching. Its commands go by ``kv.command``:
through redis-py's client, the SET after every message was about 7% of the relay's CPU.

Redis only: with no Redis (embedded mode) or when a write fails, ``record`` says so and the
relay commits after that message instead.
"""

from __future__ import annotations

import contextlib
import logging

import redis

from action_app.kv import RedisStore, command
from action_app.registry import current_registry

log = logging.getLogger(__name__)

PREFIX = "relay:sent:v1:"  # then the deployment's queue, then the message id
# Longer than any lease and any outage the sweep would still recover from.
TTL_SECONDS = 7 * 24 * 3600


class SendJournal:
    def __init__(self, client: redis.Redis, deployment: str):
        self.client = client
        # Message ids are only unique within one database: a journal entry of another
        # deployment on the same Redis must never make this one record a message as sent.
        self.prefix = f"{PREFIX}{deployment}:"

    def record(self, message_id: int) -> bool:
        """The server took this message; False if it could not be written down."""
        try:
            command(self.client, "SET", f"{self.prefix}{message_id}", "1", "EX", TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("Relay journal unavailable (committing each send instead): %s", exc)
            return False
        return True

    def holds(self, message_ids: list[int]) -> frozenset[int]:
        """Which of these messages the journal says were sent (none, if it cannot be read:
        then a message sent by a worker that died is sent once more, as without a journal)."""
        if not message_ids:
            return frozenset()
        try:
            found = command(self.client, "MGET", *(f"{self.prefix}{i}" for i in message_ids))
        except redis.RedisError as exc:
            log.warning("Relay journal unreadable: %s", exc)
            return frozenset()
        return frozenset(i for i, value in zip(message_ids, found, strict=True) if value)

    def forget(self, message_ids: list[int]) -> None:
        """Their outcomes are committed: the entries are no longer needed."""
        if not message_ids:
            return
        with contextlib.suppress(redis.RedisError):  # else they expire on their own
            command(self.client, "DEL", *(f"{self.prefix}{i}" for i in message_ids))


def send_journal() -> SendJournal | None:
    """The journal, when the shared store is Redis; else None."""
    registry = current_registry()
    store = registry.store
    if not isinstance(store, RedisStore):
        return None
    return SendJournal(store.client, registry.settings.celery_queue)
