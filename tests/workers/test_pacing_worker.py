"""Pacing with a real worker: letters over an MP's hourly limit wait in the database."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from action_app import tasking
from action_app.extensions import db
from action_app.models import OutboundMessage
from action_app.models.types import utcnow
from tests.conftest import prepare_journey
from tests.services.test_pacing import letters_to_one_mp


def test_a_paced_campaign_sends_its_hourly_limit_and_keeps_the_rest(
    app, fake_members, smtp_server, start_worker
):
    campaign = prepare_journey(app, letters_per_mp_per_hour=2)
    worker = start_worker(app)
    ids = letters_to_one_mp(campaign, 5)
    for action_id in ids:
        tasking.dispatch(tasking.SEND_LETTER, action_id)
    received = smtp_server.wait_for(4, timeout=30)
    time.sleep(2)  # two sweeps more: nothing else may go
    db.session.expire_all()
    messages = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.kind == "mp").order_by(OutboundMessage.id)
    ).all()
    waiting = [m for m in messages if m.status == "pending"]
    print(
        f"\npaced worker: 5 letters to one MP at 2 an hour: {len(smtp_server.received)} "
        f"emails sent now; {len(waiting)} wait until "
        + ", ".join(f"{m.next_attempt_at:%H:%M:%S}" for m in waiting)
    )
    assert len(received) == len(smtp_server.received) == 4  # two letters, two receipts
    # Which two go first is the workers' race (a relay and the letters' own tasks claim them
    # in any order); how many go, and when the rest wait until, is the pace.
    assert sorted(m.status for m in messages) == ["pending", "pending", "pending", "sent", "sent"]
    now = utcnow()
    # Two go in the next hour, the fifth in the hour after.
    waiting.sort(key=lambda m: m.next_attempt_at)
    for message, hours in zip(waiting, (1, 1, 2), strict=True):
        assert abs(message.next_attempt_at - (now + timedelta(hours=hours))) < timedelta(minutes=2)
        assert message.dispatched_at is None  # the sweep queues it when its time comes
    assert "ETA:" not in worker.log()  # no task parked in the broker with a countdown
