"""Postcode → MP in a real browser, with axe-core on every page and error state."""

import re

import pytest

from tests.browser.conftest import assert_accessible
from tests.fakes import EXAMPLE_POSTCODES


def submit_postcode(page, base, postcode, slug="test-campaign"):
    page.goto(f"{base}/c/{slug}")
    page.get_by_label("Enter your postcode to find your MP").fill(postcode)
    page.get_by_role("button", name="Find your MP").click()
    page.wait_for_load_state("load")


def test_postcode_to_mp_and_every_page_is_accessible(page, live_server):
    base = live_server.url
    page.goto(base + "/")
    assert_accessible(page, "index")
    page.get_by_role("link", name="Save the test library").click()
    assert page.title() == "Save the test library – Write to your MP"
    assert_accessible(page, "campaign page")

    submit_postcode(page, base, "ll77 7tw")
    assert page.get_by_role("heading", level=1).inner_text() == "Your MP is Llinos Medi"
    assert "Plaid Cymru" in page.inner_text("main")
    assert_accessible(page, "your MP")

    page.get_by_text("This is not my MP").click()
    assert_accessible(page, "your MP, details open")
    # The MP comes from the postcode (issue 8 §2): another postcode, never a list of every MP.
    page.get_by_role("link", name="try another postcode").click()
    submit_postcode(page, base, EXAMPLE_POSTCODES["scotland"])
    assert page.get_by_role("heading", level=1).inner_text() == "Your MP is Stephen Flynn"

    page.get_by_role("link", name="Back").click()
    assert page.url.startswith(base + "/c/test-campaign")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your postcode"),
        ("not a postcode", "Enter a full UK postcode, like SW1A 1AA"),
        ("SE1 9ZZ", "has not been in use since December 1998"),
        (EXAMPLE_POSTCODES["channel_islands"], "Jersey"),
        (EXAMPLE_POSTCODES["isle_of_man"], "the Isle of Man"),
    ],
)
def test_each_postcode_error_is_accessible_and_takes_focus(page, live_server, typed, message):
    submit_postcode(page, live_server.url, typed)
    assert page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    assert message in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.get_by_label("Enter your postcode to find your MP").input_value() == typed
    assert_accessible(page, f"error for {typed!r}")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "postcode"


@pytest.mark.parametrize(
    ("postcode", "slug", "heading", "label"),
    [
        (
            EXAMPLE_POSTCODES["vacant_seat"],
            "test-campaign",
            "Runcorn and Helsby has no MP",
            "vacant",
        ),
        (
            EXAMPLE_POSTCODES["no_email_mp"],
            "test-campaign",
            "Your MP is Órfhlaith Begley",
            "no email",
        ),
        (
            EXAMPLE_POSTCODES["scotland"],
            "england-only",
            "This campaign is not for your area",
            "nations",
        ),
    ],
)
def test_outcome_pages_are_accessible(page, live_server, postcode, slug, heading, label):
    submit_postcode(page, live_server.url, postcode, slug)
    assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
    assert_accessible(page, label)


def test_lookup_down_page_is_accessible(page, live_server, fake_postcodes):
    fake_postcodes.go_down()
    submit_postcode(page, live_server.url, "SW1A 1AA")
    assert "We cannot look up postcodes at the moment" in page.inner_text("main")
    assert_accessible(page, "lookup down")
    page.get_by_role("button", name="Continue").click()
    # The postcode is tried again first (issue 8 §2), so wait for the answer to arrive.
    page.wait_for_url(re.compile(r".*seat=.*"))
    assert page.title().startswith("Error: Choose your constituency")
    assert_accessible(page, "choose constituency, nothing chosen")
    box = page.get_by_role("combobox", name="Choose your constituency")
    box.fill("cities of lon")
    box.press("ArrowDown")
    box.press("Enter")
    assert box.input_value() == "Cities of London and Westminster"
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your MP is Rachel Blake"


def test_other_pages_are_accessible(page, live_server):
    for path, label in [("/privacy", "privacy"), ("/c/nothing-here", "not found")]:
        page.goto(live_server.url + path)
        assert_accessible(page, label)


def test_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    submit_postcode(page, live_server.url, "bogus")
    assert page.title().startswith("Error: ")
    page.get_by_label("Enter your postcode to find your MP").fill("BT1 5GS")
    page.get_by_role("button", name="Find your MP").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your MP is Claire Hanna"
    page.get_by_text("This is not my MP").click()
    assert page.get_by_role("link", name="try another postcode").is_visible()


def test_an_unknown_postcode_offers_the_list_accessibly(page, live_server):
    submit_postcode(page, live_server.url, "ZZ9 9ZZ")
    assert "We could not find the postcode ZZ9 9ZZ" in page.inner_text("main")
    assert_accessible(page, "unknown postcode, choose constituency")


def test_keyboard_only(page, live_server):
    page.goto(live_server.url + "/c/test-campaign")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "postcode":
            break
    page.keyboard.type("SW1A 1AA")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/your-mp\?.*"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your MP is Rachel Blake"
