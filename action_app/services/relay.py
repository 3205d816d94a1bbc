"""The mail relay's state, shared by every worker, the web's /healthz and the command line.

A relay that cannot be used (cannot connect, TLS, login) is a fault in our own set-up, not in
any letter. Sending then pauses: the letters wait in the database, none uses up an attempt, and
the first letter due after ``relay_retry_seconds`` tries the relay again. The failure is logged at
ERROR once per ``relay_log_seconds``, not once per letter. The state is one row of the
key/value table in the database (never Redis), so it holds when Redis is down too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import CacheEntry
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.sql import upsert

log = logging.getLogger(__name__)

STATE_KEY = "mail-relay-state"


class RelayStatus(StrEnum):
    UNKNOWN = "unknown"  # nothing sent since the state was last cleared
    OK = "ok"
    PAUSED = "paused"


@dataclass
class RelayState:
    status: RelayStatus = RelayStatus.UNKNOWN
    reason: str = ""
    since: str | None = None  # ISO times, UTC
    until: str | None = None
    logged: str | None = None
    failures: int = 0

    def paused_until(self, now: datetime) -> datetime | None:
        """When sending may try the relay again, if it is paused now."""
        if self.status != RelayStatus.PAUSED or self.until is None:
            return None
        until = datetime.fromisoformat(self.until)
        return until if until > now else None

    def as_dict(self) -> dict:
        values = asdict(self)
        values.pop("logged")
        values["status"] = str(self.status)
        return values


def relay_state() -> RelayState:
    """The relay's last known state (unknown until a worker has tried it)."""
    raw = db.session.scalar(select(CacheEntry.value).where(CacheEntry.key == STATE_KEY))
    if not raw:
        return RelayState()
    try:
        values = json.loads(raw)
        values["status"] = RelayStatus(values.get("status", "unknown"))
        return RelayState(**values)
    except (ValueError, TypeError):
        return RelayState()


def record_relay_failure(reason: str, state: RelayState | None = None) -> datetime:
    """The relay failed: pause sending, log at ERROR at most once per interval (flushes).
    Returns when sending should try again."""
    settings = current_registry().settings
    state = state or relay_state()
    now = utcnow()
    until = now + timedelta(seconds=settings.relay_retry_seconds)
    last_logged = datetime.fromisoformat(state.logged) if state.logged else None
    quiet = last_logged is not None and now - last_logged < timedelta(
        seconds=settings.relay_log_seconds
    )
    if not quiet:
        log.error(
            "The mail relay cannot be used, so sending is paused (no letter loses an attempt; "
            "retrying every %.0fs): %s",
            settings.relay_retry_seconds,
            reason,
        )
    if state.status != RelayStatus.PAUSED:
        state.since, state.failures = now.isoformat(), 0
    state.status, state.reason, state.until = RelayStatus.PAUSED, reason, until.isoformat()
    state.failures += 1
    state.logged = state.logged if quiet else now.isoformat()
    _save(state)
    return until


def record_relay_ok(state: RelayState) -> None:
    """A message went through the relay: clear a pause (flushes only when it changes)."""
    if state.status == RelayStatus.OK:
        return
    if state.status == RelayStatus.PAUSED:
        log.warning("The mail relay works again; sending resumes (%s)", state.reason)
    fresh = RelayState(status=RelayStatus.OK, since=utcnow().isoformat())
    _save(fresh)
    # The caller's copy follows, so a relay's batch saves the change once, not per message.
    state.__dict__.update(fresh.__dict__)


def _save(state: RelayState) -> None:
    values = asdict(state)
    values["status"] = str(state.status)
    statement = upsert(
        db.session.get_bind().dialect.name,
        CacheEntry.__table__,
        index=("key",),
        update=("value", "expires_at"),
    )
    db.session.execute(
        statement, {"key": STATE_KEY, "value": json.dumps(values), "expires_at": None}
    )
    db.session.flush()
