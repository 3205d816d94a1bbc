""" "Send it myself" meets the defences Send meets (issue 8 §3): a letter Send would hold is held
and not counted, the send-step limits apply, and an address that has written is told, as on
Send, so that the button is no way round them and no silent probe of who has written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, OutboundMessage
from action_app.registry import registry_of
from action_app.services.campaign_cache import cached_campaign
from action_app.services.self_send import supporter_sent_counts
from action_app.services.submissions import confirmation_token
from action_app.stats.figures import read_figures
from tests.conftest import prepare_journey
from tests.drafts import write_parked_drafts
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import forms, post_form, text, title
from tests.journey import send, write_letter
from tests.public.conftest import set_campaign
from tests.public.test_abuse_limits import (
    assert_too_many,
    tune,  # noqa: F401  (a fixture)
)

URL = "/c/test-campaign"
OWNER = "jane.smith@example.com"


@pytest.fixture
def site(app, fake_members):
    prepare_journey(app)
    return app


def send_myself(client, continue_response):
    """From the redirect to the check page: press "Send it myself"."""
    check = client.get(continue_response.headers["Location"])
    form = next(f for f in forms(check) if "send-yourself" in (f["action"] or ""))
    return client.post(form["action"], data=form["fields"])


def public_total(site) -> int:
    registry_of(site).clear_caches()
    return site.test_client().get("/api/v1/campaigns/test-campaign/count").get_json()["total"]


def letter_for(response) -> Letter:
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    db.session.expire_all()
    return db.session.scalar(select(Letter).where(Letter.public_id == public_id))


def messages() -> list[tuple[str, str]]:
    rows = db.session.execute(select(OutboundMessage.kind, OutboundMessage.status))
    return sorted((str(kind), str(status)) for kind, status in rows)


# --- (a) what Send would hold is held, and not counted ------------------------------------------


def test_a_bot_letter_sent_yourself_is_held_and_not_counted(site):
    """Three letters with the honeypot filled in: Send would hold them; so does this button.
    Each writer sees the page of a letter to send themselves, and none is counted."""
    for i in range(3):
        bot = site.test_client()
        response = send_myself(
            bot, write_letter(bot, email=f"bot{i}@example.com", contact_me_by_fax_only="x")
        )
        held = letter_for(response)
        assert (held.status, held.sent_by) == (LetterStatus.HELD, "supporter_email")
        assert held.hold_reason == "bot check: the hidden field was filled in"
        registry_of(site).clear_caches()
        page = bot.get(response.headers["Location"])
        assert title(page).startswith("Send your letter from your own email")
        assert "0 people have written to their MP" in text(page)  # it does not count itself
    assert public_total(site) == 0
    assert messages() == []  # the platform sends nothing for it, now or on release
    campaign_id = db.session.scalar(select(Letter.campaign_id).limit(1))
    assert supporter_sent_counts(campaign_id) == {"supporter_email": 0, "supporter_post": 0}


def test_releasing_a_held_letter_sent_yourself_counts_it_and_sends_nothing(site):
    bot = site.test_client()
    held = letter_for(send_myself(bot, write_letter(bot, contact_me_by_fax_only="x")))
    result = site.test_cli_runner().invoke(args=["outbox", "release", str(held.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Letter, held.id).status == LetterStatus.CONFIRMED
    assert messages() == []  # the supporter sent it; the MP must not get it twice
    assert public_total(site) == 1
    # Counted as a letter sent yourself is, not also as one the platform sends.
    headline = read_figures(cached_campaign("test-campaign")).headline
    assert (headline.accepted, headline.queued) == (0, 0)


def test_a_letter_the_safeguards_hold_is_held_when_sent_yourself(site):
    set_campaign(safeguards={"identical_letter": "hold"})
    first = site.test_client()
    send(first, write_letter(first))
    other = site.test_client()
    copy = letter_for(
        send_myself(other, write_letter(other, name="Amir Khan", email="amir@example.org"))
    )
    assert copy.status == LetterStatus.HELD
    assert copy.hold_reason == "content: identical to a letter already sent to this recipient"
    assert public_total(site) == 1


def test_a_normal_letter_sent_yourself_is_still_counted_at_once(site):
    """The product's self-send, unchanged for an ordinary supporter: counted, nothing sent."""
    client = site.test_client()
    letter = letter_for(send_myself(client, write_letter(client)))
    assert (letter.status, letter.sent_by, letter.hold_reason) == (
        "confirmed",
        "supporter_email",
        None,
    )
    assert messages() == []
    assert public_total(site) == 1


# --- (b) the send-step limits apply -------------------------------------------------------------


def test_send_it_myself_meets_the_limit_per_mp_and_keeps_the_letter(site, tune):  # noqa: F811
    tune(site, rate_limit_per_mp="1 per hour")
    first = site.test_client()
    assert send(first, write_letter(first)).status_code == 302
    second = site.test_client()
    check = write_letter(second, "SW1A 2AA", email="other@example.com", personal_paragraph="Mine.")
    refused = send_myself(second, check)
    assert_too_many(refused, "A lot of people are writing to this MP right now")
    back = re.search(r'href="([^"]+)">Go back to your letter', refused.get_data(as_text=True))
    assert back[1] == check.headers["Location"]
    assert "Go back to your letter and press Send it myself again after" in text(refused)
    write_parked_drafts()  # still parked in Redis, as Continue left it: nothing was sent
    db.session.expire_all()
    draft = db.session.scalar(select(Letter).where(Letter.supporter_email == "other@example.com"))
    assert draft.status == LetterStatus.DRAFT and draft.personal_paragraph == "Mine."
    assert public_total(site) == 1


def test_send_it_myself_meets_the_limit_per_postcode(site, tune):  # noqa: F811
    tune(site, rate_limit_per_postcode="1 per hour")
    first = site.test_client()
    assert send_myself(first, write_letter(first)).status_code == 302
    second = site.test_client()
    refused = send_myself(second, write_letter(second, email="neighbour@example.com"))
    assert_too_many(refused, "a lot of letters from this postcode")


def test_over_the_email_limit_sent_yourself_waits_for_the_owner(site, tune):  # noqa: F811
    """As on Send, the per-email limit refuses nothing: the owner confirms by an emailed link,
    and confirming counts the letter without the platform sending it."""
    tune(site, rate_limit_per_email="0 per hour")
    client = site.test_client()
    response = send_myself(client, write_letter(client))
    letter = letter_for(response)
    assert letter.status == LetterStatus.AWAITING_CONFIRMATION
    assert messages() == [("confirmation", "pending")]
    page = client.get(response.headers["Location"])
    assert title(page).startswith("Check your email to send your letter")
    assert public_total(site) == 0
    link = f"{URL}/confirm/{confirmation_token(letter)}"
    confirmed = client.post(link, data=post_form(client.get(link))["fields"])
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).status == LetterStatus.CONFIRMED
    assert messages() == [("confirmation", "pending")]  # no letter to the MP from us
    assert title(client.get(confirmed.headers["Location"])).startswith(
        "Send your letter from your own email"
    )
    assert public_total(site) == 1


# --- (c) an address that has written: its owner is told, as on Send ------------------------------


def test_send_it_myself_with_a_used_address_emails_its_owner(site):
    """It was a silent probe: the public total moved for a new address and not for one that
    had written, and nobody was told. Now the owner is emailed, as when Send is pressed."""
    writer = site.test_client()
    send(writer, write_letter(writer, email=OWNER))
    before = db.session.scalar(select(func.count()).select_from(OutboundMessage))
    stranger = site.test_client()
    probe = letter_for(send_myself(stranger, write_letter(stranger, email=OWNER)))
    assert (probe.status, probe.sent_by) == (LetterStatus.AWAITING_CONFIRMATION, "supporter_email")
    told = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.letter_id == probe.id)
    ).all()
    assert [(m.kind, m.status) for m in told] == [(MessageKind.ADDRESS_USED, "pending")]
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == before + 1


def test_the_writers_own_browser_still_hears_already_written(site):
    writer = site.test_client()
    send(writer, write_letter(writer, email=OWNER))
    again = send_myself(writer, write_letter(writer, email=OWNER))
    assert title(again).startswith("You have already written to Rachel Blake")


def test_a_letter_by_post_goes_through_the_same_rules(site):
    bot = site.test_client()
    held = letter_for(
        send_myself(
            bot, write_letter(bot, EXAMPLE_POSTCODES["no_email_mp"], contact_me_by_fax_only="x")
        )
    )
    assert (held.status, held.sent_by) == (LetterStatus.HELD, "supporter_post")
    assert public_total(site) == 0
