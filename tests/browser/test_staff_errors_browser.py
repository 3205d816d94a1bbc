"""Staff and stats error states no other browser test reached, checked by axe-core: a campaign
edited, copied and imported wrongly, a wrong code when turning on two-factor, the person page's
problem, every state of a directory sync (waiting, running, failed), a page a role may not see
(403), and a stats report for an MP there is none of (404)."""

from __future__ import annotations

from action_app.services import directory_admin
from tests.browser.checks import check_page
from tests.browser.conftest import assert_accessible
from tests.browser.test_staff_browser import sign_in
from tests.staff import create_staff


def submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("load")


def h1(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def is_error_page(page) -> bool:
    return page.title().startswith("Error: ")


def test_campaign_forms_with_errors_are_accessible(page, live_server, app):
    base = live_server.url
    create_staff(app, "admin@example.org", "admin")
    sign_in(page, base, "admin@example.org", app=app)

    page.goto(f"{base}/staff/campaigns/test-campaign/edit")
    page.get_by_label("Title").fill("")
    page.get_by_label("Letter", exact=True).fill("Dear {{ mp.address_as ,\n\n{% if %}")
    submit(page, "Save changes")
    assert is_error_page(page)
    check_page(page, "campaign edit, errors")

    page.goto(f"{base}/staff/campaigns/test-campaign/clone")
    page.get_by_label("Address of the new campaign (slug)").fill("test-campaign")
    submit(page, "Copy")
    assert is_error_page(page)
    assert_accessible(page, "campaign clone, slug taken")
    page.get_by_label("Address of the new campaign (slug)").fill("Not A Slug!")
    submit(page, "Copy")
    assert is_error_page(page)
    assert_accessible(page, "campaign clone, bad slug")

    page.goto(f"{base}/staff/campaigns/import")
    submit(page, "Import")
    assert_accessible(page, "campaign import, nothing given")
    page.get_by_label("Or paste the document").fill("{not json")
    submit(page, "Import")
    assert is_error_page(page)
    assert_accessible(page, "campaign import, not JSON")
    page.get_by_label("Or paste the document").fill('{"slug": "x", "title": ""}')
    submit(page, "Import")
    assert is_error_page(page)
    check_page(page, "campaign import, invalid document")


def test_account_people_and_directory_states_are_accessible(page, live_server, app):
    base = live_server.url
    admin = create_staff(app, "admin@example.org", "admin")
    sign_in(page, base, "admin@example.org", app=app)

    page.goto(f"{base}/staff/account/two-factor")
    page.get_by_label("Code from your authenticator app").fill("000000")
    submit(page, "Turn on")
    assert is_error_page(page)
    assert h1(page) == "Set up your authenticator app"
    check_page(page, "two-factor enrolment, wrong code")

    page.goto(f"{base}/staff/people/{admin.id}")
    page.get_by_label("Role").select_option("editor")
    submit(page, "Save")
    assert "You cannot remove your own admin role" in page.inner_text("main")
    assert is_error_page(page)
    assert_accessible(page, "person page, a problem")

    for state in (
        {"state": "queued"},
        {"state": "running", "stage": "members", "done": 120, "total": 650},
        {"state": "running", "stage": "emails", "done": 3, "total": 650},
        {"state": "failed", "error": "the task queue is down"},
    ):
        job = f"job-{state['state']}-{state.get('stage', '')}"
        directory_admin.write_job(job, state)
        page.goto(f"{base}/staff/directory/sync/{job}")
        assert h1(page) == "Directory sync"
        assert_accessible(page, f"directory sync, {state['state']} {state.get('stage', '')}")
    response = page.goto(f"{base}/staff/directory/sync/no-such-job")
    assert response.status == 404
    assert_accessible(page, "directory sync, no such job")

    response = page.goto(f"{base}/stats/test-campaign/mp/999999")
    assert response.status == 404
    assert_accessible(page, "stats, report for an unknown MP")
    response = page.goto(f"{base}/stats/test-campaign/mp/not-a-number")
    assert response.status == 404
    assert_accessible(page, "stats, report for a malformed MP key")
    response = page.goto(f"{base}/stats/no-such-campaign")
    assert response.status == 404
    assert_accessible(page, "stats, unknown campaign")


def test_pages_a_role_may_not_see_are_accessible(browser, live_server, app):
    base = live_server.url
    create_staff(app, "ed@example.org", "editor")
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, base, "ed@example.org", app=app)
        for path in ("/staff/people", "/staff/people/invite", "/staff/audit"):
            response = page.goto(f"{base}{path}")
            assert response.status == 403, path
            assert_accessible(page, f"403 for an editor: {path}")
        check_page(page, "403 for an editor")
    finally:
        context.close()


def test_pages_an_organiser_may_not_see_are_accessible(browser, live_server, app):
    from action_app.services.campaigns import get_campaign

    base = live_server.url
    create_staff(app, "org@example.org", "organiser", campaigns=[get_campaign("test-campaign").id])
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, base, "org@example.org", app=app)
        for path, status in [
            ("/staff/campaigns/new", 403),
            ("/staff/directory", 403),
            ("/stats/england-only", 404),  # another campaign's figures: as if it were not there
            ("/stats/england-only/mp/1", 404),
        ]:
            response = page.goto(f"{base}{path}")
            assert response.status == status, path
            assert_accessible(page, f"{status} for an organiser: {path}")
        check_page(page, "404 for an organiser")
    finally:
        context.close()
