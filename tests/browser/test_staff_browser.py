"""The staff area in Debian's chromium: signing in with a code, the editor (with JavaScript,
without it, by keyboard alone), the outbox, and axe-core on every staff page."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Member, OutboundMessage
from action_app.services import directory_admin
from tests.browser.checks import check_page
from tests.browser.conftest import AXE_SOURCE, WCAG_TAGS
from tests.journey import send, write_letter
from tests.staff import PASSWORD, create_staff, totp_code

STAFF_TAGS = [*WCAG_TAGS, "best-practice"]


def assert_accessible(page, label: str) -> None:
    """axe-core: WCAG 2.0-2.2 A and AA, and best practice; no violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        STAFF_TAGS,
    )
    found = [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in result["violations"]
    ]
    assert not found, f"{label}: " + json.dumps(found, indent=2)


def sign_in(page, base, email, password=PASSWORD, app=None):
    page.goto(f"{base}/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    if page.url.endswith("/staff/sign-in/code"):
        page.get_by_label("Code from your authenticator app").fill(totp_code(app, email))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state("load")


def test_admin_signs_in_with_a_code_and_every_state_is_accessible(page, live_server, app):
    """axe (staff tags), and check_page's layout checks at 320 px, on every sign-in state."""
    create_staff(app, "admin@example.org", "admin")
    base = live_server.url
    page.goto(f"{base}/staff/")
    assert page.url.startswith(f"{base}/staff/sign-in")
    assert_accessible(page, "sign-in page")
    check_page(page, "sign-in page", axe=False)
    assert page.get_attribute("#email", "autocomplete") == "username"
    assert page.get_attribute("#password", "autocomplete") == "current-password"
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert page.title().startswith("Error: ") or "There is a problem" in page.content()
    assert_accessible(page, "sign-in page, nothing typed")
    check_page(page, "sign-in page, nothing typed", axe=False)
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/staff/sign-in/code")
    assert_accessible(page, "code page")
    check_page(page, "code page", axe=False)
    assert page.get_attribute("#code", "autocomplete") == "one-time-code"
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    assert "The code is not right" in page.inner_text("main")
    assert_accessible(page, "code page, wrong code")
    check_page(page, "code page, wrong code", axe=False)
    page.get_by_label("Code from your authenticator app").fill(totp_code(app, "admin@example.org"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Staff home"
    assert_accessible(page, "staff home")


def _every_page(app, base: str) -> list[str]:
    member = db.session.scalars(select(Member).where(Member.email.is_not(None))).first()
    job = "browser-job"
    directory_admin.write_job(
        job,
        {"state": "done", "summary": {"added": 1, "changed": 0, "unchanged": 2,
                                      "no_longer_current": 0, "now_vacant": [],
                                      "without_email": []}},
    )  # fmt: skip
    editor = create_staff(app, "ed@example.org", "editor")
    return [
        "/staff/",
        "/staff/campaigns",
        "/staff/campaigns/new",
        "/staff/campaigns/test-campaign",
        "/staff/campaigns/test-campaign/edit",
        "/staff/campaigns/test-campaign/clone",
        "/staff/campaigns/test-campaign/revisions",
        "/staff/campaigns/import",
        "/staff/campaigns/test-campaign/preview?q=a",
        f"/staff/campaigns/test-campaign/preview?member={member.id}",
        "/staff/campaigns/test-campaign/page-preview",
        "/staff/directory",
        "/staff/directory?show=no_email",
        f"/staff/directory/mps/{member.id}",
        f"/staff/directory/sync/{job}",
        "/staff/outbox",
        "/staff/outbox?status=sent",
        "/staff/audit",
        "/staff/people",
        "/staff/people/invite",
        f"/staff/people/{editor.id}",
        "/staff/account/password",
        "/staff/account/two-factor",
        "/staff/password-reset",
    ]


def test_axe_finds_nothing_on_any_staff_page(page, live_server, app):
    create_staff(app, "admin@example.org", "admin")
    supporter = app.test_client()
    send(supporter, write_letter(supporter))
    message = db.session.scalars(select(OutboundMessage)).first()
    message.status, message.last_error = "failed", "550 5.1.1 No such mailbox"
    db.session.commit()
    base = live_server.url
    paths = [*_every_page(app, base), "/staff/outbox?status=failed"]
    sign_in(page, base, "admin@example.org", app=app)
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert response.headers["cache-control"].startswith("no-store"), path
        assert_accessible(page, path)
    # Error states.
    page.goto(f"{base}/staff/campaigns/new")
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_load_state("load")
    assert page.title().startswith("Error: ")
    assert_accessible(page, "new campaign, nothing typed")
    page.goto(f"{base}/staff/people/invite")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state("load")
    assert_accessible(page, "invite, nothing typed")
    member = db.session.scalars(select(Member).where(Member.email.is_not(None))).first()
    page.goto(f"{base}/staff/directory/mps/{member.id}")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    assert "Enter an email address in the correct format" in page.inner_text("main")
    assert_accessible(page, "override, bad address")


def test_outbox_retry_in_the_browser(page, live_server, app):
    create_staff(app, "ed@example.org", "editor")
    supporter = app.test_client()
    send(supporter, write_letter(supporter))
    message = db.session.scalars(select(OutboundMessage)).first()
    message.status, message.last_error = "failed", "550 5.1.1 No such mailbox"
    db.session.commit()
    base = live_server.url
    sign_in(page, base, "ed@example.org")
    page.goto(f"{base}/staff/outbox?status=failed")
    assert "550 5.1.1 No such mailbox" in page.inner_text("main")
    page.get_by_role("button", name=f"Retry letter {message.id}").click()
    page.wait_for_load_state("load")
    assert f"Message {message.id} will be sent again." in page.inner_text("body")
    assert_accessible(page, "outbox after retry")
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message.id).status in ("pending", "sending", "sent")


def _create_by_form(page, base, slug):
    page.goto(f"{base}/staff/campaigns/new")
    page.get_by_label("Title").fill("Keep the night buses")
    page.get_by_label("Address (slug)").fill(slug)
    page.get_by_label("Subject", exact=True).fill("Night buses in {{ constituency.name }}")
    page.get_by_label("Letter", exact=True).fill(
        "Dear {{ mp.address_as }},\n\nKeep them.\n\nYours sincerely,\n{{ supporter.name }}"
    )
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("javascript", [True, False])
def test_the_editor_round_trip_in_the_browser(browser, live_server, app, javascript):
    create_staff(app, "ed@example.org", "editor")
    context = browser.new_context(locale="en-GB", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    base = live_server.url
    try:
        sign_in(page, base, "ed@example.org")
        _create_by_form(page, base, "night-buses")
        assert page.get_by_role("heading", level=1).inner_text() == "Keep the night buses"
        page.get_by_role("link", name="Preview the email for an MP").click()
        page.get_by_label("Find an MP by name or constituency").fill("a")
        page.get_by_role("button", name="Search").click()
        page.locator("main ul li a").first.click()
        page.wait_for_load_state("load")
        assert "Keep them." in page.inner_text("#email-body")
        page.goto(f"{base}/staff/campaigns/night-buses")
        page.get_by_role("button", name="Publish (make it live)").click()
        page.wait_for_load_state("load")
        assert "The campaign is now live." in page.inner_text("body")
        public = page.goto(f"{base}/c/night-buses")
        assert public.status == 200 and "Find your MP" in page.inner_text("main")
        page.goto(f"{base}/staff/campaigns/night-buses/edit")
        page.get_by_label("Summary").fill("Tonight.")
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_load_state("load")
        page.get_by_role("link", name="Revisions: who changed what").click()
        assert "Tonight." in page.inner_text("main")
        page.locator("form button", has_text="Restore revision").first.click()
        page.wait_for_load_state("load")
        assert "as a new revision" in page.inner_text("body")
    finally:
        context.close()


def _tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_the_editor_works_by_keyboard_alone(page, live_server, app):
    create_staff(app, "ed@example.org", "editor")
    base = live_server.url
    sign_in(page, base, "ed@example.org")
    page.goto(f"{base}/staff/campaigns/new")
    for selector, value in [
        ("#title", "Keyboard campaign"),
        ("#slug", "keyboard-campaign"),
        ("#subject_template", "Hello {{ constituency.name }}"),
        ("#body_template", "Dear {{ mp.address_as }},\n\nYours sincerely,\n{{ supporter.name }}"),
    ]:
        _tab_to(page, selector)
        page.keyboard.type(value)
    _tab_to(page, "#body_editable")
    page.keyboard.press("Space")
    _tab_to(page, "button[type=submit].button:not(.link-button)")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Keyboard campaign"
    _tab_to(page, "a[href$='/edit']")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert page.is_checked("#body_editable")


def test_two_factor_enrolment_in_the_browser_shows_recovery_codes_once(page, live_server, app):
    create_staff(app, "ed@example.org", "editor")
    base = live_server.url
    sign_in(page, base, "ed@example.org")
    page.goto(f"{base}/staff/account/two-factor")
    assert page.locator(".qr-code svg").count() == 1
    secret = page.inner_text(".secret-key")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_load_state("load")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]{6}", c) for c in codes)
    assert_accessible(page, "recovery codes")
    check_page(page, "recovery codes", axe=False)
