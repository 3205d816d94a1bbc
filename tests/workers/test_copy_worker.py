"""The copy to a campaign's additional recipient (target "also") in the worker: a real Celery
worker sends the two messages independently, and the seat check gates both."""

from __future__ import annotations

import time

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import MessageStatus, OutboundMessage
from action_app.services.campaign_cache import cached_campaign
from action_app.stats.figures import read_figures
from tests.journey import send, write_letter
from tests.public.conftest import set_campaign
from tests.workers.test_seat_check import WELSH, letter_to, run

MINISTER = {"name": "Minister for Libraries", "email": "minister@dcms.example.gov.uk"}
MP = "rachel.blake.mp@parliament.uk"


def _statuses() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(OutboundMessage.kind, OutboundMessage.status)).all())


def _settled(timeout: float = 10.0) -> dict[str, str]:
    """The statuses once no message is on its way: the worker records an outcome (and counts
    it) just after the mail server has the message, so the mail can arrive first."""
    deadline = time.monotonic() + timeout
    on_the_way = {MessageStatus.PENDING, MessageStatus.SENDING}
    while on_the_way & set((statuses := _statuses()).values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return statuses


def test_a_worker_sends_the_copy_even_when_the_mps_server_refuses_the_letter(
    app, live_campaign, smtp_server, start_worker
):
    set_campaign(target={"type": "constituency_mp", "also": MINISTER})
    start_worker(app)
    smtp_server.answer_next(1, "550 5.1.1 Mailbox unavailable")  # the MP's letter, sent first
    browser = app.test_client()
    send(browser, write_letter(browser))
    received = smtp_server.wait_for(2, timeout=30)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "jane.smith@example.com",  # told that the MP's copy failed
        MINISTER["email"],
    ]
    assert _settled() == {"mp": "failed", "copy": "sent", "failure_notice": "sent"}
    figures = read_figures(cached_campaign("test-campaign"))
    assert (figures.headline.sent, figures.headline.failed) == (0, 1)
    assert [(c.sent, c.failed) for c in figures.copies] == [(1, 0)]


def test_a_seat_that_is_not_the_postcodes_holds_the_copy_too(
    app, live_campaign, fake_postcodes, smtp_server
):
    set_campaign(target={"type": "constituency_mp", "also": MINISTER})
    letter = letter_to(app.test_client(), fake_postcodes, WELSH, "Aberdeen South")
    fake_postcodes.come_back()
    assert run(letter.id) == {"mp:held": 1, "seat_mismatch:sent": 1, "copy:held": 1}
    (notice,) = smtp_server.wait_for(1)
    assert notice.rcpt_tos == ["jane.smith@example.com"]
    assert smtp_server.wait_for(2, timeout=1) == [notice]  # nothing reached the minister


def test_a_checked_seat_sends_both_and_only_the_mp_is_told_it_was_checked(
    app, live_campaign, fake_postcodes, smtp_server
):
    set_campaign(target={"type": "constituency_mp", "also": MINISTER})
    letter = letter_to(app.test_client(), fake_postcodes, WELSH, "Ynys Môn")
    fake_postcodes.come_back()
    assert run(letter.id) == {"mp:sent": 1, "receipt:sent": 1, "copy:sent": 1}
    mail = {m.rcpt_tos[0]: m.message.get_content() for m in smtp_server.wait_for(3)}
    assert "Postcode checked against your constituency." in mail["llinos.medi.mp@parliament.uk"]
    assert "Postcode checked" not in mail[MINISTER["email"]]
