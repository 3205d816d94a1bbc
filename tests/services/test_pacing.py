"""Pacing: letters per MP per hour and sending hours in UK time, with a clock the test turns."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import OutboundMessage
from action_app.services import pacing, sending
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.campaigns import CampaignInvalid, parse_campaign_document
from action_app.services.pacing import PacingRule, next_opening, next_slot, within_hours
from action_app.services.submissions import find_letter, submit_draft
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey
from tests.drafts import recipients, write_draft
from tests.html import text
from tests.journey import send, write_letter

NINE_TO_FIVE = PacingRule(opens=time(9), closes=time(17))


def utc(*args) -> datetime:
    return datetime(*args)


# --- the rule, on its own ---------------------------------------------------------------------


def test_sending_hours_follow_uk_time_in_winter_and_summer():
    # 09:00 UK is 09:00 UTC in January and 08:00 UTC in July.
    assert not within_hours(NINE_TO_FIVE, utc(2026, 1, 15, 8, 59))
    assert within_hours(NINE_TO_FIVE, utc(2026, 1, 15, 9, 0))
    assert within_hours(NINE_TO_FIVE, utc(2026, 7, 15, 8, 0))
    assert not within_hours(NINE_TO_FIVE, utc(2026, 7, 15, 16, 0))  # 17:00 BST


def test_the_next_opening_crosses_the_clocks_going_forward_and_back():
    # Saturday 28 March 2026, 18:30 GMT; the clocks go forward that night: 09:00 BST = 08:00 UTC.
    assert next_opening(NINE_TO_FIVE, utc(2026, 3, 28, 18, 30)) == utc(2026, 3, 29, 8, 0)
    # Saturday 24 October 2026, 18:30 BST (17:30 UTC); back that night: 09:00 GMT = 09:00 UTC.
    assert next_opening(NINE_TO_FIVE, utc(2026, 10, 24, 17, 30)) == utc(2026, 10, 25, 9, 0)
    # Early in the morning: later the same day.
    assert next_opening(NINE_TO_FIVE, utc(2026, 1, 15, 3, 0)) == utc(2026, 1, 15, 9, 0)


def test_overnight_sending_hours():
    nights = PacingRule(opens=time(22), closes=time(6))
    assert within_hours(nights, utc(2026, 1, 15, 23, 0))
    assert within_hours(nights, utc(2026, 1, 15, 5, 59))
    assert next_opening(nights, utc(2026, 1, 15, 12, 0)) == utc(2026, 1, 15, 22, 0)


def test_slots_keep_any_hour_within_the_limit():
    rule = PacingRule(per_hour=3)
    now = utc(2026, 1, 15, 10, 0)
    taken: list[datetime] = []
    for _ in range(10):
        taken.append(next_slot(rule, taken, now))
    print("\nslots for 10 letters at 3 an hour:", [f"{t:%H:%M:%S}" for t in taken])
    assert taken[:3] == [now] * 3
    assert taken[3] == now + timedelta(hours=1, seconds=1)
    for start in taken:
        in_hour = [t for t in taken if start <= t < start + timedelta(hours=1)]
        assert len(in_hour) <= 3
    assert taken[-1] < now + timedelta(hours=3, seconds=10)


def test_a_slot_outside_the_hours_waits_for_the_morning():
    rule = PacingRule(per_hour=2, opens=time(9), closes=time(17))
    evening = utc(2026, 1, 15, 16, 59)
    first = next_slot(rule, [], evening)
    assert first == evening
    assert next_slot(rule, [first, first], evening) == utc(2026, 1, 16, 9, 0)


# --- the campaign document ----------------------------------------------------------------------


def test_the_campaign_document_takes_pacing():
    values, _ = parse_campaign_document(
        {
            **CAMPAIGN_DOCUMENT,
            "letters_per_mp_per_hour": 20,
            "sending_hours": {"from": "9:00".zfill(5), "to": "17:30"},
        }
    )
    assert values["letters_per_mp_per_hour"] == 20
    assert values["sending_hours"] == {"from": "09:00", "to": "17:30"}


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"letters_per_mp_per_hour": -1}, "letters_per_mp_per_hour: must be a whole number"),
        ({"letters_per_mp_per_hour": "20"}, "letters_per_mp_per_hour: must be a whole number"),
        ({"sending_hours": {"from": "9am", "to": "5pm"}}, "is not a time like 09:00"),
        ({"sending_hours": {"from": "25:00", "to": "17:00"}}, "sending_hours:"),
        ({"sending_hours": {"from": "09:00"}}, 'must be like {"from": "09:00"'),
        ({"sending_hours": {"from": "09:00", "to": "09:00"}}, "must differ"),
    ],
)
def test_bad_pacing_is_refused_with_the_reason(changes, problem):
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign_document({**CAMPAIGN_DOCUMENT, **changes})
    assert any(problem in p for p in caught.value.problems), caught.value.problems


# --- in the database, with the worker's claim -----------------------------------------------


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(utc(2026, 1, 15, 10, 0))
    for module in ("action_app.services.sending", "action_app.services.submissions"):
        monkeypatch.setattr(f"{module}.utcnow", clock)
    return clock


def letters_to_one_mp(campaign, count: int) -> list[int]:
    view = campaign_snapshot(campaign)
    recipient = recipients(view)[0]
    ids = []
    for i in range(count):
        public_id = write_draft(
            view, recipient, f"pace-{i}", name=f"Sam {i}", email=f"sam{i}@example.org"
        )
        action = find_letter(public_id, view.id)
        submit_draft(action, require_confirmation=False)
        ids.append(action.id)
    db.session.commit()
    return ids


def claim_and_send(action_id: int, clock: Clock) -> bool:
    """What the worker does, with the SMTP part replaced by marking the message sent."""
    claimed = sending.claim_due_messages(action_id)
    for message_id in claimed:
        message = db.session.get(OutboundMessage, message_id)
        message.status, message.sent_at = "sent", clock.now
    db.session.commit()
    return bool(claimed)


def mp_message(action_id: int) -> OutboundMessage:
    return db.session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.letter_id == action_id, OutboundMessage.kind == "mp")
        .execution_options(populate_existing=True)
    )


def test_letters_over_the_limit_wait_in_the_database_and_go_in_their_hour(app, fake_members, clock):
    campaign = prepare_journey(app, letters_per_mp_per_hour=3)
    ids = letters_to_one_mp(campaign, 7)
    sent_at_ten = [claim_and_send(i, clock) for i in ids]
    waiting = [mp_message(i) for i in ids[3:]]
    print(
        f"\n7 letters at 10:00, 3 an hour: sent {sum(sent_at_ten)} now; the rest wait until "
        + ", ".join(f"{m.next_attempt_at:%H:%M:%S}" for m in waiting)
    )
    assert sent_at_ten == [True, True, True, False, False, False, False]
    assert [m.status for m in waiting] == ["pending"] * 4
    assert [m.next_attempt_at for m in waiting] == [utc(2026, 1, 15, 11, 0, 1)] * 3 + [
        utc(2026, 1, 15, 12, 0, 2)
    ]
    # Left for the sweep, not parked in the broker.
    assert all(m.dispatched_at is None for m in waiting)

    clock.now = utc(2026, 1, 15, 10, 59)
    assert sending.find_due_letters() == []
    clock.now = utc(2026, 1, 15, 11, 0, 5)
    due = sending.find_due_letters()
    db.session.commit()
    assert due == ids[3:6]
    assert [claim_and_send(i, clock) for i in ids[3:]] == [True, True, True, False]
    # Those three went at 11:00:05, later than their slot, so the last one's slot moves too.
    clock.now = utc(2026, 1, 15, 12, 0, 3)
    assert not claim_and_send(ids[6], clock)
    assert mp_message(ids[6]).next_attempt_at == utc(2026, 1, 15, 12, 0, 6)
    clock.now = utc(2026, 1, 15, 12, 0, 6)
    assert claim_and_send(ids[6], clock)


def test_a_fresh_letter_waits_behind_the_ones_already_waiting(app, fake_members, clock):
    campaign = prepare_journey(app, letters_per_mp_per_hour=1)
    first, second = letters_to_one_mp(campaign, 2)
    assert claim_and_send(first, clock) and not claim_and_send(second, clock)
    clock.now = utc(2026, 1, 15, 10, 30)
    (third,) = letters_to_one_mp(campaign, 3)[2:]
    assert not claim_and_send(third, clock)  # the second letter's turn comes first
    clock.now = utc(2026, 1, 15, 11, 0, 1)
    assert claim_and_send(second, clock)
    assert mp_message(third).next_attempt_at == utc(2026, 1, 15, 12, 0, 2)


def test_outside_sending_hours_a_letter_waits_for_the_morning(app, fake_members, clock):
    campaign = prepare_journey(app, sending_hours={"from": "09:00", "to": "17:00"})
    clock.now = utc(2026, 3, 28, 21, 15)  # Saturday evening; BST starts overnight
    (letter,) = letters_to_one_mp(campaign, 1)
    assert not claim_and_send(letter, clock)
    assert mp_message(letter).next_attempt_at == utc(2026, 3, 29, 8, 0)
    clock.now = utc(2026, 3, 29, 8, 0, 10)
    assert claim_and_send(letter, clock)


def test_campaigns_without_pacing_send_at_once(app, fake_members, clock):
    campaign = prepare_journey(app)
    ids = letters_to_one_mp(campaign, 5)
    assert all(claim_and_send(i, clock) for i in ids)


def test_the_sent_page_says_when_the_letter_will_be_delivered(any_app, fake_members):
    prepare_journey(any_app, letters_per_mp_per_hour=1)
    first = any_app.test_client()
    page = first.get(send(first, write_letter(first)).headers["Location"])
    assert "We are sending it to Rachel Blake now" in text(page)
    # The first letter has gone; the next one to the same MP waits for the hour to pass.
    db.session.execute(
        OutboundMessage.__table__.update().values(status="sent", sent_at=pacing_now())
    )
    db.session.commit()
    second = any_app.test_client()
    sent = send(second, write_letter(second, email="other@example.org"))
    words = text(second.get(sent.headers["Location"]))
    print("\nsent page:", words[words.find("Your letter is on its way") :][:300])
    assert "It will be delivered to Rachel Blake at about" in words
    assert "at most 1 letter an hour to each MP" in words
    assert "You do not need to do anything" in words


def pacing_now() -> datetime:
    from action_app.models.types import utcnow

    return utcnow()


def test_the_rule_reads_the_cached_campaign(app, fake_members):
    view = campaign_snapshot(
        prepare_journey(
            app, letters_per_mp_per_hour=5, sending_hours={"from": "08:30", "to": "18:00"}
        )
    )
    assert PacingRule.of(view) == PacingRule(5, time(8, 30), time(18))
    unpaced = prepare_journey(app, letters_per_mp_per_hour=None, sending_hours=None)
    assert pacing.PacingRule.of(campaign_snapshot(unpaced)).active is False
