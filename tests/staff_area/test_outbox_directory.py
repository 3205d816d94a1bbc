"""The outbox, test sends, the closing time, the directory and the audit log, with a real worker
and a real SMTP server."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import (
    AuditEvent,
    Campaign,
    Letter,
    Member,
    OutboundMessage,
    ParticipationCount,
)
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services import campaign_cache
from action_app.services.participation import count_from_database
from tests.conftest import sync_directory
from tests.html import text
from tests.journey import send, write_letter
from tests.staff import create_staff, csrf_token, sign_in


@pytest.fixture
def editor(app, live_campaign):
    create_staff(app, "ed@example.org", "editor")
    client = app.test_client()
    sign_in(client, "ed@example.org")
    return client


def _post(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/"), **fields})


def _a_member_with_email() -> Member:
    return db.session.scalars(
        select(Member).where(Member.is_current, Member.email.is_not(None)).order_by(Member.id)
    ).first()


def test_a_test_send_reaches_the_editor_marked_and_is_not_counted(
    app,
    editor,
    smtp_server,
    start_worker,
):
    start_worker(app)
    member = _a_member_with_email()
    response = _post(editor, "/staff/campaigns/test-campaign/test-send", member=str(member.id))
    assert response.status_code == 302
    mail = smtp_server.wait_for(1)
    assert len(mail) == 1
    assert mail[0].rcpt_tos == ["ed@example.org"]
    assert mail[0].message["Subject"].startswith("[TEST] ")
    assert "Dear " in mail[0].message.get_content()
    time.sleep(1.0)  # no receipt follows
    assert len(smtp_server.received) == 1
    assert db.session.scalar(select(func.count()).select_from(ParticipationCount)) == 0
    # Nor when the public total is counted again from the database (the hot copy expired).
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == "test-campaign"))
    assert count_from_database(campaign_id).total == 0
    outbox = editor.get("/staff/outbox?status=sent")
    assert "test" in text(outbox)


def test_a_failed_letter_shows_the_smtp_answer_and_can_be_retried(
    app,
    editor,
    smtp_server,
    start_worker,
):
    smtp_server.answer_next(1, "550 5.1.1 Mailbox unavailable")
    start_worker(app)
    supporter = app.test_client()
    response = send(supporter, write_letter(supporter))
    assert "/sent/" in response.headers["Location"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.expire_all()
        failed = db.session.scalar(
            select(OutboundMessage).where(OutboundMessage.status == "failed")
        )
        if failed is not None:
            break
        time.sleep(0.2)
    assert failed is not None
    page = editor.get("/staff/outbox?status=failed")
    assert "550 5.1.1 Mailbox unavailable" in text(page)
    assert "Jane Smith" in text(page)  # editors see the supporter
    counts = text(editor.get("/staff/outbox"))
    assert "Save the test library" in counts
    retry = _post(editor, f"/staff/outbox/{failed.id}/retry", back="failed")
    assert retry.status_code == 302
    delivered = smtp_server.wait_for(1, where=lambda r: r.message["Reply-To"] is not None)
    assert len(delivered) == 1
    events = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "message_retried" in events


def test_held_letters_are_released_or_rejected(app, editor, smtp_server, start_worker):
    supporter = app.test_client()
    send(supporter, write_letter(supporter))
    message = db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "mp")).one()
    message.status = "held"  # as a bot check would leave it
    db.session.commit()
    page = editor.get("/staff/outbox?status=held")
    assert "Release" in text(page) and "Reject" in text(page)
    assert _post(editor, f"/staff/outbox/{message.id}/reject", reason="bot").status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message.id).status == "rejected"
    again = _post(editor, f"/staff/outbox/{message.id}/release")
    assert again.status_code == 302
    assert "Only a held message can be released" in text(editor.get(again.location))
    message = db.session.get(OutboundMessage, message.id)
    message.status = "held"
    db.session.commit()
    start_worker(app)
    _post(editor, f"/staff/outbox/{message.id}/release")
    assert smtp_server.wait_for(1, where=lambda r: r.message["Reply-To"] is not None)


def test_the_closing_time_closes_the_page_and_an_accepted_letter_is_still_sent(
    app,
    editor,
    smtp_server,
    start_worker,
    monkeypatch,
):
    campaign = db.session.scalars(select(Campaign)).one()
    campaign.closes_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    registry_of(app).campaign_cache.clear()
    supporter = app.test_client()
    accepted = send(supporter, write_letter(supporter))  # no worker yet: it waits in the outbox
    assert "/sent/" in accepted.headers["Location"]
    # Two hours pass.
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(campaign_cache, "utcnow", lambda: later)
    registry_of(app).page_cache.clear()
    registry_of(app).response_cache.clear()
    page = app.test_client().get("/c/test-campaign")
    assert "This campaign has closed." in text(page)
    assert "Find your MP" not in text(page)
    late = app.test_client().get("/c/test-campaign/your-mp?postcode=SW1A+1AA")
    assert "Find your MP" not in text(late)
    assert "closed" in text(editor.get("/staff/campaigns"))
    start_worker(app)
    letters = smtp_server.wait_for(1, where=lambda r: r.message["Reply-To"] is not None)
    assert len(letters) == 1


def test_an_email_override_outlives_a_sync_and_is_audited(app, editor):
    member = _a_member_with_email()
    page = editor.get(f"/staff/directory/mps/{member.id}")
    assert member.display_name in text(page)
    missing_note = _post(editor, f"/staff/directory/mps/{member.id}", email="new@parliament.uk")
    assert missing_note.status_code == 400
    assert "Say why the address is overridden" in text(missing_note)
    assert 'value="new@parliament.uk"' in missing_note.get_data(as_text=True)
    saved = _post(
        editor, f"/staff/directory/mps/{member.id}", email="new@parliament.uk",
        note="The office asked us to use this one.",
    )  # fmt: skip
    assert saved.status_code == 302
    sync_directory(app)
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert member.email == "new@parliament.uk"
    assert member.email_override_note == "The office asked us to use this one."
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "mp_email_override")
    ).one()
    assert event.details["after"] == "new@parliament.uk"
    assert "override" in text(editor.get("/staff/directory?show=overridden"))


def test_directory_search_and_filters(app, editor):
    member = _a_member_with_email()
    found = text(editor.get(f"/staff/directory?q={member.display_name.split()[-1]}"))
    assert member.display_name in found
    vacant = text(editor.get("/staff/directory?show=vacant"))
    no_email = text(editor.get("/staff/directory?show=no_email"))
    assert "Vacant" in vacant
    assert "No email" in no_email


def test_a_sync_started_in_the_browser_shows_progress_then_its_summary(
    app,
    editor,
    start_worker,
):
    start_worker(app)
    started = _post(editor, "/staff/directory/sync")
    assert started.status_code == 302
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = text(editor.get(started.location))
        if "The sync has finished" in page:
            break
        time.sleep(0.5)
    assert "The sync has finished" in page
    assert re.search(r"Unchanged \d+", page)


def test_a_sync_started_while_another_runs_says_it_did_not_start(app, editor, pg_url):
    """A manager presses "sync now" while another sync holds the directory: the progress page
    says this one did not start and why, not that a sync failed."""
    import psycopg

    from action_app.services.members_sync import SYNC_LOCK
    from workers.tasks import sync_members_task

    started = _post(editor, "/staff/directory/sync")
    job = started.location.rsplit("/", 1)[1]
    with psycopg.connect(pg_url.replace("+psycopg", "")) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (SYNC_LOCK,))
        sync_members_task.run(job)
    page = text(editor.get(started.location))
    assert "This sync did not start: Another directory sync is running" in page
    assert "failed" not in page


def test_admins_read_and_filter_the_audit_log(app, editor):
    create_staff(app, "admin@example.org", "admin")
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    sign_in(app.test_client(), "ed@example.org", "wrong password here")
    everything = text(admin.get("/staff/audit"))
    assert "sign in failed" in everything and "ed@example.org" in everything
    failed_only = text(admin.get("/staff/audit?action=sign_in_failed"))
    assert "sign in failed" in failed_only
    assert "admin@example.org sign in " not in failed_only
    assert editor.get("/staff/audit").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 0


# Numbers that no row can have: "²" passes str.isdigit but not int(); the other is past
# PostgreSQL's bigint. Each used to reach the database, or int(), and answer 500.
NOT_AN_ID = ["\u00b2", "99999999999999999999"]


@pytest.mark.parametrize("bad", NOT_AN_ID)
def test_a_filter_that_can_name_no_row_is_ignored(app, editor, bad):
    outbox = editor.get("/staff/outbox", query_string={"campaign": bad})
    assert outbox.status_code == 200
    assert "Failed letters" in text(outbox) and "in one campaign" not in text(outbox)
    preview = editor.get("/staff/campaigns/test-campaign/preview", query_string={"member": bad})
    assert preview.status_code == 200
    assert "Preview the email an MP receives" in text(preview)
    sent = _post(editor, "/staff/campaigns/test-campaign/test-send", member=bad)
    assert sent.status_code == 400
    assert "Choose an MP with a seat from the search" in text(sent)
    create_staff(app, "admin@example.org", "admin")
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    audit = admin.get("/staff/audit", query_string={"days": bad})
    assert audit.status_code == 200
    assert 'id="days" name="days" type="text" inputmode="numeric" value="30"' in audit.get_data(
        as_text=True
    )


def test_an_id_in_the_address_that_no_row_can_have_is_not_found(app, editor):
    too_big = NOT_AN_ID[1]
    member = editor.get(f"/staff/directory/mps/{too_big}")
    assert member.status_code == 404 and "Page not found" in text(member)
    retry = _post(editor, f"/staff/outbox/{too_big}/retry")
    assert retry.status_code == 404
    assert editor.get(f"/mp-photos/{too_big}").status_code == 404
    create_staff(app, "admin@example.org", "admin")
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    person = admin.get(f"/staff/people/{too_big}")
    assert person.status_code == 404 and "Page not found" in text(person)


def test_control_characters_in_a_search_are_dropped_and_the_search_still_finds(app, editor):
    # A NUL (from a pasted or crafted address) reached PostgreSQL's text and answered 500.
    member = _a_member_with_email()
    surname = member.display_name.split()[-1]
    found = editor.get("/staff/directory", query_string={"q": f"\x00{surname}\x00"})
    assert found.status_code == 200 and member.display_name in text(found)
    preview = editor.get(
        "/staff/campaigns/test-campaign/preview", query_string={"q": f"{surname}\x00"}
    )
    assert preview.status_code == 200 and member.display_name in text(preview)
    create_staff(app, "admin@example.org", "admin")
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    audit = admin.get("/staff/audit", query_string={"actor": "ed@\x00example.org"})
    assert audit.status_code == 200 and "ed@example.org" in text(audit)


def test_a_held_letter_with_no_email_of_its_own_is_released_or_rejected_on_the_page(app, editor):
    """A letter the supporter sends themselves has no email of ours to hold, so the message
    list cannot show it: the held page lists such letters apart, to release or reject."""
    from tests.public.test_send_yourself_defences import send_myself

    for email in ("bot1@example.org", "bot2@example.org"):
        bot = app.test_client()
        send_myself(bot, write_letter(bot, email=email, contact_me_by_fax_only="x"))
    first, second = db.session.scalars(select(Letter).order_by(Letter.id)).all()
    assert (first.status, second.status) == ("held", "held")
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
    page = text(editor.get("/staff/outbox?status=held"))
    assert "Held letters with no email of their own" in page
    assert f"Letter {first.id}" in page and "bot check: the hidden field was filled in" in page
    assert "No held letters" not in page

    released = _post(editor, f"/staff/outbox/letters/{first.id}/release", back="held")
    assert f"Letter {first.id} is released." in text(editor.get(released.location))
    rejected = _post(editor, f"/staff/outbox/letters/{second.id}/reject", reason="a bot")
    assert f"Letter {second.id} is rejected" in text(editor.get(rejected.location))
    db.session.expire_all()
    assert db.session.get(Letter, first.id).status == "confirmed"
    assert db.session.get(Letter, second.id).status == "rejected"
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0  # none
    again = _post(editor, f"/staff/outbox/letters/{first.id}/release", back="held")
    assert "is confirmed, not held" in text(editor.get(again.location))
    assert "No held letters" in text(editor.get("/staff/outbox?status=held"))
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "message_released" in actions and "message_rejected" in actions
