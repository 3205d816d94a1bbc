"""The whole journey to the sent page in a real browser: axe-core on every page and error state,
with JavaScript, without it, and with the keyboard alone."""

import re

from sqlalchemy import select, update

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.registry import registry_of
from action_app.services.campaigns import import_campaign
from action_app.services.submissions import confirmation_token
from tests.browser.conftest import assert_accessible
from tests.conftest import CAMPAIGN_DOCUMENT


def to_letter_page(page, base, postcode="SW1A 1AA", slug="test-campaign"):
    page.goto(f"{base}/c/{slug}?source=browser-test")
    page.get_by_label("Enter your postcode to find your MP").fill(postcode)
    page.get_by_role("button", name="Find your MP").click()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_load_state("load")


def fill_details(page, email="sam.browser@example.org"):
    page.get_by_label("Full name", exact=True).fill("Sam Browser")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Address line 1").fill("1 Test Street")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("I agree that my name, address, email address and letter are sent to").check()


def test_write_check_send_and_every_state_is_accessible(page, live_server):
    base = live_server.url
    to_letter_page(page, base)
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter to Rachel Blake"
    assert_accessible(page, "letter page")

    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert_accessible(page, "letter page, every field missing")

    fill_details(page, email="sam@example.org\nBcc: x@example.org")
    page.get_by_label("Full name", exact=True).fill("Sam\u2028Bcc: x@example.org")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    assert "must not contain line breaks" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "letter page, forged headers")

    fill_details(page)
    page.get_by_label("In your own words (optional)").fill("I use the library every week.")
    page.get_by_label("Email me news.").check()
    page.get_by_role("button", name="Continue").click()
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Check your letter before sending it"
    )
    assert "I use the library every week." in page.inner_text(".letter")
    assert_accessible(page, "check page")

    page.get_by_role("button", name="Send letter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter is on its way"
    assert "We email a copy of your letter to sam.browser@example.org" in page.inner_text("main")
    assert "source=browser-test" in page.get_by_label("Or copy this link").input_value()
    assert_accessible(page, "sent page")

    page.go_back()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter is on its way"

    to_letter_page(page, base)
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send letter").click()
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "You have already written to Rachel Blake"
    )
    assert_accessible(page, "already written")
    assert db.session.scalars(select(Letter.source)).all() == ["browser-test", "browser-test"]


def test_confirmation_and_failure_pages_are_accessible(page, live_server, journey_app):
    import_campaign({**CAMPAIGN_DOCUMENT, "require_confirmation": True}, "tests")
    db.session.commit()
    registry_of(journey_app).clear_caches()
    base = live_server.url
    to_letter_page(page, base, postcode="LL77 7TW")
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send letter").click()
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Check your email to send your letter"
    )
    assert_accessible(page, "awaiting confirmation")

    saved = db.session.scalar(select(Letter))
    page.goto(f"{base}/c/test-campaign/confirm/{confirmation_token(saved)}")
    assert_accessible(page, "confirm page")
    page.get_by_role("button", name="Send my letter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter is on its way"

    db.session.execute(
        update(OutboundMessage).values(status="failed", last_error="550 5.1.1 Mailbox unavailable")
    )
    db.session.commit()
    page.reload()
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter could not be delivered"
    assert "Sam Browser" in page.get_by_label("Your letter").input_value()
    assert_accessible(page, "delivery failed")

    page.goto(f"{base}/c/test-campaign/confirm/not-a-real-token")
    assert_accessible(page, "letter missing")


def test_the_journey_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    to_letter_page(page, live_server.url, postcode="BT1 5GS")
    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error: ")
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send letter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter is on its way"
    assert db.session.scalar(select(Letter.status)) == "confirmed"


def test_the_journey_works_with_the_keyboard_alone(page, live_server):
    base = live_server.url
    page.goto(f"{base}/c/test-campaign")

    def tab_to(predicate_js: str, limit: int = 60):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate_js):
                return
        raise AssertionError(f"could not reach {predicate_js} with Tab")

    tab_to("document.activeElement.id === 'postcode'")
    page.keyboard.type("SW1A 1AA")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/your-mp\?.*"))
    tab_to("document.activeElement.textContent.trim() === 'Continue'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/write\?.*"))
    for field, value in [
        ("name", "Kim Keys"),
        ("email", "kim@example.org"),
        ("address_line_1", "2 Tab Lane"),
        ("town", "London"),
    ]:
        tab_to(f"document.activeElement.id === '{field}'")
        page.keyboard.type(value)
    tab_to("document.activeElement.id === 'consent'")
    page.keyboard.press("Space")
    tab_to("document.activeElement.textContent.trim() === 'Continue'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/check/.*"))
    tab_to("document.activeElement.textContent.trim() === 'Send letter'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/sent/.*"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter is on its way"


def test_the_check_page_with_a_copy_to_a_minister_is_accessible(page, live_server, journey_app):
    """A campaign that copies each letter to a fixed recipient: the consent box names both, the
    check page shows both emails, and sending it yourself puts the minister in Cc."""
    minister = {"name": "Minister for Libraries", "email": "minister@dcms.example.gov.uk"}
    import_campaign(
        {**CAMPAIGN_DOCUMENT, "target": {"type": "constituency_mp", "also": minister}}, "tests"
    )
    db.session.commit()
    registry_of(journey_app).clear_caches()
    to_letter_page(page, live_server.url)
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="The copy to Minister for Libraries").wait_for()
    assert "This is a copy of my letter to my MP, Rachel Blake." in page.inner_text("main")
    assert_accessible(page, "check page with a copy")
    page.get_by_text("I would rather send it from my own email").click()
    page.get_by_role("button", name="Send it myself").click()
    mailto = page.get_by_role("link", name="Open it in my email program").get_attribute("href")
    assert mailto.startswith(f"mailto:rachel.blake.mp@parliament.uk?cc={minister['email']}&")
    assert_accessible(page, "sent by the supporter, with a Cc")
