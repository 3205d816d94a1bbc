"""The relay: many letters claimed in one statement, sent, and recorded in one commit."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from action_app import tasking
from action_app.extensions import db
from action_app.kv import command
from action_app.mail import PermanentMailError
from action_app.models import Letter, OutboundMessage, ParticipationCount, StatsCounter
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services import sending
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.participation import campaign_totals
from action_app.services.submissions import find_letter, submit_draft
from tests.conftest import prepare_journey
from tests.drafts import recipients, write_draft
from workers.tasks import relay_outbox_task


@pytest.fixture(autouse=True)
def relay_stops_when_idle(monkeypatch):
    """No lingering for more letters: each relay here stops at its first empty claim."""
    import workers.tasks

    monkeypatch.setattr(workers.tasks, "RELAY_IDLE_SECONDS", 0.0)
    monkeypatch.setattr(workers.tasks, "RELAY_LINGER_SECONDS", 0.0)


class Sink:
    """The mail server: records each message's Message-ID; ``fail`` maps the n-th send (from 1)
    to the exception it raises instead."""

    def __init__(self, fail: dict[int, BaseException] | None = None):
        self.sent: list[str] = []
        self.calls = 0
        self.fail = fail or {}

    def send(self, mail) -> None:
        self.calls += 1
        if self.calls in self.fail:
            raise self.fail[self.calls]
        self.sent.append(mail.message_id)

    def close(self) -> None:
        pass


class Killed(BaseException):
    """The worker process dying mid-batch (SIGKILL): nothing after it runs."""


def write_letters(app, count: int, one_mp: bool = False, **campaign_changes) -> list[int]:
    """Submitted letters, each to a different MP (or all to one), committed."""
    campaign = campaign_snapshot(prepare_journey(app, **campaign_changes))
    each = recipients(campaign)
    ids = []
    for i in range(count):
        public_id = write_draft(
            campaign, each[0 if one_mp else i], f"relay-{i}",
            name=f"Sam {i}", email=f"sam{i}@example.org", source="relay",
        )  # fmt: skip
        letter = find_letter(public_id, campaign.id)
        submit_draft(letter, require_confirmation=False)
        ids.append(letter.id)
    db.session.commit()
    return ids


def statuses() -> Counter:
    rows = db.session.execute(
        select(OutboundMessage.kind, OutboundMessage.status).execution_options(
            populate_existing=True
        )
    ).all()
    return Counter(f"{kind}:{status}" for kind, status in rows)


def letters_counted() -> tuple[int, int]:
    """(participation_counts letters, stats_counters 'sent' per constituency)."""
    participation = db.session.scalar(
        select(func.coalesce(func.sum(ParticipationCount.letters), 0))
    )
    stats = db.session.scalar(
        select(func.coalesce(func.sum(StatsCounter.value), 0)).where(
            StatsCounter.dimension == "constituency", StatsCounter.metric == "sent"
        )
    )
    return int(participation), int(stats)


def test_the_relay_sends_every_due_letter_and_counts_each_once(any_app, monkeypatch):
    ids = write_letters(any_app, 5)
    campaign_id = db.session.scalar(select(Letter.campaign_id).where(Letter.id == ids[0]))
    assert campaign_totals(campaign_id).sent == 0  # the hot copy exists, as a page made it
    sink = Sink()
    monkeypatch.setattr(registry_of(any_app), "mail_transport", sink)
    results = relay_outbox_task.run()
    assert results == {"mp:sent": 5, "receipt:sent": 5}
    assert statuses() == Counter({"mp:sent": 5, "receipt:sent": 5})
    assert len(sink.sent) == len(set(sink.sent)) == 10
    assert sum(f"letter-{i}-mp-" in m for i in ids for m in sink.sent) == 5
    assert letters_counted() == (5, 5)
    # The hot copy of the totals went up once a letter too.
    registry_of(any_app).local_totals.clear()
    assert campaign_totals(campaign_id).sent == 5
    # Nothing is left: a second nudge finds no work and sends nothing.
    assert relay_outbox_task.run() == {}
    assert len(sink.sent) == 10


def test_a_batch_is_no_larger_than_its_size(any_app):
    write_letters(any_app, 5)
    assert len(sending.claim_batch(3)) == 3
    db.session.commit()
    assert len(sending.claim_batch(3)) == 2
    db.session.commit()
    assert sending.claim_batch(3) == []


def test_two_workers_never_claim_the_same_row(app):
    """Worker A holds its claim uncommitted (its rows locked); worker B, at the same moment,
    skips those rows rather than waiting for them or taking them."""
    write_letters(app, 8)
    a_claimed: list[int] = []
    b_claimed: list[int] = []
    a_holding, b_done = threading.Event(), threading.Event()

    def worker_a():
        with app.app_context():
            a_claimed.extend(sending.claim_batch(5))
            a_holding.set()
            b_done.wait(20)
            db.session.commit()

    def worker_b():
        with app.app_context():
            a_holding.wait(20)
            b_claimed.extend(sending.claim_batch(5))
            db.session.commit()
            b_done.set()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(a_claimed) == 5 and len(b_claimed) == 3
    assert not set(a_claimed) & set(b_claimed)
    assert statuses() == Counter({"mp:sending": 8})


def test_pacing_holds_inside_a_batch(app, monkeypatch):
    """Five letters to one MP at two an hour: one batch sends two and gives the rest slots."""
    ids = write_letters(app, 5, one_mp=True, letters_per_mp_per_hour=2)
    assert len(sending.claim_batch(50)) == 2
    db.session.rollback()
    monkeypatch.setattr(registry_of(app), "mail_transport", Sink())
    assert relay_outbox_task.run() == {"mp:sent": 2, "receipt:sent": 2}
    waiting = db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.kind == "mp", OutboundMessage.status == "pending")
        .order_by(OutboundMessage.letter_id)
        .execution_options(populate_existing=True)
    ).all()
    assert [m.letter_id for m in waiting] == ids[2:]
    assert all(m.next_attempt_at > utcnow() + timedelta(minutes=50) for m in waiting)
    assert all(m.dispatched_at is None for m in waiting)  # the sweep queues them in their hour


def test_one_refusal_in_a_batch_leaves_the_others_recorded(any_app, monkeypatch):
    write_letters(any_app, 4)
    sink = Sink(fail={2: PermanentMailError("550 no such mailbox")})
    monkeypatch.setattr(registry_of(any_app), "mail_transport", sink)
    results = relay_outbox_task.run()
    assert results == {
        "mp:sent": 3,
        "mp:failed": 1,
        "receipt:sent": 3,
        "failure_notice:sent": 1,
    }
    assert statuses() == Counter(
        {"mp:sent": 3, "mp:failed": 1, "receipt:sent": 3, "failure_notice:sent": 1}
    )
    failed = db.session.scalar(select(OutboundMessage).where(OutboundMessage.status == "failed"))
    assert failed.last_error == "550 no such mailbox"
    assert letters_counted() == (3, 3)


def test_a_worker_killed_mid_batch_sends_nothing_twice(any_app, monkeypatch):
    """The process dies during its third send: the two the server took were journalled (or,
    without Redis, committed one by one), so once the lease runs out the next relay records
    them as sent and sends only the rest, each exactly once, each counted once."""
    write_letters(any_app, 5)
    sink = Sink(fail={3: Killed()})
    monkeypatch.setattr(registry_of(any_app), "mail_transport", sink)
    with pytest.raises(Killed):
        relay_outbox_task.run()
    db.session.rollback()  # the dead process's transaction is gone
    session = db.session()
    session.expire_on_commit = True
    assert len(sink.sent) == 2
    lease = any_app.config["SETTINGS"].send_lease_seconds
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "sending")
        .values(claimed_at=utcnow() - timedelta(seconds=lease + 1))
    )
    db.session.commit()
    relay_outbox_task.run()
    mp_ids = [m for m in sink.sent if "-mp-" in m]
    assert len(mp_ids) == len(set(mp_ids)) == 5
    assert len(sink.sent) == len(set(sink.sent)) == 10  # and five receipts, once each
    assert statuses() == Counter({"mp:sent": 5, "receipt:sent": 5})
    assert letters_counted() == (5, 5)


def test_a_nudge_is_one_task_while_one_is_pending(app, monkeypatch):
    sent = []
    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: sent.append(name) or True)
    tasking.nudge_taken()
    assert all(tasking.nudge_relay() for _ in range(5))
    assert sent == [tasking.RELAY_OUTBOX]
    tasking.nudge_taken()  # a relay took it: the next letter nudges again
    assert tasking.nudge_relay()
    assert sent == [tasking.RELAY_OUTBOX] * 2


def test_a_nudge_the_broker_refuses_is_tried_again_by_the_next_letter(app, monkeypatch):
    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: False)
    tasking.nudge_taken()
    assert tasking.nudge_relay() is False
    assert tasking.nudge_relay() is False  # the flag was cleared, so it tried the broker again


def test_a_relay_lingers_for_more_letters_only_where_nudges_are_flagged(any_app):
    """With Redis a pending nudge is flagged, so a relay may wait a moment for more letters;
    embedded (no Redis) every letter sends a nudge, and a lingering relay would hold the
    worker for each of them."""
    embedded = any_app.config["SETTINGS"].embedded
    assert tasking.nudges_are_flagged() is not embedded


def test_a_nudge_whose_flag_the_caller_sent_sends_a_task_only_when_needed(app, monkeypatch):
    """``nudge_relay(flag)``: the answer to ``nudge_flag`` sent with the caller's own commands.
    None (a nudge was pending): no task; set, or an error: a task; and a flag it set is
    cleared if the broker refuses, so the next letter tries again."""
    import redis

    sent = []
    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: sent.append(name) or True)
    assert tasking.nudge_relay(None) and sent == []
    assert tasking.nudge_relay("OK") and sent == [tasking.RELAY_OUTBOX]
    assert tasking.nudge_relay(redis.ConnectionError("gone")) and len(sent) == 2
    store = registry_of(app).store
    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: False)
    tasking.nudge_taken()
    assert command(store.client, *tasking.nudge_flag()) == "OK"
    assert tasking.nudge_relay("OK") is False
    assert command(store.client, "EXISTS", tasking.nudge_flag()[1]) == 0  # cleared
    assert command(store.client, *tasking.nudge_flag()) == "OK"
    assert tasking.nudge_relay(redis.ResponseError("refused")) is False
    assert command(store.client, "EXISTS", tasking.nudge_flag()[1]) == 1  # not ours to clear
