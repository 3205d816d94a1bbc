"""Send for the usual letter in one statement (``services/first_send.py``): what it writes is
exactly what the general path writes, and whenever the usual case does not hold (the address
wrote before, a letter confirmed meanwhile beside it, a safeguard, a confirmation email, a copy)
it writes nothing and the general path decides, as it always has."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, insert, select, update

from action_app.extensions import db
from action_app.kv import get_store
from action_app.models import Letter, OutboundMessage
from action_app.models.stats import OptInRecord, ReplyCheck, StatsCounter
from action_app.services import first_send, parked_drafts
from action_app.services.participation import campaign_total
from tests.conftest import CAMPAIGN_DOCUMENT
from tests.drafts import redis_writes, statements_run
from tests.html import post_form, text
from tests.journey import send, write_letter
from tests.public.conftest import set_campaign
from tests.public.test_parked_drafts import letters_in_database, parked_ids, public_id_of

ANOTHER = {"name": "Amir Khan", "email": "amir@example.org", "address_line_1": "3 Low Road"}


@pytest.fixture
def calls(monkeypatch):
    """What each ``first_send.send`` answered (None: the general path went on)."""
    answered: list[int | None] = []
    real = first_send.send

    def spy(*args, **kwargs):
        answered.append(real(*args, **kwargs))
        return answered[-1]

    monkeypatch.setattr(first_send, "send", spy)
    return answered


def general_path_only(monkeypatch):
    monkeypatch.setattr(first_send, "send", lambda *args, **kwargs: None)


def counters() -> dict[tuple, int]:
    db.session.expire_all()
    rows = db.session.execute(select(StatsCounter)).scalars()
    return {(c.dimension, c.bucket, c.metric): c.value for c in rows}


def added(before: dict, after: dict) -> dict:
    return {
        key: value - before.get(key, 0)
        for key, value in after.items()
        if value != before.get(key, 0)
    }


def rows_of(public_id: str) -> dict:
    """Everything Send wrote for the letter, but what differs between two letters anyway."""
    db.session.expire_all()
    letter = (
        db.session.execute(select(*Letter.__table__.columns).where(Letter.public_id == public_id))
        .one()
        ._asdict()
    )
    letter_id = letter["id"]
    varying = {"id", "letter_id", "public_id", "form_token", "supporter_name", "supporter_email",
               "email_key", "address_line_1", "created_at", "updated_at", "submitted_at",
               "confirmed_at", "dispatched_at", "next_attempt_at", "opted_in_at"}  # fmt: skip

    def kept(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in varying}

    def of(model) -> list[dict]:
        table = model.__table__
        found = db.session.execute(select(*table.columns).where(table.c.letter_id == letter_id))
        return [kept(row._asdict()) for row in found]

    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.letter_id == letter_id)
    )
    return {
        "letter": kept(letter),
        "messages": of(OutboundMessage),
        "dispatched": message is not None and message.dispatched_at is not None,
        "reply checks": of(ReplyCheck),
        "opt-ins": of(OptInRecord),
    }


def press_send(client, written, **extra):
    form = post_form(client.get(written.headers["Location"]))
    return client.post(form["action"], data={**form["fields"], **extra})


def test_a_usual_send_is_one_statement_committed_as_it_runs(pg_journey, calls):
    written = write_letter(pg_journey, personal_paragraph="One statement.", opt_ins=["friends"])
    with statements_run() as statements:
        sent = send(pg_journey, written)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(
        f"/sent/{public_id_of(written)}"
    )
    # Reads of the campaign and the directory, for the first request: no other statement.
    reads = ("SELECT campaigns.", "SELECT constituencies.", "SELECT directory_")
    done = [(q.split(" (")[0], state) for q, state in statements if not q.startswith(reads)]
    assert done == [("WITH sent AS", "IDLE")], statements
    assert calls and calls[0] is not None
    letter = db.session.scalar(select(Letter))
    assert (letter.status, letter.personal_paragraph) == ("confirmed", "One statement.")
    assert letter.submitted_at == letter.confirmed_at == letter.updated_at
    assert parked_ids() == []
    page = pg_journey.get(sent.headers["Location"])
    assert page.status_code == 200 and "Your letter is on its way" in text(page)


@pytest.mark.parametrize("reply_check", [True, False], ids=["reply check", "no reply check"])
def test_the_one_statement_writes_what_the_general_path_writes(
    pg_journey, app, monkeypatch, calls, reply_check
):
    """The same letter from two addresses, one sent by the statement, one by the general path:
    the letter, its message, its reply check, its opt-in records and the counters it adds are
    the same (but for who wrote it and when)."""
    extra = {} if reply_check else {"no_reply_check": "y"}
    wildlife = {"slug": "wildlife", "name": "Wildlife Trust", "statement": "Tell me more."}
    set_campaign(organisations=[*CAMPAIGN_DOCUMENT["organisations"], wildlife])
    words = {"personal_paragraph": "My own words.", "opt_ins": ["friends", "wildlife"]}
    before = counters()
    quick = write_letter(pg_journey, **words)
    assert press_send(pg_journey, quick, **extra).status_code == 302
    middle = counters()
    assert calls[-1] is not None
    other = app.test_client()
    general = write_letter(other, **words, email=ANOTHER["email"])  # the same name: the same body
    with monkeypatch.context() as patched:
        general_path_only(patched)
        assert press_send(other, general, **extra).status_code == 302
    after = counters()
    assert letters_in_database() == 2
    one, two = rows_of(public_id_of(quick)), rows_of(public_id_of(general))
    assert one == two
    assert one["letter"]["status"] == "confirmed" and one["dispatched"]
    assert [m["kind"] for m in one["messages"]] == ["mp"]
    assert [r["status"] for r in one["reply checks"]] == ["waiting" if reply_check else "opted_out"]
    assert sorted(o["organisation"] for o in one["opt-ins"]) == ["friends", "wildlife"]
    assert added(before, middle) == added(middle, after)
    assert (
        added(before, middle)[("constituency", str(one["letter"]["constituency_id"]), "accepted")]
        == 1
    )
    assert added(before, middle)[("organisation", "friends", "opt_ins")] == 1


def test_an_address_that_wrote_before_is_decided_by_the_general_path(pg_journey, calls):
    """The same browser writes to the same MP again: the statement writes nothing, and the
    general path shows the letter it sent before."""
    first = write_letter(pg_journey, personal_paragraph="The first time.")
    assert send(pg_journey, first).status_code == 302
    again = write_letter(pg_journey, personal_paragraph="The second time.")
    answer = send(pg_journey, again)
    assert calls == [calls[0], None] and calls[0] is not None
    assert answer.status_code == 200 and "already" in text(answer).lower()
    statuses = db.session.scalars(select(Letter.status).order_by(Letter.id)).all()
    assert statuses == ["confirmed", "draft"]  # the second is kept as the general path keeps it
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1


def test_a_letter_awaiting_its_owner_is_found_before_a_second_is_sent(pg_journey, calls):
    """The same browser's earlier letter to this MP waits for the address's owner to confirm
    it (no index refuses a second then): the statement writes nothing, and the general path
    shows the earlier letter instead of sending a second."""
    first = write_letter(pg_journey, personal_paragraph="Waiting for its owner.")
    assert send(pg_journey, first).status_code == 302
    db.session.execute(
        update(Letter)
        .where(Letter.public_id == public_id_of(first))
        .values(status="awaiting_confirmation")
    )
    db.session.commit()
    again = write_letter(pg_journey, personal_paragraph="A second letter.")
    answer = send(pg_journey, again)
    assert calls[-1] is None
    assert answer.status_code == 200 and "already" in text(answer).lower()
    db.session.expire_all()
    second = db.session.scalar(select(Letter).where(Letter.public_id == public_id_of(again)))
    assert second.status == "draft"


def test_a_letter_confirmed_meanwhile_beside_it_is_refused_by_the_index(pg_journey, app, calls):
    """Between the statement's "has this address written?" and its INSERT, another request
    confirms a letter from the same address to the same MP: the one-per-supporter index refuses
    the INSERT, the statement writes nothing, and the general path asks the address's owner."""
    written = write_letter(pg_journey, personal_paragraph="Beside another.")
    values = parked_drafts._values(public_id_of(written))
    beside = {
        **values,
        "public_id": "besideit",
        "form_token": "beside-it",
        "status": "confirmed",
        "personal_paragraph": "Confirmed meanwhile.",
    }
    other = db.engine.connect()
    transaction = other.begin()
    other.execute(insert(Letter.__table__).values(**beside))  # not committed: the index waits
    committed = threading.Timer(0.5, transaction.commit)
    started = time.monotonic()
    committed.start()
    try:
        answer = send(pg_journey, written)
    finally:
        committed.join()
        other.close()
    assert time.monotonic() - started >= 0.5  # the INSERT waited on the other's row
    assert calls == [None]
    assert answer.status_code == 302
    db.session.expire_all()
    mine = db.session.scalar(select(Letter).where(Letter.public_id == public_id_of(written)))
    assert mine.status == "awaiting_confirmation"  # the owner is asked, as the general path does
    assert db.session.scalar(select(func.count(StatsCounter.value))) == 0  # nothing counted twice
    page = pg_journey.get(answer.headers["Location"])
    assert page.status_code == 200


def test_an_identical_letter_sent_since_continue_is_held_by_the_general_path(
    pg_journey, app, calls
):
    """Both written before either is sent (so Continue found nothing identical to hold it
    for): the second Send finds the first's words sent, and the letter is held."""
    set_campaign(safeguards={"identical_letter": "hold"})
    other = app.test_client()
    mine, theirs = write_letter(pg_journey), write_letter(other, **ANOTHER)
    assert send(pg_journey, mine).status_code == 302
    assert send(other, theirs).status_code == 302
    assert calls[0] is not None and calls[1] is None
    held = db.session.scalar(select(Letter).where(Letter.supporter_name == ANOTHER["name"]))
    assert held.status == "held"
    assert held.hold_reason == "content: identical to a letter already sent to this recipient"


@pytest.mark.parametrize(
    "case",
    ["confirmation email", "held at Continue", "a copy", "by post", "not parked"],
)
def test_what_is_not_the_usual_case_is_not_tried(pg_journey, app, case):
    """Each of these goes by the general path without the statement running at all."""
    written = write_letter(pg_journey)
    campaign_id = parked_drafts._values(public_id_of(written))["campaign_id"]
    letter = parked_drafts.letter(public_id_of(written), campaign_id)
    campaign = _campaign(campaign_id)
    if case == "confirmation email":
        campaign = _changed(campaign, require_confirmation=True)
    elif case == "held at Continue":
        letter.hold_reason = "bot: too fast"
    elif case == "a copy":
        letter.copy_key = "fixed:minister@example.org"
    elif case == "by post":
        letter.recipient_email = ""
    else:
        letter.parked = None
    with app.test_request_context(), statements_run() as statements:
        assert first_send.send(letter, campaign, wants_reply_check=True) is None
    assert statements == [] and letters_in_database() == 0
    assert parked_ids() == [public_id_of(written)]


def test_a_form_token_in_the_database_writes_nothing(pg_journey, app):
    """A draft this form made in the database before (Redis was down for its first Continue):
    the statement writes nothing, and the parked copy stays for the general path."""
    written = write_letter(pg_journey)
    values = parked_drafts._values(public_id_of(written))
    parked_drafts._write({**values, "public_id": "writtenbefore"})
    db.session.commit()
    letter = parked_drafts.letter(public_id_of(written), values["campaign_id"])
    parked_drafts.park(values)  # _write dropped the copy under its own id only
    with app.test_request_context():
        answer = first_send.send(letter, _campaign(values["campaign_id"]), wants_reply_check=True)
    assert answer is None and letters_in_database() == 1
    assert db.session.scalar(select(Letter.status)) == "draft"
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0


def _campaign(campaign_id: int):
    from action_app.services.campaign_cache import cached_campaign_by_id

    return cached_campaign_by_id(campaign_id)


def _changed(campaign, **changes):
    from dataclasses import replace

    return replace(campaign, **changes)


@pytest.mark.parametrize("identical", ["allow", "hold"])
def test_the_statement_is_one_psycopg_parses_once(pg_journey, monkeypatch, identical):
    """psycopg caches the parsing of a query's text only for one of at most 4,096 bytes and 50
    parameters; parsed again for every Send, it was a quarter of the statement's cost. A column
    added to ``letters`` may take it over: then shorten the statement (see ``first_send``)."""
    from psycopg import _queries

    from action_app.sql import _compiled

    set_campaign(safeguards={"identical_letter": identical})
    ran = []
    real = first_send.run_alone

    def noted(engine, statement, params):
        ran.append((engine.dialect, statement, params))
        return real(engine, statement, params)

    monkeypatch.setattr(first_send, "run_alone", noted)
    assert send(pg_journey, write_letter(pg_journey)).status_code == 302
    [(dialect, statement, params)] = ran
    sql, literals, _, _ = _compiled(dialect, statement, tuple(params))
    assert ("same.body_hash" in sql) == (identical == "hold")
    assert len(sql.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(params) + len(literals) <= _queries.MAX_CACHED_STATEMENT_PARAMS


def _hot_total(app, campaign_id: int) -> str | None:
    from action_app.services.participation import hot_total_key

    return get_store().client.get(hot_total_key(campaign_id))


def test_what_follows_the_statement_is_one_redis_round_trip(pg_journey, app, monkeypatch):
    """After the statement, the parked copy goes, the hot total counts the letter and the relay
    is nudged: one write to Redis for the three, where each was a round trip of its own."""
    from action_app import tasking

    written = write_letter(pg_journey)
    campaign_id = parked_drafts._values(public_id_of(written))["campaign_id"]
    campaign_total(campaign_id)  # the hot total is made on first reading
    before = int(_hot_total(app, campaign_id))
    tasking.nudge_taken()
    get_store().client.set(*tasking.nudge_flag()[1:3])  # a nudge pending, as under load
    form = post_form(pg_journey.get(written.headers["Location"]))
    writes = redis_writes(monkeypatch)
    assert pg_journey.post(form["action"], data=form["fields"]).status_code == 302
    after_statement = [w for w in writes if b"relay:nudge" in w]
    assert len(after_statement) == 1
    assert b"DEL" in after_statement[0] and b"EVALSHA" in after_statement[0]
    # The parked draft, the send limits, then that one (no task: a nudge was pending).
    assert len(writes) == 3, writes
    assert parked_ids() == []
    assert int(_hot_total(app, campaign_id)) == before + 1
    assert db.session.scalar(select(Letter.status)) == "confirmed"


def test_a_script_redis_lost_still_counts_the_letter(pg_journey, app):
    written = write_letter(pg_journey)
    campaign_id = parked_drafts._values(public_id_of(written))["campaign_id"]
    campaign_total(campaign_id)
    before = int(_hot_total(app, campaign_id))
    get_store().client.script_flush()  # a Redis restarted since: EVALSHA answers NOSCRIPT
    assert send(pg_journey, written).status_code == 302
    assert int(_hot_total(app, campaign_id)) == before + 1
    assert parked_ids() == []


@pytest.mark.parametrize("broker", ["up", "down"])
def test_redis_lost_after_the_statement_still_sends_the_letter(
    pg_journey, app, monkeypatch, broker
):
    """Redis goes between the statement and what follows it: the letter is sent all the same,
    the relay is nudged by a task (the flag could not say one was pending), and if the broker
    refuses that too, the letter is left for the sweep (dispatched_at cleared)."""
    import redis

    from action_app import tasking
    from action_app.public import letter_views

    written = write_letter(pg_journey)
    # The breaker this trips is put back as it was afterwards, for the tests that follow.
    monkeypatch.setattr(get_store(), "_down_until", 0.0)
    tasks = []
    monkeypatch.setattr(
        tasking, "dispatch", lambda name, *a, **k: tasks.append(name) or broker == "up"
    )

    def gone(client, commands):
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(letter_views, "pipelined", gone)
    sent = send(pg_journey, written)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(
        f"/sent/{public_id_of(written)}"
    )
    assert tasks == [tasking.RELAY_OUTBOX]
    db.session.expire_all()
    message = db.session.scalar(select(OutboundMessage))
    assert db.session.scalar(select(Letter.status)) == "confirmed"
    assert (message.dispatched_at is not None) == (broker == "up")
