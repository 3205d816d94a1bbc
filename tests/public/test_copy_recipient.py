"""A campaign to each supporter's MP that sends a copy of every letter to one fixed recipient as
well (target "also", e.g. the minister): the document, the journey to both recipients through
the worker's task, one copy per supporter, holds, "I did not send this", pacing and the counts."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.registry import current_registry
from action_app.services import held_letters
from action_app.services.campaign_cache import cached_campaign
from action_app.services.campaigns import (
    CampaignInvalid,
    export_campaign,
    import_campaign,
    parse_campaign_document,
)
from action_app.services.owner import not_me_token
from action_app.stats.figures import read_figures
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form, text
from tests.journey import fill, send, write_letter
from tests.staff import create_staff, sign_in
from workers.tasks import send_letter_task

MP = "rachel.blake.mp@parliament.uk"
MINISTER = {"name": "Minister for Libraries", "email": "minister@dcms.example.gov.uk"}
WITH_COPY = {"target": {"type": "constituency_mp", "also": MINISTER}}


@pytest.fixture
def copy_journey(app, fake_members):
    prepare_journey(app, **WITH_COPY)
    return app.test_client()


def deliver():
    db.session.expire_all()
    for letter_id in db.session.scalars(select(Letter.id).order_by(Letter.id)):
        send_letter_task.run(letter_id)
    db.session.expire_all()


def kinds() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(OutboundMessage.kind, OutboundMessage.status).order_by(OutboundMessage.id)
    )
    return [tuple(row) for row in rows]


# --- the document ------------------------------------------------------------------------------


def test_the_copy_recipient_round_trips_through_the_document_and_its_revision(app):
    campaign = import_campaign({**CAMPAIGN_DOCUMENT, **WITH_COPY}, "tests").campaign
    exported = export_campaign(campaign)
    assert exported["target"] == {"type": "constituency_mp", "nations": [], "also": MINISTER}
    again = import_campaign(exported, "tests")
    assert again.changed_fields == []  # the export imports back unchanged
    assert campaign.revisions[0].changes["target"][1]["also"] == MINISTER
    import_campaign({**exported, "target": {"type": "constituency_mp"}}, "tests")
    before, after = campaign.revisions[-1].changes["target"]
    assert before["also"] == MINISTER and "also" not in after
    db.session.rollback()


@pytest.mark.parametrize(
    ("also", "problem"),
    [
        ({"email": "minister@example.gov.uk"}, "also needs a name"),
        ({"name": "  ", "email": "minister@example.gov.uk"}, "also needs a name"),
        ({"name": "Minister"}, "also needs an email address"),
        ({"name": "Minister", "email": "not an address"}, "is not an email address"),
        ({"name": "Minister\r\nBcc: all@example.org", "email": "m@example.org"}, "line breaks"),
        ({"name": "=?utf-8?q?Minister=0ABcc:_x?=", "email": "m@example.org"}, "=?"),
        ({"name": "Minister \u202egnp.exe", "email": "m@example.org"}, "direction"),
        ({"name": "Minister", "email": "=?utf-8?q?x?=@example.org"}, "=?"),
        ({"name": "M" * 201, "email": "m@example.org"}, "longer than 200"),
        ("the minister", 'like {"name": ..., "email": ...}'),
    ],
)
def test_a_bad_copy_recipient_is_refused_with_a_clear_reason(also, problem):
    document = {**CAMPAIGN_DOCUMENT, "target": {"type": "constituency_mp", "also": also}}
    with pytest.raises(CampaignInvalid) as refused:
        parse_campaign_document(document)
    [message] = refused.value.by_field["target"]
    assert message.startswith("target: ") and problem in message


def test_a_fixed_target_cannot_have_a_copy_and_its_name_follows_the_header_rule():
    fixed = {"type": "fixed", **MINISTER}
    with pytest.raises(CampaignInvalid, match="also is only for letters to each supporter's MP"):
        parse_campaign_document({**CAMPAIGN_DOCUMENT, "target": {**fixed, "also": MINISTER}})
    with pytest.raises(CampaignInvalid, match="line breaks"):
        parse_campaign_document(
            {**CAMPAIGN_DOCUMENT, "target": {**fixed, "name": "A\nBcc: x@example.org"}}
        )


# --- the journey -------------------------------------------------------------------------------


def test_the_letter_reaches_the_mp_and_the_copy_recipient_as_two_emails(copy_journey, smtp_server):
    written = write_letter(copy_journey, personal_paragraph="I read there every week.")
    check = copy_journey.get(written.headers["Location"])
    page = text(check)
    assert "This is exactly what Rachel Blake will receive." in page
    assert "The copy to Minister for Libraries" in page
    assert "This is a copy of my letter to my MP, Rachel Blake." in page
    assert "sent to Rachel Blake, and a copy to Minister for Libraries" in page
    assert page.count("I read there every week.") == 2  # both emails, word for word

    sent = copy_journey.post(post_form(check)["action"], data=post_form(check)["fields"])
    deliver()
    mail = smtp_server.wait_for(3)
    by_recipient = {m.rcpt_tos[0]: m.message for m in mail}
    to_mp, copy = by_recipient[MP], by_recipient[MINISTER["email"]]
    receipt = by_recipient["jane.smith@example.com"]
    assert to_mp["Message-ID"] != copy["Message-ID"]
    assert re.match(r"<letter-\d+-copy-\d+@write\.example\.org>", copy["Message-ID"])
    assert copy["To"] == f"{MINISTER['name']} <{MINISTER['email']}>"
    assert copy["Subject"] == to_mp["Subject"] and copy["Reply-To"] == to_mp["Reply-To"]
    copy_text = copy.get_content()
    assert "This is a copy of my letter to my MP, Rachel Blake." in copy_text
    assert "I read there every week." in copy_text
    # The postcode was checked against the MP's constituency, not the minister's: the copy's
    # foot does not claim it.
    assert "Postcode checked against your constituency" in to_mp.get_content()
    assert "Postcode checked" not in copy_text
    assert "a copy of your letter to Minister for Libraries" in receipt.get_content()
    # Checking a message-ID twice is not sending twice: a second run sends nothing more.
    deliver()
    assert len(smtp_server.wait_for(4, timeout=0.5)) == 3
    assert "A copy of your letter has been delivered to Minister for Libraries" in text(
        copy_journey.get(sent.headers["Location"])
    )


def test_one_copy_per_supporter_however_many_mps_they_write_to(copy_journey, app, smtp_server):
    send(copy_journey, write_letter(copy_journey))
    again = write_letter(copy_journey, postcode=EXAMPLE_POSTCODES["independent"])
    check = text(copy_journey.get(again.headers["Location"]))
    assert "You have already sent Minister for Libraries a copy" in check
    assert "The copy to" not in check
    send(copy_journey, again)
    # The same MP a second time is the friendly "already written" page, as ever.
    repeat = send(copy_journey, write_letter(copy_journey))
    assert "already" in text(repeat).lower()
    deliver()
    to_minister = smtp_server.wait_for(5, timeout=2, where=lambda m: m.rcpt_tos[0] != MP)
    assert [m.rcpt_tos for m in to_minister].count([MINISTER["email"]]) == 1
    copies = [k for k, _ in kinds() if k == "copy"]
    assert len(copies) == 1


def test_a_held_letter_holds_its_copy_and_releasing_sends_both(copy_journey, smtp_server):
    send(copy_journey, write_letter(copy_journey, contact_me_by_fax_only="x"))
    assert kinds() == [("mp", "held"), ("copy", "held")]
    deliver()
    assert smtp_server.wait_for(1, timeout=0.5) == []
    held_letters.release(db.session.scalar(select(Letter.id)))
    db.session.commit()
    deliver()
    recipients = {m.rcpt_tos[0] for m in smtp_server.wait_for(3)}
    assert {MP, MINISTER["email"]} <= recipients


def test_the_copy_waits_with_a_letter_held_by_the_seat_check(copy_journey):
    send(copy_journey, write_letter(copy_journey))
    letter = db.session.scalar(select(Letter))
    letter.status = "held"  # as the seat check leaves it, once the MP's message went first
    db.session.commit()
    deliver()
    assert ("copy", "held") in kinds()


def test_i_did_not_send_this_tells_both_offices(copy_journey, app, smtp_server):
    send(copy_journey, write_letter(copy_journey))
    deliver()
    smtp_server.wait_for(3)
    letter = db.session.scalar(select(Letter))
    owner = app.test_client()
    page = owner.get(f"/c/test-campaign/not-me/{not_me_token(letter)}")
    form = post_form(page)
    owner.post(form["action"], data=form["fields"])
    deliver()
    notes = smtp_server.wait_for(5)[3:]
    by_recipient = {m.rcpt_tos[0]: m.message for m in notes}
    assert set(by_recipient) == {MP, MINISTER["email"]}
    note = by_recipient[MINISTER["email"]]
    assert note.get_content().startswith("Dear Minister for Libraries,")
    original = next(m for m in smtp_server.received if m.rcpt_tos == [MINISTER["email"]])
    assert note["References"] == original.message["Message-ID"]


def test_the_pace_per_mp_never_holds_back_the_copies(copy_journey, app, smtp_server):
    """Two letters to one MP in a campaign that sends one an hour to each MP: the second waits
    its turn, and both copies go at once (a surge to the minister is neither paced nor
    refused)."""
    prepare_journey(app, **WITH_COPY, letters_per_mp_per_hour=1)
    current_registry().clear_caches()
    for email in ("one@example.org", "two@example.org"):
        client = app.test_client()
        send(client, write_letter(client, email=email))
    deliver()
    statuses = kinds()
    assert statuses.count(("copy", "sent")) == 2
    assert statuses.count(("mp", "sent")) == 1 and statuses.count(("mp", "pending")) == 1


def test_the_figures_count_the_copies_apart_from_the_letters(copy_journey, app, smtp_server):
    for email in ("one@example.org", "two@example.org"):
        client = app.test_client()
        send(client, write_letter(client, email=email))
    deliver()
    figures = read_figures(cached_campaign("test-campaign"))
    assert figures.headline.sent == 2  # letters, each counted once
    [copies] = figures.copies
    assert (copies.label, copies.sent, copies.failed) == ("Minister for Libraries", 2, 0)
    organiser = app.test_client()
    create_staff(app, "org@example.org", "organiser", campaigns=[figures.campaign_id])
    sign_in(organiser, "org@example.org")
    assert "Copies sent to Minister for Libraries 2" in text(organiser.get("/stats/test-campaign"))
    headline = organiser.get("/stats/test-campaign/export/headline.csv").get_data(as_text=True)
    assert "sent,2" in headline and "copies_sent,2" in headline


def test_sending_it_yourself_puts_the_copy_recipient_in_cc(copy_journey):
    check = copy_journey.get(write_letter(copy_journey).headers["Location"])
    assert "with a copy to Minister for Libraries" in text(check)
    own = copy_journey.post(
        check.request.path + "/send-yourself",
        data={"csrf_token": post_form(check)["fields"]["csrf_token"]},
        follow_redirects=True,
    )
    page = own.get_data(as_text=True)
    assert f"mailto:{MP}?cc={MINISTER['email']}&amp;subject=" in page
    assert "Cc" in text(own)


def test_the_copy_goes_in_embedded_mode_too(any_app, fake_members):
    """SQLite, no Redis, the outbox folder: the same two emails and the same counts."""
    prepare_journey(any_app, **WITH_COPY)
    client = any_app.test_client()
    send(client, write_letter(client))
    deliver()
    assert kinds() == [("mp", "sent"), ("copy", "sent"), ("receipt", "sent")]
    [copies] = read_figures(cached_campaign("test-campaign")).copies
    assert copies.sent == 1


def test_a_welsh_letter_and_its_copy_come_in_welsh(copy_journey, smtp_server):
    mp_page = copy_journey.get(
        "/c/test-campaign/your-mp", query_string={"postcode": "SW1A 1AA", "lang": "cy"}
    )
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    page = copy_journey.get(unescape(link[1]))
    assert "a chopi at Minister for Libraries" in text(page)  # the consent box
    action, fields = fill(page)
    check = copy_journey.get(copy_journey.post(action, data=fields).headers["Location"])
    assert "Y copi at Minister for Libraries" in text(check)
    assert "Dyma gopi o fy llythyr at fy AS, Rachel Blake." in text(check)
    form = post_form(check)
    copy_journey.post(unescape(form["action"]), data=form["fields"])
    deliver()
    by_recipient = {m.rcpt_tos[0]: m.message for m in smtp_server.wait_for(3)}
    copy_text = by_recipient[MINISTER["email"]].get_content()
    assert "Dyma gopi o fy llythyr at fy AS, Rachel Blake." in copy_text
    assert "sy'n anfon copi o bob llythyr atoch" in copy_text
    receipt = by_recipient["jane.smith@example.com"].get_content()
    assert "hefyd yn anfon copi o'ch llythyr at Minister for Libraries" in receipt


def test_with_email_confirmation_the_copy_goes_with_the_first_letter_confirmed(
    app, fake_members, smtp_server
):
    prepare_journey(app, **WITH_COPY, require_confirmation=True)
    client = app.test_client()
    send(client, write_letter(client))
    send(client, write_letter(client, postcode=EXAMPLE_POSTCODES["independent"]))
    deliver()
    links = [
        re.search(
            r"https://write\.example\.org(/c/test-campaign/confirm/\S+)", m.message.get_content()
        )[1]
        for m in smtp_server.wait_for(2)
    ]
    for link in reversed(links):  # the second letter is confirmed first
        page = client.get(link)
        form = post_form(page)
        client.post(form["action"], data=form["fields"])
    deliver()
    copies = [k for k, _ in kinds() if k == "copy"]
    assert len(copies) == 1
    with_copy = db.session.scalar(select(Letter).where(Letter.copy_key.is_not(None)))
    assert with_copy.recipient_name == "Jeremy Corbyn"
