"""New drafts kept in Redis until they are sent: Continue writes nothing to the database.

Continue is the busiest request in a surge, and the draft's INSERT was the largest single part
of its cost, about a quarter (with it, the stack alone is barely above the letter submit aim:
``bench/floor.py``). With
Redis, a new draft is parked there instead, by one script, for as long as a draft lives
(``retention.DRAFT_HOURS``): its row's values as JSON under its public id, its form token (so a
form posted twice is one draft, as the token's unique index made it), and its id in a set under a
keyed hash of its address (so ``people`` finds it).

- The pages that show a draft (the check page, "Change", "send it myself") read it from here
  first and build the letter from it, not saved (``letter``).
- Send's usual case writes it, already sent, in one statement (``first_send``).
- Anything else that changes it (Send otherwise, "send it myself", a change saved) first writes
  the row into the database (``materialize``) with the same INSERT Continue used to make,
  committed alone, and the parked copy is removed; then it goes on exactly as before,
  rollbacks and all.
- Without Redis (embedded mode), with ``PARK_DRAFTS=false``, or when Redis cannot be reached
  as Continue saves, the draft goes into the database as it always did (drafts parked before
  are still read, written and sent). A parked draft that cannot be read because Redis is down
  raises ``ParkedUnavailable``: the supporter is asked to try again shortly (503), not told
  their letter is gone.

Redis must keep what it is given (no eviction policy that drops keys, persistence on):
``docker-compose.yml`` runs it so. For a Redis that cannot promise that, set PARK_DRAFTS=false.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from types import SimpleNamespace

import redis
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class

from action_app.extensions import db
from action_app.kv import RedisStore, command, get_store, run_script
from action_app.models import Letter
from action_app.rate_limits import CHAIN_FUNCTION, Refused, Try, unnamed
from action_app.registry import current_registry
from action_app.services.retention import DRAFT_HOURS
from action_app.sql import insert_unless_exists, run_alone

TTL_SECONDS = DRAFT_HOURS * 3600
DRAFT_PREFIX, _TOKEN, _BY_EMAIL = "parked:draft:", "parked:token:", "parked:by-email:"
# Park a draft: its form token's key, its key and its address's set, its public id, its row and
# how long they live. A token posted before answers with the draft it made (parked, or written
# since).
_PARK_FUNCTION = """
local function park(token, draft, by_email, public_id, row, ttl)
  local earlier = redis.call('GET', token)
  if earlier then return earlier end
  redis.call('SET', token, public_id, 'EX', ttl)
  redis.call('SET', draft, row, 'EX', ttl)
  redis.call('SADD', by_email, public_id)
  redis.call('EXPIRE', by_email, ttl)
  return public_id
end
"""
# KEYS: the form token's key, the draft's key, the address's set. ARGV: public id, row, TTL.
_PARK = _PARK_FUNCTION + "return park(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])\n"
# The same, after counting the try against its limits (``rate_limits.CHAIN_FUNCTION``), in one
# round trip: a try the limits refuse parks nothing and answers the full limit's place (an
# integer; a public id is a string). KEYS: the limits' keys, then the three above. ARGV: the
# chain's (the time, each limit's size and window), then the three above.
_COUNT_AND_PARK = (
    CHAIN_FUNCTION
    + _PARK_FUNCTION
    + """
local n = #KEYS - 3
local full = chain({unpack(KEYS, 1, n)}, tonumber(ARGV[1]), {unpack(ARGV, 2, 1 + 2 * n)})
if full > 0 then return full end
local a = 2 + 2 * n
return park(KEYS[n + 1], KEYS[n + 2], KEYS[n + 3], ARGV[a], ARGV[a + 1], ARGV[a + 2])
"""
)


def _script(text: str) -> SimpleNamespace:
    """What ``kv.run_script`` needs of a script: its text, and the hash Redis knows it by."""
    return SimpleNamespace(script=text, sha=hashlib.sha1(text.encode()).hexdigest())


_PARK_SCRIPT, _COUNT_AND_PARK_SCRIPT = _script(_PARK), _script(_COUNT_AND_PARK)
_DATETIMES = frozenset(
    column.key for column in Letter.__table__.columns if column.type.python_type is datetime
)


class ParkedUnavailable(Exception):
    """Redis cannot be reached, and the letter asked for may be parked there."""


def _store() -> RedisStore | None:
    store = get_store()
    return store if isinstance(store, RedisStore) else None


def _address_key(email_key: str) -> str:
    return _BY_EMAIL + unnamed(email_key)  # the keyed hash the rate limits name people by


def park(values: dict, counting: Try | None = None) -> str | None:
    """Park a new draft (the row's values, as its INSERT would write them); its public id, or
    the id of the draft this form token made before. None: not parked (no Redis, PARK_DRAFTS
    off, or Redis cannot be reached), so the caller writes it to the database.

    ``counting``: the supporter's try at this step, if not counted yet; the script counts it
    against its limits first, in the same round trip (or, where the limits are not in Redis
    now, it is counted alone first), and ``rate_limits.Refused`` is raised, with nothing
    parked, if they refuse it. If Redis fails, the try is left uncounted for the caller."""
    store = _store()
    if store is None or not store.usable() or not current_registry().settings.park_drafts:
        return None
    row = json.dumps(values, default=_as_json, separators=(",", ":"))
    keys = [
        _TOKEN + values["form_token"],
        DRAFT_PREFIX + values["public_id"],
        _address_key(values["email_key"]),
    ]
    args = [values["public_id"], row, TTL_SECONDS]
    chain = None
    if counting is not None and (chain := counting.chain_parts()) is None:
        counting.refuse_if_over()  # the limits are not in Redis now: counted alone, first
    try:
        if chain is None:
            return run_script(store.client, _PARK_SCRIPT, keys, args)
        answer = run_script(store.client, _COUNT_AND_PARK_SCRIPT, chain[0] + keys, chain[1] + args)
    except redis.RedisError as error:
        store.failed(error)
        return None
    if isinstance(answer, int):  # the limit's place: refused, nothing parked
        raise Refused(counting.counted(answer))
    counting.counted(0)
    return answer


def _as_json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be parked")


def _values(public_id: str) -> dict | None:
    """The parked row, or None if there is none. Raises ``ParkedUnavailable`` if Redis cannot
    be reached (it may hold one)."""
    store = _store()
    if store is None:
        return None
    if not store.usable():
        raise ParkedUnavailable(public_id)
    try:
        row = command(store.client, "GET", DRAFT_PREFIX + public_id)
    except redis.RedisError as error:
        store.failed(error)
        raise ParkedUnavailable(public_id) from error
    if row is None:
        return None
    values = json.loads(row)
    for name in _DATETIMES.intersection(values):
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    return values


def letter(public_id: str, campaign_id: int) -> Letter | None:
    """The parked draft as a letter to show (not in any session: nothing to save), if there is
    one in this campaign.

    Made as the ORM makes an instance before it loads a row into it: its column values put
    straight into it. The declarative constructor set each of the 36 through the attribute
    machinery, 27 µs a Send and a check page, against 1.4 µs. The letter reads the same
    (tests/public/test_parked_drafts.py), and nothing it holds could be lost: a flush, were
    it ever added to a session, writes the values an instance holds. A key the row has that
    is no column of the letter any more (parked before a release dropped it) is left out."""
    values = _values(public_id)
    if values is None or values["campaign_id"] != campaign_id:
        return None
    letter = _NEW_LETTER()
    letter.__dict__.update({key: values[key] for key in _WRITTEN.intersection(values)})
    letter.parked = values
    return letter


_NEW_LETTER = manager_of_class(Letter).new_instance  # an instance, no constructor run


def materialize(public_id: str, campaign_id: int) -> Letter | None:
    """If the draft is parked, write its row into the database (``_write``), before the
    request's own transaction begins. A form token already in the database keeps its draft,
    as the INSERT always has.

    The letter just written, in the request's session as if read from the database (``_loaded``),
    so the caller need not read back the row it has in hand. If this form's draft reached the
    database first (Redis was down for its first Continue, and back for the form posted again),
    that draft, as the INSERT's "a form posted twice is one draft" has always answered. None if
    the draft is not parked here: the caller reads the database."""
    values = _values(public_id)
    if values is None or values["campaign_id"] != campaign_id:
        return None
    letter_id = _write(values)
    if letter_id is None:
        return db.session.scalar(
            select(Letter).where(
                Letter.form_token == values["form_token"], Letter.campaign_id == campaign_id
            )
        )
    return _loaded(values, letter_id)


# Columns a parked row may leave out: the INSERT writes NULL for them, as they have no default.
_NULL_UNLESS_GIVEN = frozenset(
    column.key
    for column in Letter.__table__.columns
    if column.default is None and column.server_default is None and column.nullable
)
_WRITTEN = frozenset(column.key for column in Letter.__table__.columns if column.key != "id")


def whole_row(values: dict) -> dict | None:
    """The parked values as the whole row but its id: a column they leave out that has no
    default is NULL. None if they leave out a column the INSERT would fill from a default
    (then only the database can say what the row holds)."""
    row = {key: None for key in _NULL_UNLESS_GIVEN} | values
    return row if row.keys() == _WRITTEN else None


def _loaded(values: dict, letter_id: int) -> Letter | None:
    """The row ``_write`` wrote (its values and new id) as a letter of the request's session,
    exactly as a SELECT of it would load it (``make_transient_to_detached``: its attributes are
    the row's, and nothing is pending to be written). None if the values leave out a column
    the INSERT would have filled from a default: then only the database knows the row."""
    row = whole_row(values)
    if row is None:
        return None
    letter = Letter(**row, id=letter_id)
    make_transient_to_detached(letter)
    db.session.add(letter)
    return letter


def materialize_all_of(email_key: str) -> int:
    """Write every draft parked under this address into the database (for ``people``, which
    then finds them with the rest); how many there were."""
    store = _store()
    if store is None:
        return 0
    try:
        ids = command(store.client, "SMEMBERS", _address_key(email_key))
    except redis.RedisError as error:
        store.failed(error)
        raise ParkedUnavailable(email_key) from error
    written = 0
    for public_id in sorted(ids or ()):
        values = _values(public_id)
        if values is not None:
            _write(values)
            written += 1
    return written


def _write(values: dict) -> int | None:
    """The parked draft's row into the database exactly as Continue wrote it before parking:
    one INSERT, its own transaction, committed as it runs on a pooled connection of its own
    (``sql.run_alone``), not waiting for the disk (the Send that follows waits, and so makes it
    durable). So the request's own transaction, and any rollback in it, finds a draft in the
    database as it always did. Then the parked copy goes. The new row's id; None if the form
    token's draft was in the database already."""
    engine = db.session.get_bind()
    statement = insert_unless_exists(
        engine.dialect.name, Letter.__table__, ("form_token",), "id", wait_for_disk=False
    )
    row = run_alone(engine, statement, values)
    forget(values["public_id"])
    return None if row is None else row.id


def forget(public_id: str) -> None:
    """The draft is in the database now (or sent): its parked copy goes."""
    store = _store()
    if store is not None:
        store.delete(DRAFT_PREFIX + public_id)


def forget_command(public_id: str) -> tuple:
    """``forget`` as a command to send with others (``kv.pipelined``)."""
    return ("DEL", DRAFT_PREFIX + public_id)
