"""Nobody is shut out (issue 8 §3): anyone can type someone else's email address, so the limit
per email refuses nothing. A letter over it waits for the address's owner to confirm it by an
emailed link, so the owner can always send theirs from their inbox; and one address is sent
only so many of those emails, so the platform cannot flood an inbox: beyond that the letter is
held for a person, never dropped, with the same page."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, OutboundMessage
from action_app.registry import registry_of
from action_app.services.held_letters import release
from tests.conftest import prepare_journey
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form, text, title
from tests.journey import send, write_letter
from workers.tasks import send_letter_task

VICTIM = "victim@example.org"
MP = "rachel.blake.mp@parliament.uk"  # the MP for EXAMPLE_POSTCODES["england"]
OTHER_POSTCODES = [EXAMPLE_POSTCODES["scotland"], EXAMPLE_POSTCODES["wales"]]


@pytest.fixture
def site(app, fake_members):
    prepare_journey(app)  # no confirmation asked, as in the demo campaign
    return app


@pytest.fixture
def limits(site):
    """The per-email limit and the cap on the owner's emails, for this test only."""
    registry = registry_of(site)
    before = registry.settings

    def tune(per_email: str, owner_emails: str):
        registry.settings = site.config["SETTINGS"] = replace(
            before, rate_limit_per_email=per_email, rate_limit_owner_emails=owner_emails
        )

    yield tune
    registry.settings = site.config["SETTINGS"] = before


def deliver():
    db.session.expire_all()
    for letter_id in db.session.scalars(select(Letter.id).order_by(Letter.id)):
        send_letter_task.run(letter_id)
    db.session.expire_all()


def press(client, page):
    form = post_form(page)
    return client.post(form["action"], data=form["fields"])


def mails_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.received if address in m.rcpt_tos]


def confirm_link(mail) -> str:
    return re.search(r"https://write\.example\.org(/c/test-campaign/confirm/\S+)", mail)[1]


def test_an_attacker_who_fills_the_limit_does_not_lock_the_owner_out(site, limits, smtp_server):
    limits(per_email="2 per hour", owner_emails="3 per hour")
    for postcode in OTHER_POSTCODES:  # the attacker uses the victim's address up
        attacker = site.test_client()
        assert send(attacker, write_letter(attacker, postcode, email=VICTIM)).status_code == 302

    victim = site.test_client()
    response = send(
        victim, write_letter(victim, email=VICTIM, personal_paragraph="My own words, kept.")
    )
    assert response.status_code == 302  # taken, not refused
    page = victim.get(response.headers["Location"])
    assert title(page).startswith("Check your email to send your letter")
    words = text(page)
    assert "Several letters have been written with this email address recently" in words
    assert "Your letter is saved as you wrote it" in words
    assert f"We will email a link to {VICTIM}" in words
    state = victim.get(response.headers["Location"] + "/status").get_json()
    assert state["state"] == "awaiting_confirmation" and state["finished"] is True

    deliver()
    assert smtp_server.to(MP) == []  # nothing reaches the MP until the owner confirms
    confirmation = next(
        m for m in mails_to(smtp_server, VICTIM) if m.message["Subject"].startswith("Confirm")
    )
    link = confirm_link(confirmation.message.get_content())
    inbox = site.test_client()  # the owner opens the link wherever they read their email
    done = press(inbox, inbox.get(link))
    assert done.status_code == 302
    deliver()
    (letter,) = smtp_server.to(MP)
    assert "My own words, kept." in letter.message.get_content()
    assert "Your letter has been delivered" in text(inbox.get(done.headers["Location"]))


def test_the_owners_emails_are_capped_and_nothing_is_dropped(site, limits, smtp_server):
    """Past the limit, an attacker gets the owner two confirmation emails at most (the cap);
    the letters after that are held for a person, with the same page, and none is lost."""
    limits(per_email="1 per hour", owner_emails="2 per hour")
    first = site.test_client()
    send(first, write_letter(first, email=VICTIM))  # under the limit: sent as usual

    pages = []
    for attempt in range(5):  # to the same MP: the address has written, and is over its limit
        attacker = site.test_client()
        response = send(attacker, write_letter(attacker, email=VICTIM, name=f"Attacker {attempt}"))
        assert response.status_code == 302
        pages.append(text(attacker.get(response.headers["Location"])))
    elsewhere = site.test_client()  # and to another MP
    response = send(elsewhere, write_letter(elsewhere, OTHER_POSTCODES[0], email=VICTIM))
    pages.append(text(elsewhere.get(response.headers["Location"])))

    mp_names = re.compile(r"Your letter to [^.]+ will be sent")
    assert len({mp_names.sub("", re.sub(r"Attacker \d", "", page)) for page in pages}) == 1
    assert "Several letters have been written with this email address recently" in pages[0]

    statuses = db.session.execute(select(Letter.status, func.count()).group_by(Letter.status)).all()
    assert dict(statuses) == {
        LetterStatus.CONFIRMED: 1,
        LetterStatus.AWAITING_CONFIRMATION: 2,  # its owner was emailed
        LetterStatus.HELD: 4,  # over the cap: for a person
    }
    deliver()
    to_victim = mails_to(smtp_server, VICTIM)
    subjects = sorted(m.message["Subject"].split(":")[0] for m in to_victim)
    assert len(to_victim) == 3, subjects  # the first letter's receipt and two notices
    assert len(smtp_server.to(MP)) == 1

    # A person releases the held letter to the other MP: its owner is asked to confirm it.
    held = db.session.scalar(
        select(Letter).where(Letter.status == LetterStatus.HELD, Letter.postcode != "SW1A 1AA")
    )
    release(held.id)
    db.session.commit()
    deliver()
    confirmation = next(
        m for m in mails_to(smtp_server, VICTIM) if m.message["Subject"].startswith("Confirm")
    )
    owner = site.test_client()
    press(owner, owner.get(confirm_link(confirmation.message.get_content())))
    deliver()
    kinds = db.session.scalars(
        select(OutboundMessage.status).where(
            OutboundMessage.letter_id == held.id, OutboundMessage.kind == MessageKind.MP
        )
    ).all()
    assert kinds == ["sent"]


def test_a_confirmation_campaign_over_the_limit_says_why(site, limits):
    """Where every letter is confirmed anyway, the page over the limit says why it may take
    longer; under it, the page is as it was."""
    prepare_journey(site, require_confirmation=True)
    registry_of(site).clear_caches()
    limits(per_email="1 per hour", owner_emails="5 per hour")
    under = site.test_client()
    plain = text(under.get(send(under, write_letter(under, email=VICTIM)).headers["Location"]))
    over = site.test_client()
    response = send(over, write_letter(over, OTHER_POSTCODES[0], email=VICTIM))
    said = text(over.get(response.headers["Location"]))
    assert "Several letters" not in plain and f"We have sent a link to {VICTIM}" in plain
    assert "Several letters have been written with this email address recently" in said
