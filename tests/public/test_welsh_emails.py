"""Every email a supporter can be sent about a letter, built for a letter written in Welsh:
each is in Welsh, with no sentence of the catalogue left in English (and the note to an MP's
office that a letter was not its sender's comes in the letter's language too)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign, Letter, MessageKind, OutboundMessage, ReplyCheck
from action_app.services import sending
from action_app.services.campaign_cache import cached_campaign_by_id
from action_app.services.emails import outgoing
from action_app.stats import replies
from tests.conftest import prepare_journey
from tests.html import post_form, text, title
from tests.journey import write_letter
from tests.public.test_welsh import WELSH, html_lang
from tests.translations import TRANSLATIONS

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|<[^>]+>")


def english_sentences() -> set[str]:
    """Every run of English words in the catalogue that its Welsh does not also hold (links,
    names and placeholders split the runs): what must not appear in a Welsh email."""
    with (TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="cy")
    welsh = " ".join(str(m.string) for m in catalogue if m.id)
    found = set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        for run in PLACEHOLDER.split(message.id):
            for sentence in re.split(r"(?<=[.:?!])\s+|\n+", run):
                sentence = sentence.strip(' .,:;"“”()')
                if len(sentence.split()) >= 3 and sentence not in welsh:
                    found.add(sentence)
    return found


@pytest.fixture
def welsh_letter(app, fake_members):
    campaign = prepare_journey(app, translations={"cy": WELSH})
    letter = Letter(
        id=41,
        public_id="welsh-letter-41",
        campaign_id=campaign.id,
        language="cy",
        status="confirmed",
        supporter_name="Jane Smith",
        supporter_email="jane@example.org",
        address_line_1="1 Heol y Llyfrgell",
        address_line_2="",
        town="Caerdydd",
        postcode="SW1A 1AA",
        recipient_name="Rachel Blake",
        recipient_email="rachel.blake.mp@parliament.uk",
        recipient_key="m:1",
        subject="Etholwr am y llyfrgell",
        body_before="Annwyl Rachel Blake,\n\nAchubwch y llyfrgell.",
        personal_paragraph="Mae fy merch yn darllen yno.",
        body_after="Yn gywir,\nJane Smith",
        consent_version="c1-cy-000000000000",
    )
    return letter, campaign


SUPPORTER_KINDS = (
    MessageKind.RECEIPT,
    MessageKind.CONFIRMATION,
    MessageKind.FAILURE_NOTICE,
    MessageKind.SEAT_MISMATCH,
    MessageKind.ADDRESS_USED,
)


def built(kind, letter: Letter, campaign: Campaign):
    message = OutboundMessage(id=90, letter_id=letter.id, kind=kind, last_error="550 no mailbox")
    return sending._build(message, letter, cached_campaign_by_id(campaign.id))


def reply_question(letter: Letter, campaign: Campaign):
    check = ReplyCheck(id=5, letter_id=letter.id, campaign_id=campaign.id, language="cy")
    model = db.session.get(Campaign, campaign.id)
    email = replies._build(check, letter, model)
    return outgoing(email, "action@write.example.org")


def readable(data: bytes) -> tuple[str, str]:
    parsed = message_from_bytes(data, policy=policy.default)
    return str(parsed["Subject"]), parsed.get_content()


@pytest.mark.parametrize("kind", [*SUPPORTER_KINDS, MessageKind.DISOWNED, "reply_check"], ids=str)
def test_every_email_about_a_welsh_letter_is_in_welsh(welsh_letter, kind):
    letter, campaign = welsh_letter
    if kind == "reply_check":
        wire = reply_question(letter, campaign)
    else:
        wire = built(kind, letter, campaign)
    subject, body = readable(wire.data)
    english = english_sentences()
    assert len(english) > 100  # the check has something to find
    left = sorted(s for s in english if s in subject or s in body)
    assert left == [], f"{kind}: English left in a Welsh email: {left}\n{subject}\n{body}"
    # And it is Welsh, not merely empty of English.
    assert re.search(r"\b(eich|Annwyl|Helo|Anwybyddwch|llythyr)\b", subject + body), body
    if kind in SUPPORTER_KINDS or kind == "reply_check":
        assert "lang=cy" in body or kind == MessageKind.FAILURE_NOTICE, "links open in Welsh"


def test_the_reply_question_and_its_page_are_in_the_letters_language(welsh_letter, client):
    letter, campaign = welsh_letter
    subject, body = readable(reply_question(letter, campaign).data)
    assert subject == "A atebodd Rachel Blake eich llythyr?"
    assert body.startswith("Helo Jane Smith,")
    assert f'am "{WELSH["title"]}"' in body
    link = re.search(r"https?://\S+/reply/(\S+)\?answer=replied&lang=cy", body)
    assert link, body


def test_the_english_sentences_check_finds_english():
    """The check itself: an English email's sentences are found."""
    english = english_sentences()
    assert "Did your MP reply" not in english  # a placeholder splits that message
    assert any("Please disregard that letter" in s for s in english)


def test_the_reply_page_of_a_welsh_letter_is_in_welsh(app, fake_members):
    """Written in Welsh through the pages: the check is recorded in Welsh, and the page its
    link opens asks, refuses and thanks in Welsh."""
    prepare_journey(app)
    browser = app.test_client()
    saved = write_letter(browser, "SW1A 1AA", params={"lang": "cy"}, email="cy@example.org")
    check_page = browser.get(saved.headers["Location"])
    assert "Peidiwch ag anfon e-bost ataf ymhen ychydig wythnosau" in text(check_page)
    form = post_form(check_page)
    browser.post(
        form["action"], data={k: v for k, v in form["fields"].items() if k != "no_reply_check"}
    )
    check = db.session.scalar(select(ReplyCheck))
    assert check.language == "cy"
    url = f"/reply/{replies.answer_token(check.id)}"
    asked = browser.get(url)  # the link without ?lang: the letter's language decides
    assert html_lang(asked) == "cy" and title(asked).startswith("A atebodd Rachel Blake")
    refused = browser.post(url, data={})
    assert refused.status_code == 400 and "Dewiswch a atebodd eich AS" in text(refused)
    assert title(refused).startswith("Gwall:")
    done = browser.post(url, data={"answer": "replied"})
    assert "Diolch: mae eich ateb wedi'i gofnodi" in text(done) and html_lang(done) == "cy"
