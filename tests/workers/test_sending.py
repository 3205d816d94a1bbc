"""Sending with a real Celery worker process, PostgreSQL, Redis and an SMTP server on loopback."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from action_app import tasking
from action_app.extensions import db
from action_app.models import Constituency, Letter, OutboundMessage, ParticipationCount
from action_app.registry import registry_of
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.letters import recipient_for, render_letter
from action_app.services.lookup import list_seats
from action_app.services.submissions import LetterInput, find_letter, save_draft, submit_draft
from tests.html import post_form, text
from tests.journey import send, write_letter
from tests.workers.conftest import sendable_postcodes

SOURCES = ["partner-a", "partner-b", None]


def supporter(i: int) -> dict:
    return {
        "name": f"Supporter Number{i}",
        "email": f"supporter{i}@example.org",
        "address_line_1": f"{i} Test Road",
        "town": "Testville",
    }


def test_fifty_supporters_fifty_letters_fifty_receipts(
    app, live_campaign, fake_postcodes, smtp_server, start_worker
):
    start_worker(app)
    pairs = sendable_postcodes(fake_postcodes.dataset)
    expected = []
    for i in range(50):
        postcode, mp_email = pairs[i % len(pairs)]
        source = SOURCES[i % 3]
        browser = app.test_client()
        params = {"source": source} if source else {}
        response = send(browser, write_letter(browser, postcode, params=params, **supporter(i)))
        assert "/sent/" in response.headers["Location"], text(response)
        expected.append((supporter(i), mp_email, source, postcode))

    received = smtp_server.wait_for(100, timeout=60)
    assert len(received) == 100
    for details, mp_email, _, _ in expected:
        to_mp = [
            r
            for r in received
            if r.message["Reply-To"]
            and r.message["Reply-To"].addresses[0].addr_spec == details["email"]
        ]
        assert len(to_mp) == 1, details["email"]
        letter = to_mp[0].message
        assert to_mp[0].rcpt_tos == [mp_email]
        assert letter["To"].addresses[0].addr_spec == mp_email
        assert (
            str(letter["From"])
            == f"{details['name']} via Save the test library <action@write.example.org>"
        )
        assert letter["Subject"].startswith("A constituent in ")
        body = letter.get_content()
        assert body.startswith(f"{details['name']}\r\n{details['address_line_1']}\r\nTestville\r\n")
        assert f"Yours sincerely,\r\n{details['name']}" in body
        receipts = smtp_server.to(details["email"])
        assert len(receipts) == 1 and receipts[0].message["Subject"].startswith("Your letter to ")
    assert len({r.message_id for r in received}) == 100

    by_source = dict(
        db.session.execute(
            select(ParticipationCount.source, func.sum(ParticipationCount.letters)).group_by(
                ParticipationCount.source
            )
        ).all()
    )
    assert by_source == {"partner-a": 17, "partner-b": 17, "": 16}
    by_seat = dict(
        db.session.execute(
            select(Constituency.name, func.sum(ParticipationCount.letters))
            .join(Constituency, Constituency.id == ParticipationCount.constituency_id)
            .group_by(Constituency.name)
        ).all()
    )
    expected_seats = Counter(
        db.session.scalar(
            select(Constituency.name)
            .join(Letter, Letter.constituency_id == Constituency.id)
            .where(Letter.supporter_email == details["email"])
        )
        for details, *_ in expected
    )
    assert by_seat == dict(expected_seats)
    registry_of(app).local_totals.clear()
    assert app.test_client().get("/api/v1/campaigns/test-campaign/count").get_json() == {
        "slug": "test-campaign",
        "total": 50,
        "sent": 50,
    }


def test_duplicates_with_a_worker_send_one_letter(app, live_campaign, smtp_server, start_worker):
    start_worker(app)
    browser = app.test_client()
    first = write_letter(browser)
    form = post_form(browser.get(first.headers["Location"]))
    browser.post(form["action"], data=form["fields"])
    browser.post(form["action"], data=form["fields"])  # double click
    browser.post(form["action"], data=form["fields"])  # back, then Send again
    assert "already written" in text(send(browser, write_letter(browser)))  # the same browser
    other = app.test_client()  # another browser learns nothing; the address's owner is told
    sent = send(other, write_letter(other, email="JANE.SMITH@example.com"))
    # A new letter's page (no confirmation in this campaign): tests/public/test_address_privacy
    assert "Your letter is on its way" in text(other.get(sent.headers["Location"]))
    received = smtp_server.wait_for(3, timeout=20)
    assert len(received) == 3
    assert len(smtp_server.wait_for(4, timeout=2)) == 3  # and nothing more arrives
    assert len(smtp_server.to("rachel.blake.mp@parliament.uk")) == 1
    (notice,) = smtp_server.to("JANE.SMITH@example.com")
    assert notice.message["Subject"] == "Someone used your email address to write to your MP"


def _batch(campaign, count: int) -> list[int]:
    """Submit ``count`` letters through the service layer (the web path, minus the HTML)."""
    snapshot = campaign_snapshot(campaign)
    seats = [s for s in list_seats() if s.member and s.member.email]
    ids = []
    for i in range(count):
        recipient = recipient_for(snapshot, seats[i % len(seats)])
        parts = render_letter(snapshot, recipient)  # what the letter page shows
        typed = LetterInput(
            **supporter(i), subject=parts.subject, body_before=parts.before, body_after=parts.after
        )
        public_id = save_draft(
            snapshot,
            recipient,
            postcode="SW1A 1AA",
            source="batch",
            form_token=f"batch-{i}",
            letter=typed,
        )
        saved = find_letter(public_id, snapshot.id)
        submit_draft(saved, require_confirmation=False)
        ids.append(saved.id)
    db.session.commit()
    return ids


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(app, live_campaign, smtp_server, start_worker):
    worker = start_worker(app)
    ids = _batch(live_campaign, 500)
    for letter_id in ids:
        tasking.dispatch(tasking.SEND_LETTER, letter_id)

    def mp_mails():
        return [r for r in smtp_server.received if r.message["Subject"].startswith("A constituent")]

    smtp_server.wait_for(150, timeout=60)
    worker.kill()
    at_kill = len(mp_mails())
    assert at_kill < 500, "the batch finished before the kill; the test proves nothing"

    def receipts_now():
        return [r for r in smtp_server.received if r.message["Subject"].startswith("Your letter")]

    start_worker(app)
    # Every letter and receipt once, by Message-ID: a count of all arrivals would include the
    # (allowed) duplicates, and be reached while the last receipts are still on their way.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        len({m.message_id for m in mp_mails()}) == 500
        and len({r.message_id for r in receipts_now()}) == 500
    ):
        time.sleep(0.1)
    mails = mp_mails()
    unique = {m.message_id for m in mails}
    receipts = receipts_now()
    duplicates = len(mails) - len(unique)
    print(
        f"\nSIGKILL test: 500 letters, killed after {at_kill} MP emails; "
        f"delivered {len(unique)} unique MP emails ({duplicates} duplicates), "
        f"{len({r.message_id for r in receipts})} unique receipts, lost {500 - len(unique)}"
    )
    assert len(unique) == 500
    assert len({r.message_id for r in receipts}) == 500
    # A duplicate can only be a message the SMTP server had accepted when the kill came, before
    # its row was marked sent: at most one per worker process in flight.
    assert duplicates <= 2
    statuses = Counter(db.session.scalars(select(OutboundMessage.status)))
    assert statuses == {"sent": 1000}


def test_smtp_421_is_retried_until_delivered(app, live_campaign, smtp_server, start_worker):
    start_worker(app)
    smtp_server.answer_next(2, "421 4.3.2 Service not available, closing channel")
    browser = app.test_client()
    send(browser, write_letter(browser))
    received = smtp_server.wait_for(2, timeout=30)
    assert [r.rcpt_tos[0] for r in received] == [
        "rachel.blake.mp@parliament.uk",
        "jane.smith@example.com",
    ]
    message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "mp"))
    assert (message.status, message.attempts) == ("sent", 3)


def test_smtp_550_fails_and_the_supporter_is_told(app, live_campaign, smtp_server, start_worker):
    start_worker(app)
    smtp_server.answer_next(1, "550 5.1.1 Mailbox unavailable")
    browser = app.test_client()
    sent = send(browser, write_letter(browser, personal_paragraph="Please read this."))
    (notice,) = smtp_server.wait_for(1, timeout=30)
    assert notice.rcpt_tos == ["jane.smith@example.com"]
    assert notice.message["Subject"] == "We could not deliver your letter to Rachel Blake"
    content = notice.message.get_content()
    assert "550 5.1.1 Mailbox unavailable" in content and "Please read this." in content
    message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "mp"))
    assert message.status == "failed" and message.last_error.startswith("550")
    page = browser.get(sent.headers["Location"])
    assert "Your letter could not be delivered" in text(page)
    assert "Please read this." in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ParticipationCount.letters))) == 0


@pytest.mark.slow
def test_redis_down_while_supporters_submit(
    app, live_campaign, fake_postcodes, smtp_server, start_worker, throwaway_redis, tmp_path
):
    """Redis stops; 100 supporters send anyway; every letter goes once Redis is back."""
    from tests.conftest import build_app, dispose

    web = build_app(
        tmp_path / "web", **{**app.config["TEST_ENV"], "REDIS_URL": throwaway_redis.url}
    )
    try:
        start_worker(web)
        throwaway_redis.stop()
        pairs = sendable_postcodes(fake_postcodes.dataset)
        started = time.monotonic()
        for i in range(100):
            browser = web.test_client()
            response = send(
                browser, write_letter(browser, pairs[i % len(pairs)][0], **supporter(i))
            )
            assert "/sent/" in response.headers["Location"]
            assert "Your letter is on its way" in text(browser.get(response.headers["Location"]))
        took = time.monotonic() - started
        assert smtp_server.received == []
        assert (
            db.session.scalar(select(func.count(Letter.id)).where(Letter.status == "confirmed"))
            == 100
        )

        throwaway_redis.start()
        received = smtp_server.wait_for(200, timeout=90)
        letters = {r.message_id for r in received if r.message["Reply-To"]}
        print(
            f"\nRedis-down test: 100 letters accepted with Redis stopped in {took:.1f}s; "
            f"after Redis came back {len(letters)} letters and "
            f"{len(received) - len(letters)} receipts were delivered"
        )
        assert len(letters) == 100 and len(received) == 200
    finally:
        dispose(web)
