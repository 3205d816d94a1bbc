"""Send, for the usual letter, as one statement: a parked draft becomes a letter on its way.

Most Sends are the same: a new draft parked in Redis (``parked_drafts``), from an address that
has not written to this MP in this campaign, nothing to hold it for, no email confirmation, no
copy to a second recipient. The general path (``abuse.submit_letter``) writes the draft into the
database, moves it on with a conditional UPDATE, then writes its counters, its opt-in records,
its message to the MP and its reply check, and commits: eight round trips, two transactions, and
most of Send's cost (``bench/letter_cost.py``).

Here the same rows are written by one statement, on PostgreSQL, committed as it runs and waiting
for the disk as Send always has: the letter is inserted already confirmed, and the statement's
WITH writes the rest from the new row's id. Its conditions are the general path's:

- the address has no letter to this recipient sent or awaiting confirmation (``sent_before``),
  and the one-per-supporter index refuses one confirmed meanwhile by a request beside it;
- with the campaign's identical-letter safeguard on, no letter with these words was sent to
  this recipient;
- a form token already in the database (a draft written while Redis was down) writes nothing.

If any of them fails, nothing is written at all (the statement is one transaction), and the
caller goes on by the general path, which decides as it always has (the earlier letter, the
hold, the address's owner). The outcome is the same either way; only the cost differs.
"""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import IntegrityError

from action_app.extensions import db
from action_app.i18n import language_of
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, OutboundMessage
from action_app.models.stats import OptInRecord, ReplyCheck, StatsCounter
from action_app.models.types import utcnow
from action_app.services import parked_drafts
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.services.safeguards import Safeguards
from action_app.services.submissions import sent_before
from action_app.sql import run_alone
from action_app.stats.counting import accepted_and_queued, in_order
from action_app.stats.replies import reply_check_row

_LETTERS = Letter.__table__
# Columns the usual case leaves NULL (no copy, no hold, sent by the platform, not scrubbed): the
# INSERT leaves them out. The three times are one value. Fewer parameters and a shorter text
# keep the statement within what psycopg caches the parsing of (50 parameters, 4,096 bytes):
# parsed again for every Send, it was a quarter of the statement's cost.
_LEFT_NULL = ("copy_key", "copy_name", "copy_email", "sent_by", "hold_reason", "scrubbed_at")
_SAME_TIME = ("confirmed_at", "updated_at")  # as submitted_at
_GIVEN = tuple(
    column.key for column in _LETTERS.columns if column.key not in ("id", *_LEFT_NULL, *_SAME_TIME)
)


def send(letter: Letter, campaign: CampaignSnapshot, *, wants_reply_check: bool) -> int | None:
    """Send ``letter``, a draft built from its parked row (``parked_drafts.letter``), in one
    statement if it is the usual case: its new id, once committed. None if it is not, or if
    the statement wrote nothing: the caller sends it by the general path, which then decides.
    The caller has checked the send-step limits (and is under the per-address one), and then
    removes the parked copy and dispatches the relay."""
    values = _row(letter, campaign)
    if values is None:
        return None
    session = db.session()
    if session.in_transaction():  # a stale cache read the database: nothing written yet
        session.commit()
    now = utcnow()
    values.update(status=LetterStatus.CONFIRMED, submitted_at=now)
    counts, opt_ins = accepted_and_queued(letter, now)
    counts = in_order(counts)
    reply = reply_check_row(letter, wants_reply_check, language_of(letter.language).value)
    held_if_identical = Safeguards.of(campaign.safeguards).identical_letter != "allow"
    params = {
        **values,
        "counter_rows": json.dumps([c._asdict() for c in counts]),
        "opt_in_rows": json.dumps([{key: row[key] for key in _OPTED} for row in opt_ins]),
        "reply_status": reply["status"],
        "reply_language": reply["language"],
    }
    statement = _statement(identical_held=held_if_identical and bool(values["body_hash"]))
    try:
        row = run_alone(session.get_bind(), statement, params)
    except IntegrityError:  # confirmed meanwhile beside us: the general path says what now
        return None
    return None if row is None else row.id


def _row(letter: Letter, campaign: CampaignSnapshot) -> dict | None:
    """The letter's row as the statement writes it, if this is the usual case (see above)."""
    parked = letter.parked
    if (
        parked is None
        or db.session.get_bind().dialect.name != "postgresql"
        or campaign.require_confirmation
        or letter.hold_reason
        or letter.copy_key
        or not letter.recipient_email  # a letter the supporter posts
    ):
        return None
    row = parked_drafts.whole_row(parked)
    if row is None or any(row[key] is not None for key in _LEFT_NULL):
        return None
    values = {key: row[key] for key in _GIVEN}
    values["language"] = letter.language  # the language it was sent in (``send_within_limits``)
    return values


@lru_cache(maxsize=2)
def _statement(*, identical_held: bool):
    """The statement, built and compiled once for each safeguard setting."""
    given = {key: bindparam(key, type_=_LETTERS.c[key].type) for key in _GIVEN}
    written = {**given, **{key: given["submitted_at"] for key in _SAME_TIME}}
    earlier = _LETTERS.alias("earlier")
    conditions = [
        ~exists().where(
            *sent_before(
                earlier.c,
                campaign_id=given["campaign_id"],
                recipient_key=given["recipient_key"],
                email_key=given["email_key"],
                letter_id=literal_column("0"),  # no letter has id 0: the new row is none
            )
        )
    ]
    if identical_held:  # as ``abuse.identical_sent`` asks, before the letter is held
        same = _LETTERS.alias("same")
        conditions.append(
            ~exists().where(
                same.c.campaign_id == given["campaign_id"],
                same.c.recipient_key == given["recipient_key"],
                same.c.body_hash == given["body_hash"],
                same.c.status == _constant(LetterStatus.CONFIRMED),
            )
        )
    sent = (
        insert(_LETTERS)
        .from_select(list(written), select(*written.values()).where(*conditions))
        .on_conflict_do_nothing(index_elements=["form_token"])
        .returning(
            _LETTERS.c.id,
            _LETTERS.c.campaign_id,
            _LETTERS.c.constituency_id,
            _LETTERS.c.submitted_at,
        )
        .cte("sent")
    )
    # The other rows take the letter's own values from the row just written.
    now, campaign_id = sent.c.submitted_at, sent.c.campaign_id
    message = select(
        sent.c.id.label("letter_id"),
        _constant(MessageKind.MP).label("kind"),
        _constant(MessageStatus.PENDING).label("status"),
        literal_column("0").label("attempts"),
        now.label("next_attempt_at"),
        now.label("dispatched_at"),
        now.label("created_at"),
    ).select_from(sent)
    reply = select(
        sent.c.id.label("letter_id"),
        campaign_id.label("campaign_id"),
        func.coalesce(sent.c.constituency_id, literal_column("0")).label("constituency_id"),
        bindparam("reply_status", type_=String).label("status"),
        bindparam("reply_language", type_=String).label("language"),
        now.label("created_at"),
    ).select_from(sent)
    chosen = _records("o", "opt_in_rows", *((key, String) for key in _OPTED))
    opt_ins = select(
        sent.c.id.label("letter_id"),
        campaign_id.label("campaign_id"),
        chosen.c.organisation,
        chosen.c.organisation_name,
        chosen.c.statement,
        now.label("opted_in_at"),
    ).select_from(sent.join(chosen, true()))
    counters = _records(
        "c", "counter_rows", ("dimension", String), ("bucket", String), ("metric", String),
        ("amount", Integer),
    )  # fmt: skip
    counted = select(
        campaign_id.label("campaign_id"),
        counters.c.dimension,
        counters.c.bucket,
        counters.c.metric,
        counters.c.amount.label("value"),
    ).select_from(sent.join(counters, true()))
    # In the order every writer of the counters uses (``counting.in_order``), so that two
    # transactions never wait on each other in a cycle.
    counted = counted.order_by(counters.c.dimension, counters.c.bucket, counters.c.metric)
    table = StatsCounter.__table__
    add = _as_insert(table, counted)
    add = add.on_conflict_do_update(
        index_elements=["campaign_id", "dimension", "bucket", "metric"],
        set_={"value": table.c.value + add.excluded.value},
    )
    writes = [
        _as_insert(OutboundMessage.__table__, message).cte("message"),
        _as_insert(ReplyCheck.__table__, reply).cte("reply"),
        _as_insert(OptInRecord.__table__, opt_ins).cte("opt_ins"),
        add.cte("counted"),
    ]
    return select(sent.c.id).add_cte(*writes)


def _as_insert(table, selected):
    """INSERT INTO ``table`` from ``selected``, whose columns are named as the table's."""
    return insert(table).from_select([c.name for c in selected.selected_columns], selected)


def _records(name: str, parameter: str, *columns: tuple[str, type]):
    """Rows from one parameter, a JSON array of objects with these keys (``[]``: none). Its
    name must be none of the letter's columns' (they are parameters of the same statement).

    One text parameter written by ``json.dumps`` rather than an array for each column: psycopg
    adapting seven Python lists, item by item, cost about 40 µs a Send, ``json.dumps`` of the
    same rows about 10 (``bench/results/2026-12-03.md``). PostgreSQL reads the same values
    either way (a NUL, which neither a text array nor jsonb can hold, is refused either way)."""
    if parameter in _LETTERS.c:
        raise ValueError(f"{parameter} is a letter's column, and so a parameter already")
    rows = cast(bindparam(parameter, type_=String), JSONB)
    return (
        func.jsonb_to_recordset(rows)
        .table_valued(*(column(key, kind) for key, kind in columns), name=name)
        .render_derived(with_types=True)
    )


_OPTED = ("organisation", "organisation_name", "statement")  # an opt-in's own values


def _constant(value: str):
    """One of our own enum's values, written into the statement (a parameter fewer)."""
    if not value.isidentifier():  # never: our enums' values are plain words
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'")
