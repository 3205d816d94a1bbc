"""The Welsh pages and states no other browser test reached, checked by axe-core (and, for some,
the 320 px reflow, target-size and text-spacing checks): the privacy and accessibility pages,
every postcode outcome, postcodes.io down and choosing a constituency, the confirmation pages,
every state of the sent page, already written, the "too many" pages and the page for a letter
over the per-email limit; and, in English too, the letter page refused on Continue (429) and the
by-post check page after a long time open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.models.types import utcnow
from action_app.services.submissions import confirmation_token
from tests.browser.checks import check_page
from tests.browser.conftest import assert_accessible
from tests.browser.test_letter_browser import fill_details
from tests.browser.test_public_pages_browser import fill_details as fill_any_details
from tests.browser.test_public_pages_browser import set_campaign
from tests.browser.test_welsh_browser import welsh_details
from tests.fakes import EXAMPLE_POSTCODES
from tests.public.test_abuse_limits import tune  # noqa: F401  (a fixture)
from tests.public.test_welsh import WELSH


def h1(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def is_welsh(page) -> bool:
    return page.locator("html").get_attribute("lang") == "cy"


def your_mp(page, base, postcode, slug="test-campaign", lang="cy"):
    query = f"postcode={postcode.replace(' ', '+')}" + ("&lang=cy" if lang == "cy" else "")
    return page.goto(f"{base}/c/{slug}/your-mp?{query}")


def click(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")


def welsh_letter_to_check_page(page, base, postcode="SW1A 1AA"):
    your_mp(page, base, postcode)
    click(page, page.locator("main a[href*='/write']").first)
    assert is_welsh(page)
    welsh_details(page)
    click(page, page.get_by_role("button", name="Parhau"))
    assert h1(page) == "Gwiriwch eich llythyr cyn ei anfon"


def test_welsh_information_and_postcode_outcome_pages(page, live_server, journey_app,
                                                      fake_postcodes):  # fmt: skip
    base = live_server.url
    set_campaign(journey_app, translations={"cy": WELSH})
    set_campaign(
        journey_app,
        slug="england-only",
        title="England only",
        target={"type": "constituency_mp", "nations": ["England"]},
        translations={"cy": {**WELSH, "title": "Lloegr yn unig"}},
    )
    for path, name in [("/privacy", "privacy"), ("/accessibility", "accessibility")]:
        page.goto(f"{base}{path}?lang=cy")
        assert is_welsh(page)
        check_page(page, f"cy {name}")

    for postcode, slug, name in [
        (EXAMPLE_POSTCODES["vacant_seat"], "test-campaign", "vacant seat"),
        (EXAMPLE_POSTCODES["no_email_mp"], "test-campaign", "MP with no email"),
        (EXAMPLE_POSTCODES["scotland"], "england-only", "nation not in the campaign"),
    ]:
        your_mp(page, base, postcode, slug)
        assert is_welsh(page), name
        if name == "vacant seat":
            check_page(page, f"cy {name}")
        else:
            assert_accessible(page, f"cy {name}")

    fake_postcodes.go_down()
    your_mp(page, base, "SW1A 1AA")
    assert is_welsh(page)
    check_page(page, "cy postcodes.io down, choose your constituency")
    click(page, page.locator("main button[type=submit]").first)  # nothing chosen
    assert page.title().startswith("Gwall: ") or "error-summary" in page.content()
    assert is_welsh(page)
    assert_accessible(page, "cy choose your constituency, nothing chosen")

    your_mp(page, base, "ZZ9 9ZZ")  # unknown postcode: the list, postcodes.io still down
    fake_postcodes.come_back()
    your_mp(page, base, "ZZ9 9ZZ")  # unknown postcode: the list is offered
    assert is_welsh(page)
    assert_accessible(page, "cy unknown postcode, choose your constituency")


def test_welsh_confirmation_sent_and_already_written(page, live_server, journey_app):
    base = live_server.url
    set_campaign(journey_app, require_confirmation=True, translations={"cy": WELSH})
    welsh_letter_to_check_page(page, base)
    click(page, page.get_by_role("button", name="Anfon llythyr"))
    assert is_welsh(page)
    assert_accessible(page, "cy awaiting confirmation")

    letter = db.session.scalar(select(Letter))
    page.goto(f"{base}/c/test-campaign/confirm/{confirmation_token(letter)}?lang=cy")
    assert is_welsh(page)
    check_page(page, "cy confirm")
    click(page, page.locator("main button[type=submit]").first)
    assert is_welsh(page)
    assert_accessible(page, "cy sent, being sent")

    message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "mp"))
    message.next_attempt_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    page.reload()
    assert_accessible(page, "cy sent, will be delivered at")
    db.session.execute(update(OutboundMessage).values(status="sent", sent_at=utcnow()))
    db.session.commit()
    page.reload()
    check_page(page, "cy sent, delivered")
    db.session.execute(
        update(OutboundMessage).values(status="failed", last_error="550 5.1.1 No such mailbox")
    )
    db.session.commit()
    page.reload()
    assert is_welsh(page)
    assert_accessible(page, "cy sent, failed")

    set_campaign(journey_app, translations={"cy": WELSH})  # no confirmation: sent at once
    welsh_letter_to_check_page(page, base)
    click(page, page.get_by_role("button", name="Anfon llythyr"))
    assert is_welsh(page)
    assert "Rachel Blake" in h1(page)
    check_page(page, "cy already written")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_too_many_on_lookup_and_on_continue(page, live_server, journey_app, tune, lang):  # noqa: F811
    base = live_server.url
    set_campaign(journey_app, translations={"cy": WELSH})
    tune(journey_app, rate_limit_per_address="1 per minute")
    your_mp(page, base, "SW1A 1AA", lang=lang)
    response = your_mp(page, base, "AB10 1AB", lang=lang)  # a second lookup that asks postcodes.io
    assert response.status == 429
    assert is_welsh(page) == (lang == "cy")
    assert_accessible(page, f"{lang} too many lookups")

    your_mp(page, base, "SW1A 1AA", lang=lang)  # cached: not counted
    click(page, page.locator("main a[href*='/write']").first)
    if lang == "cy":
        welsh_details(page)
    else:
        fill_details(page)
        page.get_by_label("Email address", exact=True).fill("not an address")
    continue_button = page.locator("main form button[type=submit]:not([name])").last
    click(page, continue_button)  # the first Continue (an error, or the check page in Welsh)
    if lang == "cy":
        page.go_back()
        page.wait_for_load_state("load")
        welsh_details(page)
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]:not([name])").last.click()
    assert navigation.value.status == 429
    if lang == "en":
        assert "Nothing you typed has been lost" in page.inner_text("main")
        assert page.get_by_label("Full name", exact=True).input_value() == "Sam Browser"
    assert is_welsh(page) == (lang == "cy")
    check_page(page, f"{lang} letter page, too many letters from your connection")


def test_the_by_post_check_page_open_too_long(page, live_server, journey_app):
    base = live_server.url
    set_campaign(journey_app, translations={"cy": WELSH})
    your_mp(page, base, EXAMPLE_POSTCODES["no_email_mp"], lang="en")
    click(page, page.locator("main a[href*='/write']").first)
    fill_any_details(page, email="post@example.org")
    click(page, page.get_by_role("button", name="Continue"))
    assert h1(page) == "Check your letter before you post it"
    check_url = page.url
    for query, lang in [("?expired=1", "en"), ("?expired=1&lang=cy", "cy")]:
        page.goto(check_url.split("?")[0] + query)
        assert "open for a long time" in page.inner_text("main") or lang == "cy"
        assert page.locator(".error-summary").count() >= 1
        check_page(page, f"{lang} check by post, open too long")


def letter_to_check_page(page, base, lang: str) -> str:
    """A letter written in ``lang`` as far as its check page; the Send button's name there."""
    if lang == "cy":
        welsh_letter_to_check_page(page, base)
        return "Anfon llythyr"
    your_mp(page, base, "SW1A 1AA", lang="en")
    click(page, page.locator("main a[href*='/write']").first)
    fill_details(page)
    click(page, page.get_by_role("button", name="Continue"))
    return "Send letter"


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_too_many_letters_from_a_postcode_on_send(page, live_server, journey_app, tune, lang):  # noqa: F811
    from tests.journey import send, write_letter

    base = live_server.url
    set_campaign(journey_app, translations={"cy": WELSH})
    tune(journey_app, rate_limit_per_postcode="1 per hour")
    neighbour = journey_app.test_client()
    send(neighbour, write_letter(neighbour, email="neighbour@example.com"))
    button = letter_to_check_page(page, base, lang)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button).click()
    assert navigation.value.status == 429
    assert is_welsh(page) == (lang == "cy")
    assert lang == "cy" or h1(page) == "Please wait before trying again"
    assert page.locator("main a[href*='/check/']").count() >= 1  # back to the saved letter
    check_page(page, f"{lang} too many letters from this postcode, letter saved")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_over_the_email_limit_the_letter_waits_for_its_owner(
    page,
    live_server,
    journey_app,
    tune,  # noqa: F811
    lang,
):
    """Over the per-email limit the letter is taken and waits for its owner: the page saying so,
    in either language, with the 320 px checks."""
    base = live_server.url
    set_campaign(journey_app, translations={"cy": WELSH})
    tune(journey_app, rate_limit_per_email="0 per hour")
    button = letter_to_check_page(page, base, lang)
    click(page, page.get_by_role("button", name=button))
    assert is_welsh(page) == (lang == "cy")
    expected = {"en": "Check your email to send your letter",
                "cy": "Gwiriwch eich e-bost i anfon eich llythyr"}  # fmt: skip
    assert h1(page) == expected[lang]
    check_page(page, f"{lang} over the email limit, waits for the owner")


def test_welsh_send_it_yourself_by_post_and_other_pages(page, live_server, journey_app):
    base = live_server.url
    set_campaign(journey_app, translations={"cy": WELSH})
    welsh_letter_to_check_page(page, base)
    page.locator("main details summary").click()
    check_page(page, "cy check, send it yourself open")
    click(page, page.locator("main details button[type=submit]"))
    assert is_welsh(page)
    assert page.locator("main a[href^='mailto:']").count() >= 1
    check_page(page, "cy sent by the supporter")

    your_mp(page, base, EXAMPLE_POSTCODES["no_email_mp"])
    click(page, page.locator("main a[href*='/write']").first)
    assert is_welsh(page)
    check_page(page, "cy letter, by post")
    welsh_details(page)
    click(page, page.get_by_role("button", name="Parhau"))
    assert h1(page) == "Gwiriwch eich llythyr cyn ei bostio"
    check_page(page, "cy check, by post")
    click(page, page.locator("main form button[type=submit]").last)
    assert is_welsh(page)
    assert page.locator("#printed-letter").count() == 1
    check_page(page, "cy sent, by post")

    for path, name in [
        ("/c/test-campaign/sent/nothing?lang=cy", "letter missing"),
        ("/embed/test-campaign?lang=cy", "embed"),
        ("/c/nothing-here?lang=cy", "no such campaign"),
    ]:
        page.goto(base + path)
        assert is_welsh(page), name
        assert_accessible(page, f"cy {name}")
