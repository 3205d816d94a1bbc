"""Personal data expires: consent recorded, the scheduled scrub, and one person's export/erase."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Campaign, Letter, OptInRecord, OutboundMessage, ParticipationCount
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services import scrub
from action_app.services.consent import CONSENT_VERSION, consent_wording
from action_app.services.participation import count_from_database
from tests.conftest import prepare_journey
from tests.html import text
from tests.journey import open_letter, send, write_letter

PERSONAL_FIELDS = (
    "supporter_name", "supporter_email", "address_line_1", "address_line_2", "town", "postcode",
    "subject", "body_before", "personal_paragraph", "body_after",
)  # fmt: skip


@pytest.fixture
def journey(any_app, fake_members):
    prepare_journey(any_app)
    return any_app


def write(app, email: str, **changes):
    browser = app.test_client()
    response = send(browser, write_letter(browser, email=email, **changes))
    assert "/sent/" in response.headers["Location"]
    return db.session.scalar(select(Letter).where(Letter.supporter_email == email))


def deliver(action: Letter, at) -> None:
    """As the worker would: the MP's letter delivered (counted), then the receipt."""
    from action_app.services.participation import record_letter_sent

    mp = db.session.scalar(select(OutboundMessage).where(OutboundMessage.letter_id == action.id))
    mp.status, mp.sent_at, mp.attempts = "sent", at, 1
    record_letter_sent(action)
    db.session.add(
        OutboundMessage(
            letter_id=action.id, kind="receipt", status="sent", created_at=at, sent_at=at
        )
    )
    db.session.commit()


def test_the_consent_version_and_each_opt_in_are_kept_with_the_letter(journey):
    page = open_letter(journey.test_client())
    assert consent_wording("Rachel Blake") in text(page)
    letter = write(journey, "ann@example.org", opt_ins=["friends"])
    assert letter.consent_version == CONSENT_VERSION
    (record,) = db.session.scalars(select(OptInRecord))
    assert (record.letter_id, record.organisation, record.organisation_name) == (
        letter.id,
        "friends",
        "Friends of the Library",
    )
    assert record.statement == "Email me news."  # exactly the words beside the box
    assert abs(record.opted_in_at - letter.submitted_at) < timedelta(seconds=1)
    write(journey, "bob@example.org")  # no box ticked: nothing recorded
    assert db.session.scalar(select(func.count(OptInRecord.id))) == 1


def test_the_scrub_removes_old_personal_data_and_leaves_the_figures(journey):
    now = utcnow()
    old = write(journey, "old@example.org", opt_ins=["friends"], personal_paragraph="My words.")
    recent = write(journey, "recent@example.org", opt_ins=["friends"])
    waiting = write(journey, "waiting@example.org")  # not sent yet: kept
    deliver(old, now - timedelta(days=29))
    deliver(recent, now - timedelta(days=2))
    campaign_id = old.campaign_id
    before = count_from_database(campaign_id)
    seats_before = db.session.execute(
        select(ParticipationCount.constituency_id, ParticipationCount.letters)
    ).all()

    result = scrub.scrub_expired(now, 28, outbox=None)
    print(f"\nscrub after 28 days: {result}; totals before {before}")
    assert result == {"letters_scrubbed": 1, "outbox_files_removed": 0}

    db.session.expire_all()
    old, recent, waiting = (db.session.get(Letter, a.id) for a in (old, recent, waiting))
    assert all(getattr(old, name) == "" for name in PERSONAL_FIELDS)
    assert old.email_key == f"scrubbed:{old.id}" and old.scrubbed_at == now
    # What the figures are made of stays.
    assert (old.recipient_name, old.constituency_id, old.status) == (
        recent.recipient_name,
        recent.constituency_id,
        "confirmed",
    )
    assert count_from_database(campaign_id) == before
    assert (
        db.session.execute(
            select(ParticipationCount.constituency_id, ParticipationCount.letters)
        ).all()
        == seats_before
    )
    assert recent.supporter_email == "recent@example.org" and recent.scrubbed_at is None
    assert waiting.supporter_email == "waiting@example.org"
    # The opt-in records stay as evidence (what was agreed, to whom, when); the scrubbed letter
    # they point at no longer says who agreed.
    records = {r.letter_id for r in db.session.scalars(select(OptInRecord))}
    assert records == {old.id, recent.id}
    assert db.session.get(Letter, old.id).supporter_email == ""
    # A second run finds nothing more.
    assert scrub.scrub_expired(now, 28, outbox=None)["letters_scrubbed"] == 0


def test_a_campaign_closed_long_ago_is_scrubbed_even_if_a_letter_never_went(journey):
    now = utcnow()
    stuck = write(journey, "stuck@example.org")
    campaign = db.session.get(Campaign, stuck.campaign_id)
    campaign.closes_at = now - timedelta(days=29)
    db.session.commit()
    assert scrub.scrub_expired(now, 28, outbox=None)["letters_scrubbed"] == 1
    message = db.session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.letter_id == stuck.id)
        .execution_options(populate_existing=True)
    )
    assert message.status == "failed" and "details were removed" in message.last_error


def test_the_number_of_days_is_a_setting(journey):
    now = utcnow()
    letter = write(journey, "short@example.org")
    deliver(letter, now - timedelta(days=8))
    assert scrub.scrub_expired(now, 28, outbox=None)["letters_scrubbed"] == 0
    assert scrub.scrub_expired(now, 7, outbox=None)["letters_scrubbed"] == 1


def test_outbox_files_follow_the_same_rule(tmp_path):
    now = utcnow()
    old, new = tmp_path / "old.eml", tmp_path / "new.eml"
    other = tmp_path / "notes.txt"
    for path in (old, new, other):
        path.write_text("To: someone@example.org\n\nhello\n")
    stamp = (now - timedelta(days=29)).replace(tzinfo=UTC).timestamp()
    os.utime(old, (stamp, stamp))
    os.utime(other, (stamp, stamp))
    assert scrub.remove_old_outbox_files(tmp_path, now, 28) == 1
    assert not old.exists() and new.exists() and other.exists()


def test_the_scrub_runs_from_beat(any_app):
    schedule = registry_of(any_app).celery.conf.beat_schedule
    assert schedule["scrub-personal-data"]["task"] == "action_app.scrub_personal_data"
    assert any_app.config["SETTINGS"].personal_data_days == 28


# --- one person: export and erase -------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_people_export_gives_everything_held_and_logs_no_personal_data(journey, caplog):
    letter = write(journey, "Jane.Doe@example.org", opt_ins=["friends"], personal_paragraph="Hi")
    write(journey, "someone.else@example.org")
    caplog.set_level(logging.INFO)
    result = run(journey, "people", "export", "jane.doe+campaigns@EXAMPLE.org")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    (exported,) = document["letters"]
    assert exported["supporter_email"] == "Jane.Doe@example.org"
    assert exported["personal_paragraph"] == "Hi"
    assert exported["consent_version"] == CONSENT_VERSION
    assert exported["recipient"]["name"] == letter.recipient_name
    assert exported["messages"][0]["kind"] == "mp"
    assert document["opt_ins"][0]["wording"] == "Email me news."
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "people export" in logged and document["reference"] in logged
    assert "jane" not in logged.lower() and "example.org" not in logged


def test_people_erase_removes_the_person_and_keeps_the_counts(journey, caplog):
    now = utcnow()
    sent = write(journey, "erase.me@example.org")
    deliver(sent, now)
    campaign_id = sent.campaign_id
    browser = journey.test_client()
    draft = write_letter(browser, email="erase.me@example.org", postcode="AB10 1AB")
    assert draft.status_code == 302
    outbox = journey.config["SETTINGS"].mail.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "a.eml").write_text("To: Erase.Me@example.org\n\nYour letter\n")
    (outbox / "b.eml").write_text("To: rachel.blake.mp@parliament.uk\n\nOther letter\n")
    before = count_from_database(campaign_id)
    caplog.set_level(logging.INFO)

    result = run(journey, "people", "erase", "erase.me@example.org", "--yes")
    assert result.exit_code == 0, result.output
    print("\n" + result.output.strip())
    assert "1 letters scrubbed, 1 unsent letters deleted, 1 outbox files removed" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Letter.id)).where(Letter.status == "draft")) == 0
    kept = db.session.get(Letter, sent.id)
    assert kept.supporter_email == "" and kept.scrubbed_at is not None
    assert not (outbox / "a.eml").exists() and (outbox / "b.eml").exists()
    registry_of(journey).clear_caches()
    assert count_from_database(campaign_id) == before
    assert (
        json.loads(run(journey, "people", "export", "erase.me@example.org").output)["letters"] == []
    )
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "people erase" in logged and "erase.me" not in logged


def test_erasing_by_another_form_of_the_address_removes_the_outbox_files_too(journey):
    """Letters match by the normalised address (case, +tag, dots), so erasing the address
    the person usually gives finds the letter written as Jane.Doe+mp@gmail.com: its outbox
    files must go with it, and the export must list them."""
    write(journey, "Jane.Doe+mp@gmail.com")
    outbox = journey.config["SETTINGS"].mail.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "mp.eml").write_text("Reply-To: Jane.Doe+mp@gmail.com\n\nDear Rachel Blake\n")
    (outbox / "other.eml").write_text("To: someone@example.org\n\nAnother letter\n")
    exported = json.loads(run(journey, "people", "export", "janedoe@gmail.com").output)
    assert len(exported["letters"]) == 1
    assert [os.path.basename(f) for f in exported["outbox_files"]] == ["mp.eml"]
    result = run(journey, "people", "erase", "janedoe@gmail.com", "--yes")
    assert result.exit_code == 0, result.output
    assert not (outbox / "mp.eml").exists() and (outbox / "other.eml").exists()


def test_people_erase_asks_first(journey):
    write(journey, "keep.me@example.org")
    result = journey.test_cli_runner().invoke(
        args=["people", "erase", "keep.me@example.org"], input="n\n"
    )
    assert result.exit_code == 1
    assert db.session.scalar(select(Letter.supporter_email)) == "keep.me@example.org"


def test_the_privacy_page_says_what_is_kept_for_how_long_and_how_to_ask(journey):
    words = text(journey.test_client().get("/privacy"))
    for expected in (
        "your name, postal address, postcode and email address",
        "which version of the “I agree” wording you agreed to",
        "the exact words you ticked, and when",
        "deleted 28 days later, or 28 days after the campaign closes",
        "A letter you start but do not send is deleted after 24 hours",
        "We do not keep your internet (IP) address with your letter",
        "Email action@write.example.org from the address you wrote with",
    ):
        assert expected in words, expected


def test_the_sent_page_of_a_scrubbed_letter_says_the_details_are_gone(journey):
    browser = journey.test_client()
    sent = send(browser, write_letter(browser, email="gone@example.org"))
    letter = db.session.scalar(select(Letter).where(Letter.supporter_email == "gone@example.org"))
    deliver(letter, utcnow() - timedelta(days=30))
    scrub.scrub_expired(utcnow(), 28, outbox=None)
    words = text(browser.get(sent.headers["Location"]))
    assert "Your letter was sent" in words and "we have since deleted your details" in words
    assert "gone@example.org" not in words
