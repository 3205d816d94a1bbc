"""The pages of issue 8 §2–§3 in a real browser with axe-core: the too-many page, a letter
over the per-email limit, the chosen seat's MP page, "This is not my MP", "I did not send
this", and "send it to my real MP"."""

from __future__ import annotations

import re

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Constituency, Letter
from action_app.services.owner import not_me_token
from action_app.services.seat_check import real_mp_token
from tests.browser.conftest import assert_accessible
from tests.browser.test_letter_browser import fill_details, to_letter_page
from tests.public.test_abuse_limits import tune  # noqa: F401  (a fixture)


def test_the_too_many_page_is_accessible(page, live_server, journey_app, tune):  # noqa: F811
    tune(journey_app, rate_limit_per_address="1 per minute")
    page.goto(f"{live_server.url}/c/test-campaign/your-mp?postcode=SW1A+1AA")
    # the limit counts lookups that must ask postcodes.io: a second, uncached postcode
    response = page.goto(f"{live_server.url}/c/test-campaign/your-mp?postcode=AB10+1AB")
    assert response.status == 429 and int(response.headers["retry-after"]) > 0
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Please wait before trying again"
    assert_accessible(page, "too many")


def test_a_letter_over_the_email_limit_page_is_accessible(
    page,
    live_server,
    journey_app,
    tune,  # noqa: F811
):
    """Over the per-email limit a letter is taken and waits for its owner; the page says why."""
    tune(journey_app, rate_limit_per_email="0 per hour")
    to_letter_page(page, live_server.url)
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send letter").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Check your email to send your letter"
    assert "Several letters have been written with this email address" in page.inner_text("main")
    assert_accessible(page, "over the email limit")


def test_this_is_not_my_mp_is_accessible_and_offers_another_postcode(page, live_server):
    page.goto(f"{live_server.url}/c/test-campaign/your-mp?postcode=SW1A+1AA")
    page.get_by_text("This is not my MP").click()
    assert "we take your MP from your postcode" in page.inner_text("details")
    assert_accessible(page, "this is not my MP, open")
    page.get_by_role("link", name="try another postcode").click()
    assert page.locator("#postcode").count() == 1


def test_a_chosen_seat_page_is_accessible(page, live_server, fake_postcodes):
    fake_postcodes.go_down()
    page.goto(f"{live_server.url}/c/test-campaign/your-mp?postcode=LL77+7TW")
    # With JavaScript the list is an autocomplete over the <select> (issue 13).
    page.get_by_role("combobox", name="Choose your constituency").fill("Ynys")
    page.get_by_role("option", name=re.compile(r"^Ynys Môn")).click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*seat=.*"))
    assert "We will check your postcode before your letter is sent" in page.inner_text("main")
    assert_accessible(page, "chosen seat")
    page.get_by_role("link", name="Continue").click()  # a plain link since issue 13
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send letter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your letter is on its way"
    letter = db.session.scalar(select(Letter))
    assert (letter.status, letter.seat_check) == ("confirmed", "pending")


def test_the_honeypot_is_never_reached_with_the_keyboard(page, live_server):
    to_letter_page(page, live_server.url)
    focused = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.name || document.activeElement.id"))
    assert "contact_me_by_fax_only" not in focused
    assert {"name", "email", "town"} <= focused


def test_not_me_and_real_mp_pages_are_accessible(page, live_server, journey_app):
    to_letter_page(page, live_server.url)
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send letter").click()
    page.wait_for_load_state("load")  # the favicon too, before the next navigation
    letter = db.session.scalar(select(Letter))
    page.goto(f"{live_server.url}/c/test-campaign/not-me/{not_me_token(letter)}")
    assert_accessible(page, "I did not send this")
    page.get_by_role("button", name="I did not send this letter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "The letter has been withdrawn"
    assert_accessible(page, "withdrawn")
    page.wait_for_load_state("load")

    wrong_seat = db.session.scalar(
        select(Constituency.id).where(Constituency.name == "Aberdeen South")
    )
    letter.status, letter.seat_check, letter.constituency_id = "held", "mismatch", wrong_seat
    db.session.commit()
    page.goto(f"{live_server.url}/c/test-campaign/real-mp/{real_mp_token(letter)}")
    assert page.get_by_role("heading", level=1).inner_text() == "Send your letter to Rachel Blake"
    assert_accessible(page, "send it to your real MP")
    page.get_by_role("button", name="Write to Rachel Blake").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Check your letter before sending it"
