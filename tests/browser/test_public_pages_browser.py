"""Every public page and state, proven in a browser: axe (WCAG 2.0-2.2 A/AA and best practice),
320 px reflow with a long email address and the longest constituency name, text spacing,
target sizes, visible focus, the keyboard alone, no JavaScript, forced colours, and the embed
on a partner's site. Screenshots of each step land in test-artifacts/screenshots."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from action_app.extensions import db
from action_app.models import Constituency, Letter, OutboundMessage
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.campaigns import get_campaign, import_campaign
from action_app.services.names import constituency_key
from action_app.services.partner_kit import partner_kit
from tests.browser.checks import SCREENSHOTS, assert_focus_visible, check_page
from tests.browser.conftest import assert_accessible
from tests.conftest import CAMPAIGN_DOCUMENT

LONG_EMAIL = "a.very.long.supporter.address.for.reflow@an-extremely-long-subdomain.example.org"


def set_campaign(app, **changes):
    import_campaign({**CAMPAIGN_DOCUMENT, **changes}, "tests")
    db.session.commit()
    registry_of(app).clear_caches()


def give_westminster_the_longest_name(app) -> str:
    """SW1A 1AA's seat takes the longest constituency name in the directory (that seat is
    renamed out of the way), so the pages show the longest name there is."""
    seats = db.session.scalars(select(Constituency)).all()
    longest = max(seats, key=lambda seat: len(seat.name))
    westminster = next(s for s in seats if s.name == "Cities of London and Westminster")
    name = longest.name
    longest.name, longest.name_key = "Placeholder", constituency_key("Placeholder")
    db.session.flush()
    westminster.name, westminster.name_key = name, constituency_key(name)
    westminster.gss_code = "E14001172"
    db.session.commit()
    registry_of(app).clear_caches()
    return name


def find_mp(page, base, postcode="SW1A 1AA"):
    page.goto(f"{base}/c/test-campaign?source=browser-test")
    page.get_by_label("Enter your postcode to find your MP").fill(postcode)
    page.get_by_role("button", name="Find your MP").click()
    page.wait_for_load_state("load")


def fill_details(page, email="sam.browser@example.org"):
    page.get_by_label("Full name", exact=True).fill("Sam Browser")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Address line 1").fill("Flat 12, The Very Long Named Building")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label(re.compile(r"^I agree that my name, address")).check()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def mp_message():
    return db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "mp"))


def test_every_public_step_and_state_at_320_and_1280(
    page, live_server, journey_app, fake_postcodes
):
    base = live_server.url
    set_campaign(journey_app, goal=1000)
    seat_name = give_westminster_the_longest_name(journey_app)
    for path, name in [
        ("/", "index"),
        ("/help", "help"),
        ("/accessibility", "accessibility statement"),
        ("/privacy", "privacy"),
        ("/no-such-page", "not found"),
        ("/c/test-campaign/sent/nothing", "letter missing"),
    ]:
        page.goto(base + path)
        check_page(page, name)
    assert "Get help" in page.locator("header").inner_text()

    page.goto(f"{base}/c/test-campaign")
    assert page.locator("progress").get_attribute("max") == "1000"
    check_page(page, "1 campaign")
    page.get_by_role("button", name="Find your MP").click()
    check_page(page, "1 campaign, no postcode")

    find_mp(page, base)
    assert seat_name in page.locator("main").inner_text()
    check_page(page, "2 your MP, longest constituency name")
    page.get_by_text("This is not my MP").click()
    check_page(page, "2 this is not my MP")
    # The list is offered only when the lookup cannot answer (issue 8 §2).
    fake_postcodes.go_down()
    find_mp(page, base, postcode="SW1A 2AA")
    check_page(page, "2 choose constituency")
    fake_postcodes.come_back()

    find_mp(page, base)
    page.get_by_role("link", name="Continue").click()
    check_page(page, "3 letter")
    page.get_by_role("button", name="Continue").click()
    check_page(page, "3 letter, errors")
    fill_details(page, email=LONG_EMAIL)
    page.get_by_role("button", name="Continue").click()
    assert heading(page) == "Check your letter before sending it"
    check_page(page, "4 check, long email")
    page.get_by_role("button", name="Send letter").click()
    check_page(page, "5 sent, being sent")

    message = mp_message()
    message.next_attempt_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    page.reload()
    assert "It will be delivered to" in page.locator("main").inner_text()
    check_page(page, "5 sent, will be delivered at")
    db.session.execute(update(OutboundMessage).values(status="sent", sent_at=utcnow()))
    db.session.commit()
    page.reload()
    assert heading(page) == "Your letter has been delivered"
    check_page(page, "5 sent, delivered")
    db.session.execute(
        update(OutboundMessage).values(status="failed", last_error="550 5.1.1 No such mailbox")
    )
    db.session.commit()
    page.reload()
    check_page(page, "5 sent, failed")

    page.goto(f"{base}/embed/test-campaign?source=partner-9")
    check_page(page, "embed")


def test_sending_it_yourself_and_by_post(page, live_server):
    base = live_server.url
    find_mp(page, base)
    page.get_by_role("link", name="Continue").click()
    fill_details(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("I would rather send it from my own email").click()
    check_page(page, "4 check, send it yourself open")
    page.get_by_role("button", name="Send it myself").click()
    assert heading(page) == "Send your letter from your own email"
    mailto = page.get_by_role("link", name="Open it in my email program").get_attribute("href")
    assert mailto.startswith("mailto:rachel.blake.mp@parliament.uk?subject=")
    assert "Dear%20Rachel%20Blake" in mailto
    check_page(page, "5 sent by the supporter")
    action = db.session.scalar(select(Letter))
    assert action.sent_by == "supporter_email" and not action.messages

    find_mp(page, base, postcode="BT79 7BL")  # West Tyrone: the MP publishes no email
    page.get_by_role("link", name="Continue").click()
    assert "does not publish an email address" in page.locator("main").inner_text()
    check_page(page, "3 letter, by post")
    fill_details(page, email="post@example.org")
    page.get_by_role("button", name="Continue").click()
    assert heading(page) == "Check your letter before you post it"
    check_page(page, "4 check, by post")
    page.get_by_role("button", name="Continue to print your letter").click()
    assert heading(page) == "Print and post your letter"
    letter = page.locator("#printed-letter").inner_text()
    assert "House of Commons" in letter and "SW1A 0AA" in letter
    check_page(page, "5 sent, by post")
    page.emulate_media(media="print")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "5-sent-by-post-printed.png", full_page=True)
    assert not page.locator("header").is_visible()
    assert page.locator("#printed-letter").is_visible()
    assert not page.get_by_role("heading", name="Ask others to write too").is_visible()
    page.emulate_media(media="screen")


def test_the_keyboard_alone_with_focus_order_and_visible_focus(page, live_server):
    base = live_server.url
    page.goto(base + "/")  # the site name is now a visited link: its focus must still show
    page.goto(f"{base}/c/test-campaign")
    for selector in (
        ".site-header__name", ".language-switch__link", ".site-header__help", "#postcode", ".button"
    ):  # fmt: skip
        assert_focus_visible(page, selector)

    def tab_order(stop_js: str, limit: int = 60) -> list[str]:
        page.reload()  # Tab starts again from the top of the page
        seen = []
        for _ in range(limit):
            page.keyboard.press("Tab")
            seen.append(
                page.evaluate(
                    "(() => { const e = document.activeElement;"
                    " return e.id || e.textContent.trim().replace(/\\s+/g, ' '); })()"
                )
            )
            if page.evaluate(stop_js):
                return seen
        raise AssertionError(f"never reached {stop_js}: {seen}")

    page.goto(f"{base}/c/test-campaign")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "postcode"
    page.keyboard.type("SW1A 1AA")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/your-mp\?.*"))
    assert_focus_visible(page, ".back-link")
    assert_focus_visible(page, ".details__summary")
    assert_focus_visible(page, "a.button")
    order = tab_order("document.activeElement.textContent.trim() === 'This is not my MP'")
    assert order[:4] == ["Skip to main content", "Write to your MP", "Cymraeg", "Get help"]
    assert order[-3:] == ["Change postcode", "Continue", "This is not my MP"]
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Continue"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/write\?.*"))

    # The letter page's language switch is a button of its form (it keeps what was typed).
    order = tab_order("document.activeElement.classList.contains('button')")
    assert order == [
        "Skip to main content",
        "Write to your MP",
        "Cymraeg",
        "Get help",
        "Back",
        "subject",
        "body_before",
        "personal_paragraph",
        "body_after",
        "name",
        "email",
        "address_line_1",
        "address_line_2",
        "town",
        "Use a different postcode",
        "consent",
        "opt_ins-1",
        "Continue",
    ]
    for selector in ("#subject", "#personal_paragraph", "#name", "#consent", "#opt_ins-1"):
        assert_focus_visible(page, selector)
    page.locator("button.button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Continue with nothing filled in: the errors
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.locator("#name").get_attribute("aria-invalid") == "true"
    assert page.locator("#subject").get_attribute("aria-invalid") is None
    assert page.locator("#subject").get_attribute("aria-required") == "true"
    assert page.locator("#consent").get_attribute("required") is None
    assert_focus_visible(page, ".error-summary__list a")
    for field, value in [
        ("name", "Kim Keys"),
        ("email", "kim@example.org"),
        ("address_line_1", "2 Tab Lane"),
        ("town", "London"),
    ]:
        page.focus(f"#{field}")
        page.keyboard.type(value)
    page.focus("#consent")
    page.keyboard.press("Space")
    assert page.locator("#consent").is_checked()
    page.focus("button.button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/check/.*"))
    summary = page.locator(".details__summary")
    summary.focus()
    page.keyboard.press("Space")  # a <summary> opens with Space and Enter, as its role says
    assert page.locator("details").get_attribute("open") is not None
    page.keyboard.press("Enter")
    assert page.locator("details").get_attribute("open") is None
    page.get_by_role("button", name="Send letter").focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r".*/sent/.*"))
    assert heading(page) == "Your letter is on its way"
    assert_focus_visible(page, ".button--copy")
    assert_focus_visible(page, "#share-link")


def test_announcements_character_count_copy_and_status(browser, live_server):
    # Playwright's waits evaluate strings, which the pages' CSP (rightly) refuses.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        base = live_server.url
        find_mp(page, base)
        page.get_by_role("link", name="Continue").click()
        box = page.get_by_label("In your own words (optional)")
        live = page.locator("#personal_paragraph-info + [aria-live='polite']")
        page.wait_for_function(
            "document.getElementById('personal_paragraph-info').textContent"
            " === 'You have 3,000 characters remaining'"
        )
        box.fill("x" * 3001)
        assert page.locator("#personal_paragraph-info").inner_text() == (
            "You have 1 character too many"
        )
        page.wait_for_function(
            "document.querySelector(\"#personal_paragraph-info + [aria-live='polite']\")"
            ".textContent.includes('too many')"
        )
        assert "too many" in live.inner_text()
        box.fill("My own words.")
        # The box grows with the letter: nothing scrolls inside it.
        assert page.evaluate(
            "(() => { const b = document.getElementById('body_before');"
            " return b.scrollHeight <= b.clientHeight + 2; })()"
        )
        page.get_by_label("Subject").press("Enter")
        assert "\n" not in page.get_by_label("Subject").input_value()
        fill_details(page)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Send letter").click()

        status = page.locator(".copy-status")
        page.get_by_role("button", name="Copy link").click()
        page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
        first = status.inner_text()
        page.evaluate(
            "window.cleared = false; new MutationObserver(() => {"
            " if (document.querySelector('.copy-status').textContent === '') window.cleared = true;"
            "}).observe(document.querySelector('.copy-status'), {childList: true, subtree: true})"
        )
        page.get_by_role("button", name="Copy link").click()
        page.wait_for_function("window.cleared === true")
        page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
        assert status.inner_text() == first  # said again, so announced again

        # The page follows the letter without a reload.
        db.session.execute(update(OutboundMessage).values(status="sent", sent_at=utcnow()))
        db.session.commit()
        page.wait_for_function(
            "document.querySelector('h1').textContent.includes('delivered')", timeout=20_000
        )
        words = page.locator("[data-module='letter-status-words']").inner_text()
        assert words == "Your letter: Delivered"
    finally:
        context.close()


def test_forced_colours(browser, live_server):
    context = browser.new_context(locale="en-GB", forced_colors="active")
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        find_mp(page, live_server.url)
        page.get_by_role("link", name="Continue").click()
        page.screenshot(path=SCREENSHOTS / "forced-colours-letter.png", full_page=True)
        fill_details(page)
        page.get_by_role("button", name="Continue").click()
        page.screenshot(path=SCREENSHOTS / "forced-colours-check.png", full_page=True)
        page.get_by_role("button", name="Send letter").click()
        page.screenshot(path=SCREENSHOTS / "forced-colours-sent.png", full_page=True)
        border = page.evaluate("getComputedStyle(document.querySelector('.panel')).borderTopWidth")
        assert border == "5px"  # the panel keeps a box when its background is taken away
    finally:
        context.close()


def test_the_journey_without_javascript_by_post(page_without_js, live_server, fake_postcodes):
    page = page_without_js
    fake_postcodes.go_down()  # the list is offered only when the lookup cannot answer
    find_mp(page, live_server.url, postcode="BT79 7BL")
    # Without JavaScript the list is a plain <select>.
    page.get_by_label("Choose your constituency").select_option(label="West Tyrone")
    page.get_by_role("button", name="Continue").click()
    assert "West Tyrone" in page.inner_text("main")
    fake_postcodes.come_back()
    find_mp(page, live_server.url, postcode="BT79 7BL")
    assert heading(page) == "Your MP is Órfhlaith Begley"
    page.get_by_role("link", name="Continue").click()
    fill_details(page, email="nojs@example.org")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue to print your letter").click()
    assert heading(page) == "Print and post your letter"
    assert db.session.scalar(select(Letter.sent_by)) == "supporter_post"


class PartnerSite:
    """A partner charity's page, on another origin, with the partner kit's snippet pasted in."""

    def __init__(self, html: str, host: str = "localhost"):
        def app(environ, start_response):
            request = Request(environ)
            body = html if request.path == "/" else "not found"
            return Response(body, mimetype="text/html")(environ, start_response)

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def partner_sites(journey_app, live_server):
    """Two partner pages with the kit's snippet: the campaign lets the first frame it."""
    sites = []

    def make(allowed: bool) -> PartnerSite:
        campaign = campaign_snapshot(get_campaign("test-campaign"))
        kit = partner_kit(campaign, "partner-9", live_server.url)
        site = PartnerSite(kit.preview_html)
        sites.append(site)
        if allowed:
            set_campaign(journey_app, embed_origins=[site.url])
        return site

    yield make
    for site in sites:
        site.stop()


def test_the_embed_on_a_partner_site(page, live_server, partner_sites):
    """The partner's page (localhost) frames the action (127.0.0.1): another site, so the
    browser sends the action no cookie inside the frame. The whole journey stays inside it,
    with the partner's code, the resize script working at each step, and only the listed site
    allowed to frame it."""
    blocked = partner_sites(allowed=False)
    allowed = partner_sites(allowed=True)

    page.goto(blocked.url)
    page.wait_for_timeout(1500)
    frame = page.frame_locator("iframe[data-action-embed]")
    assert frame.get_by_role("heading", name="Save the test library").count() == 0

    page.goto(allowed.url)
    partner_url = page.url
    iframe = page.locator("iframe[data-action-embed]")
    frame = page.frame_locator("iframe[data-action-embed]")
    frame.get_by_role("heading", name="Save the test library").wait_for()
    # The resize script fits the frame to the action (it starts at 560 px).
    page.wait_for_function(
        "document.querySelector('iframe[data-action-embed]').style.height !== '560px'"
    )
    check_page(page, "embed on a partner site", axe=False)  # the partner's page is theirs

    def frame_height() -> int:
        return int(iframe.evaluate("f => parseInt(f.style.height, 10)"))

    def step(name: str) -> None:
        """Each step is in the frame, framed, with the partner's page still around it, and the
        frame fitted to it."""
        inner = page.frames[1]
        assert "embed=1" in inner.url, f"{name}: {inner.url}"
        assert page.url == partner_url, f"{name}: the journey left the frame"
        # The frame follows the page's height; the page may still be changing (the sent page
        # updates its status as the letter goes), so both are read again until they agree.
        deadline = time.monotonic() + 10
        while True:
            height = inner.evaluate(
                "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
            )
            fitted = min(max(height, 200), 5000)
            if abs(frame_height() - fitted) <= 2:
                break
            assert time.monotonic() < deadline, f"{name}: frame {frame_height()}, page {height}"
            time.sleep(0.1)
        assert_accessible(inner, f"{name}, framed")  # axe inside the frame, framed layout

    frame.get_by_label("Enter your postcode to find your MP").fill("SW1A 1AA")
    frame.get_by_role("button", name="Find your MP").click()
    frame.get_by_role("heading", name="Your MP is Rachel Blake").wait_for()
    step("your MP")
    assert "source=partner-9" in page.frames[1].url
    short = frame_height()
    frame.get_by_role("link", name="Continue").click()
    frame.get_by_label("Town or city").wait_for()
    step("letter")
    assert frame_height() > short  # the letter is taller: the frame grew with it
    fill_details(frame, email="framed@example.org")
    frame.get_by_role("button", name="Continue").click()
    frame.get_by_role("heading", name="Check your letter before sending it").wait_for()
    # Continue was at the foot of a tall frame: the next step is brought into view at its top.
    page.wait_for_function(
        "document.querySelector('iframe[data-action-embed]').getBoundingClientRect().top >= -1"
    )
    step("check")
    frame.get_by_role("button", name="Send letter").click()
    frame.get_by_role("heading", name="Your letter is on its way").wait_for()
    step("sent")
    letter = db.session.scalar(select(Letter))
    assert (letter.supporter_email, letter.source) == ("framed@example.org", "partner-9")
    # Nothing of the journey rested on a cookie: the browser holds none for the action.
    assert not [c for c in page.context.cookies() if "127.0.0.1" in c["domain"]]
