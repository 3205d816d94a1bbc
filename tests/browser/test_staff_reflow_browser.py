"""The staff and stats pages at 320 px, not just by axe: `check_page` on each (no sideways
scrolling, with and without WCAG 1.4.12 text spacing, targets of at least 24 by 24, control
edges of 3:1), in one signed-in session per role. Each test checks every page before failing,
so one run names every page with a problem."""

from __future__ import annotations

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import OutboundMessage
from tests.browser.checks import NARROW, check_page
from tests.browser.test_staff_browser import _every_page, sign_in
from tests.fakes import EXAMPLE_POSTCODES
from tests.journey import send, write_letter
from tests.staff import create_staff
from tests.stats.helpers import deliver_all, write_and_send


def _check_all(page, base: str, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        try:
            check_page(page, path)
        except AssertionError as error:
            problems.append(str(error))
    return problems


def _edit_summary(page, base: str, summary: str) -> None:
    page.goto(f"{base}/staff/campaigns/test-campaign/edit")
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state("load")


def test_every_staff_page_reflows_at_320_px(page, live_server, app):
    """Every page the axe test visits (test_staff_browser._every_page), and a few states it
    does not: a diff between revisions, a held and a failed letter with a long server answer,
    an admin's own page, the stats index and tokens."""
    base = live_server.url
    admin = create_staff(app, "admin@example.org", "admin")
    supporter = app.test_client()
    send(supporter, write_letter(supporter))
    send(supporter, write_letter(supporter, postcode=EXAMPLE_POSTCODES["scotland"]))
    first, second = db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
    first.status, first.last_error = "failed", "550 5.1.1 No such mailbox " + "x" * 80
    second.status = "held"
    db.session.commit()
    sign_in(page, base, "admin@example.org", app=app)
    # Two saved edits, so the revisions page has a diff to show.
    _edit_summary(page, base, "A first summary, to compare with the next one.")
    _edit_summary(page, base, "A second summary, longer than the first, to show in the diff.")
    extra = ["/staff/outbox?status=held", f"/staff/people/{admin.id}", "/stats/", "/stats/tokens"]
    problems = _check_all(page, base, [*_every_page(app, base), *extra])
    assert not problems, "\n\n".join(problems)

    # A wide table scrolls inside its own region (WCAG 1.4.10 allows it for data tables): one
    # named by its heading, reached by the Tab key, and so scrolled by the arrow keys.
    page.goto(f"{base}/staff/outbox?status=failed")
    page.set_viewport_size(NARROW)
    region = page.get_by_role("region", name="Failed letters")
    assert region.get_attribute("tabindex") == "0"
    assert region.evaluate("(el) => el.scrollWidth > el.clientWidth")
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")


def test_the_stats_dashboard_and_report_reflow_at_320_px(
    page, live_server, journey_app, smtp_server
):
    from action_app.services.campaigns import get_campaign

    base = live_server.url
    for nation, email in [("england", "ann@example.com"), ("scotland", "bob@example.com")]:
        write_and_send(journey_app, EXAMPLE_POSTCODES[nation], email, source="partner")
    deliver_all()
    campaign = get_campaign("test-campaign")
    create_staff(journey_app, "org@example.org", "organiser", campaigns=[campaign.id])
    sign_in(page, base, "org@example.org", app=journey_app)
    problems = _check_all(page, base, ["/stats/test-campaign"])
    page.get_by_role("link", name="Report for Cities of London and Westminster").click()
    page.wait_for_load_state("load")
    report = page.url.removeprefix(base)
    problems += _check_all(page, base, [report])
    assert not problems, "\n\n".join(problems)
