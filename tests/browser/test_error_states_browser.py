"""Error states the other browser tests never reached, each checked by axe-core in English and in
Welsh: a timed-out form (the last-resort page and the letter forms that keep what was typed),
too long, a method not allowed, a server error, the letter that cannot be written, the list of
MPs being updated, and an expired confirmation link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign
from action_app.registry import registry_of
from tests.browser.conftest import assert_accessible
from tests.browser.test_letter_browser import fill_details, to_letter_page

POST_FROM_PAGE = """([action, fields]) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


def post_from_page(page, action: str, fields: dict) -> None:
    """A POST as a browser sends it from a form (page.goto can only GET)."""
    with page.expect_navigation():
        page.evaluate(POST_FROM_PAGE, [action, fields])
    page.wait_for_load_state("load")


def h1(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_general_error_pages_are_accessible(page, live_server, monkeypatch, lang):
    from action_app.public import views

    base = live_server.url
    query = "?lang=cy" if lang == "cy" else ""
    page.goto(f"{base}/no-such-page{query}")
    assert page.locator("html").get_attribute("lang") == ("cy" if lang == "cy" else "en-GB")
    assert_accessible(page, f"{lang} 404")

    response = page.goto(f"{base}/staff/sign-out{query}")  # POST only
    assert response.status == 405
    assert_accessible(page, f"{lang} 405, general error")

    page.goto(f"{base}/privacy{query}")
    post_from_page(page, f"{base}/staff/sign-out{query}", {})  # no CSRF token
    if lang == "en":
        assert h1(page) == "This page timed out"
    assert_accessible(page, f"{lang} form timed out (last resort)")

    page.goto(f"{base}/privacy{query}")
    post_from_page(page, f"{base}/c/test-campaign/write{query}", {"personal": "x" * 300_000})
    # Once Werkzeug's bare 500 page (no landmarks): the language was read from the too-long body
    assert page.locator("html").get_attribute("lang") == ("cy" if lang == "cy" else "en-GB")
    if lang == "en":
        assert h1(page) == "What you sent was too long"
    assert_accessible(page, f"{lang} too large")

    def broken(slug):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "cached_campaign", broken)
    response = page.goto(f"{base}/c/test-campaign{query}")
    assert response.status == 500
    assert_accessible(page, f"{lang} server error")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_letter_that_cannot_be_written_is_accessible(page, live_server, journey_app, lang):
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "test-campaign"))
    campaign.body_template += "\n{{ supporter.postcode < 5 }}"
    db.session.commit()
    registry_of(journey_app).clear_caches()
    query = "?lang=cy" if lang == "cy" else ""
    page.goto(f"{live_server.url}/c/test-campaign/your-mp?postcode=SW1A+1AA"
              + query.replace("?", "&"))  # fmt: skip
    with page.expect_navigation() as navigation:
        page.locator("main a[href*='/write']").first.click()
    assert navigation.value.status == 503
    assert lang == "cy" or "cannot be shown" in h1(page)
    assert_accessible(page, f"{lang} letter unavailable")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_no_mps_and_an_expired_link_are_accessible(page, live_server, monkeypatch, lang):
    from action_app.public import letter_views
    from action_app.services import lookup
    from action_app.services.submissions import ConfirmationExpired

    base = live_server.url
    amp = "&lang=cy" if lang == "cy" else ""

    def empty(*args, **kwargs):
        raise lookup.DirectoryEmpty()

    monkeypatch.setattr(lookup, "find_mp_for_postcode", empty)
    response = page.goto(f"{base}/c/test-campaign/your-mp?postcode=SW1A+1AA{amp}")
    assert response.status == 503
    assert_accessible(page, f"{lang} no MPs at the moment")

    def expired(token, campaign_id):
        raise ConfirmationExpired()

    monkeypatch.setattr(letter_views, "letter_for_confirmation", expired)
    response = page.goto(f"{base}/c/test-campaign/confirm/old-token{amp.replace('&', '?')}")
    assert response.status == 410
    assert_accessible(page, f"{lang} confirmation link expired")


def test_timed_out_letter_forms_keep_the_letter_and_are_accessible(page, live_server):
    to_letter_page(page, live_server.url)
    fill_details(page)
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'expired-token'")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    assert "open for a long time" in page.inner_text("main")
    assert page.get_by_label("Full name", exact=True).input_value() == "Sam Browser"
    assert_accessible(page, "letter page, timed out")

    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    assert h1(page) == "Check your letter before sending it"
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'expired-token'")
    page.get_by_role("button", name="Send letter").click()
    page.wait_for_load_state("load")
    assert "It is saved: press Send letter again" in page.inner_text("main")
    assert_accessible(page, "check page, timed out")
