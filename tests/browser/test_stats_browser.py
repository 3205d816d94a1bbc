"""The organisers' dashboard and the per-MP report in a real browser: axe-core finds nothing, the
live figures refresh, and the report's print view fits one page (screenshot kept to look at)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.fakes import EXAMPLE_POSTCODES
from tests.staff import PASSWORD, create_staff
from tests.stats.helpers import deliver_all, write_and_send

SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).parent / "screenshots")


def _letters(app):
    england = EXAMPLE_POSTCODES["england"]
    write_and_send(app, england, "ann@example.com", personal="I read there every week.",
                   opt_ins=("friends",), source="partner")  # fmt: skip
    write_and_send(app, EXAMPLE_POSTCODES["scotland"], "bob@example.com")
    write_and_send(app, EXAMPLE_POSTCODES["wales"], "cat@example.com", source="partner")
    deliver_all()


def _sign_in(page, base, campaign_id, app):
    create_staff(app, "org@example.org", "organiser", campaigns=[campaign_id])
    page.goto(f"{base}/stats/test-campaign")
    page.get_by_label("Email address").fill("org@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    page.goto(f"{base}/stats/test-campaign")


def test_the_dashboard_and_report_are_accessible_and_the_report_prints_on_one_page(
    page, live_server, journey_app, smtp_server
):
    from action_app.services.campaigns import get_campaign

    campaign_id = get_campaign("test-campaign").id
    _letters(journey_app)
    _sign_in(page, live_server.url, campaign_id, journey_app)
    assert page.get_by_role("heading", level=1).inner_text() == "Save the test library"
    assert page.locator("[data-live='sent']").inner_text() == "3"
    assert_accessible(page, "dashboard")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

    # Live: a letter sent now shows up without a reload.
    write_and_send(journey_app, EXAMPLE_POSTCODES["england"], "dan@example.com")
    deliver_all()
    expect(page.locator("[data-live='sent']")).to_have_text("4", timeout=20_000)
    # Four letters: the live figures keep what few supporters did withheld, as the page did
    # (no one has answered the reply question yet, so there is nothing of theirs to withhold)
    expect(page.locator("[data-live='personalised_share']")).to_have_text("withheld")
    expect(page.locator("[data-live='reply_hint']")).to_have_text("of 0 answers")

    page.get_by_role("link", name="Report for Cities of London and Westminster").click()
    page.wait_for_load_state("load")
    assert "Letters to Rachel Blake" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page, "per-MP report")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=str(SHOTS / "mp-report-print.png"), full_page=True)
    assert page.locator(".site-header").is_hidden()
    assert page.locator("a.back-link").is_hidden()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 1123, f"the print view is {height}px tall, more than one A4 page"


def test_the_dashboard_works_without_javascript(page_without_js, live_server, journey_app,
                                                smtp_server):  # fmt: skip
    from action_app.services.campaigns import get_campaign

    campaign_id = get_campaign("test-campaign").id
    _letters(journey_app)
    _sign_in(page_without_js, live_server.url, campaign_id, journey_app)
    page = page_without_js
    assert page.locator("[data-live='sent']").inner_text() == "3"
    page.get_by_role("link", name="Letters sent", exact=False).first.click()
    page.wait_for_load_state("load")
    assert "sort_nations=sent" in page.url
    # (axe-core needs JavaScript, so it runs on the dashboard in the test above.)
    assert page.locator("#nations-table th[aria-sort]").count() == 1
