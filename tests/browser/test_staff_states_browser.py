"""Staff and stats pages no other browser test reached, checked by axe-core and at 320 px: the
password links (invitation, reset, a bad link, their errors), the reset request's answer,
changing a password wrongly, and the stats index and API tokens page with its error and its
shown-once token."""

from __future__ import annotations

from action_app.services.staff_links import make_token
from tests.browser.checks import check_page
from tests.browser.test_staff_browser import assert_accessible, sign_in
from tests.staff import create_staff


def checked(page, label: str) -> None:
    """axe with the staff tags, then check_page's layout checks: reflow at 320 px with and
    without text spacing, target sizes and control edges."""
    assert_accessible(page, label)
    check_page(page, label, axe=False)


def submit(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state("load")


def test_the_password_pages_and_their_errors_are_accessible(page, live_server, app):
    base = live_server.url
    admin = create_staff(app, "admin@example.org", "admin")
    page.goto(f"{base}/staff/password-reset")
    submit(page, "Send the link")
    assert page.title().startswith("Error: ")
    checked(page, "reset request, nothing typed")
    page.get_by_label("Email address").fill("admin@example.org")
    submit(page, "Send the link")
    checked(page, "reset link sent")

    for purpose in ("reset", "invite"):
        page.goto(f"{base}/staff/password/{purpose}/{make_token(admin, purpose)}")
        checked(page, f"choose password ({purpose})")
    submit(page, "Save password")
    assert page.title().startswith("Error: ")
    checked(page, "choose password, nothing typed")
    response = page.goto(f"{base}/staff/password/reset/not-a-token")
    assert response.status == 400
    checked(page, "password link problem")

    sign_in(page, base, "admin@example.org", app=app)
    page.goto(f"{base}/staff/account/password")
    submit(page, "Change password")
    assert page.title().startswith("Error: ")
    checked(page, "change password, nothing typed")


def test_the_stats_index_and_tokens_pages_are_accessible(page, live_server, app):
    base = live_server.url
    create_staff(app, "admin@example.org", "admin")
    sign_in(page, base, "admin@example.org", app=app)
    page.goto(f"{base}/stats/")
    checked(page, "stats index")
    page.goto(f"{base}/stats/tokens")
    checked(page, "API tokens")
    submit(page, "Issue token")
    checked(page, "API tokens, nothing typed")
    page.get_by_label("What the token is for").fill("Partner dashboard")
    submit(page, "Issue token")
    assert page.locator("#new-token").count() == 1
    checked(page, "API tokens, new token shown once")
