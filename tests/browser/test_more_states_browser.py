"""States of the public pages no other browser test reached, checked by axe-core: a paused or
closed campaign (its page, its embed, a confirmation link that arrives after it closed), every
"I did not send this" and "send it to my real MP" outcome, and the "did your MP reply?" page
with its error and its answers, in English and Welsh."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Constituency, Letter, ReplyCheck
from action_app.services.owner import not_me_token
from action_app.services.seat_check import real_mp_token
from action_app.services.submissions import confirmation_token
from action_app.stats.replies import answer_token
from tests.browser.conftest import assert_accessible
from tests.browser.test_public_pages_browser import set_campaign
from tests.journey import send, write_letter
from tests.public.test_welsh import WELSH


def h1(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def a_letter(app, lang: str = "en") -> Letter:
    """A letter written and sent through the pages (by the test client: quicker than the
    browser, and these tests are about the pages that come after)."""
    client = app.test_client()
    send(client, write_letter(client, params={"lang": "cy"} if lang == "cy" else None))
    return db.session.scalars(select(Letter).order_by(Letter.id.desc())).first()


@pytest.mark.parametrize("status", ["paused", "closed"])
def test_a_paused_or_closed_campaign_is_accessible(page, live_server, journey_app, status):
    set_campaign(journey_app, require_confirmation=True, translations={"cy": WELSH})
    waiting = a_letter(journey_app)
    assert waiting.status == "awaiting_confirmation"
    set_campaign(journey_app, status=status, translations={"cy": WELSH})
    base = live_server.url
    for query in ("", "?lang=cy"):
        page.goto(f"{base}/c/test-campaign{query}")
        if not query:
            said = "is paused" if status == "paused" else "has closed"
            assert f"This campaign {said}" in page.inner_text("main")
        assert_accessible(page, f"campaign {status} {query}")
        page.goto(f"{base}/embed/test-campaign{query}")
        assert_accessible(page, f"embed {status} {query}")
        page.goto(f"{base}/c/test-campaign/confirm/{confirmation_token(waiting)}{query}")
        assert_accessible(page, f"confirm, campaign {status} {query}")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_every_not_me_outcome_is_accessible(page, live_server, journey_app, smtp_server, lang):
    from tests.stats.helpers import deliver_all

    set_campaign(journey_app, translations={"cy": WELSH})
    base = live_server.url
    query = "?lang=cy" if lang == "cy" else ""
    sent = a_letter(journey_app, lang)
    deliver_all()
    link = f"{base}/c/test-campaign/not-me/{not_me_token(sent)}{query}"
    page.goto(link)
    assert_accessible(page, f"{lang} I did not send this, letter delivered")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")
    if lang == "en":
        assert h1(page) == "We are telling Rachel Blake’s office"
    assert_accessible(page, f"{lang} not me, office told")
    page.goto(link)
    assert_accessible(page, f"{lang} not me, done before")
    page.goto(f"{base}/c/test-campaign/not-me/not-a-token{query}")
    assert_accessible(page, f"{lang} not me, no such letter")


def test_every_real_mp_outcome_is_accessible(page, live_server, journey_app, monkeypatch):
    from action_app.services import lookup

    base = live_server.url
    letter = a_letter(journey_app)
    page.goto(f"{base}/c/test-campaign/real-mp/{real_mp_token(letter)}")
    assert h1(page) == "This letter has been dealt with"
    assert_accessible(page, "real MP, dealt with")

    letter.status, letter.hold_reason = "held", "content: short"  # held, for staff to read
    db.session.commit()
    page.goto(f"{base}/c/test-campaign/real-mp/{real_mp_token(letter)}")
    assert h1(page) == "Your letter has not been sent yet"
    assert_accessible(page, "real MP, still held for staff")

    wrong_seat = db.session.scalar(
        select(Constituency.id).where(Constituency.name == "Aberdeen South")
    )
    letter.status, letter.seat_check, letter.constituency_id = "held", "mismatch", wrong_seat
    db.session.commit()

    def down(*args, **kwargs):  # the postcode's answer is cached: the lookup itself fails
        raise lookup.DirectoryEmpty()

    monkeypatch.setattr(lookup, "find_mp_for_postcode", down)
    response = page.goto(f"{base}/c/test-campaign/real-mp/{real_mp_token(letter)}")
    assert response.status == 503
    assert h1(page) == "We cannot check your postcode at the moment"
    assert_accessible(page, "real MP, lookup down")


def test_the_real_mp_page_when_the_campaign_has_closed(page, live_server, journey_app):
    letter = a_letter(journey_app)
    wrong_seat = db.session.scalar(
        select(Constituency.id).where(Constituency.name == "Aberdeen South")
    )
    letter.status, letter.seat_check, letter.constituency_id = "held", "mismatch", wrong_seat
    db.session.commit()
    set_campaign(journey_app, status="closed")
    page.goto(f"{live_server.url}/c/test-campaign/real-mp/{real_mp_token(letter)}")
    assert h1(page) == "We cannot send your letter to your MP"
    assert_accessible(page, "real MP, cannot send")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_did_your_mp_reply_page_is_accessible(
    page, live_server, journey_app, smtp_server, lang
):
    set_campaign(journey_app, translations={"cy": WELSH})
    letter = a_letter(journey_app, lang)
    check = db.session.scalar(select(ReplyCheck).where(ReplyCheck.letter_id == letter.id))
    link = f"{live_server.url}/reply/{answer_token(check.id)}"
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == ("cy" if lang == "cy" else "en-GB")
    assert_accessible(page, f"{lang} did your MP reply")
    with page.expect_navigation() as navigation:
        page.locator("main button[type=submit]").click()  # nothing chosen
    assert navigation.value.status == 400
    assert_accessible(page, f"{lang} did your MP reply, nothing chosen")
    page.locator("main input[type=radio]").first.check()
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")
    assert_accessible(page, f"{lang} reply recorded")
    page.goto(link)
    assert_accessible(page, f"{lang} reply already recorded")
    page.goto(f"{live_server.url}/reply/not-a-token")
    assert_accessible(page, "reply, no such link")
