"""The journey in Welsh, in a browser: axe (WCAG A/AA and best practice) finds nothing on any
Welsh page, <html lang> says cy, and the switch on the letter page keeps what was typed."""

from __future__ import annotations

import re

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter
from tests.browser.checks import check_page
from tests.browser.test_public_pages_browser import set_campaign
from tests.public.test_welsh import WELSH


def welsh_details(page):
    page.get_by_label("Enw llawn", exact=True).fill("Sam Porwr")
    page.get_by_label("Cyfeiriad e-bost", exact=True).fill("sam.porwr@example.org")
    page.get_by_label("Llinell cyfeiriad 1").fill("12 Stryd Fawr")
    page.get_by_label("Tref neu ddinas").fill("Caerdydd")
    page.get_by_label(re.compile(r"^Rwy'n cytuno bod fy enw")).check()


def test_the_welsh_journey_in_a_browser(page, live_server, journey_app):
    base = live_server.url
    set_campaign(journey_app, goal=1000, translations={"cy": WELSH})
    for path, name in [("/?lang=cy", "cy index"), ("/help?lang=cy", "cy help")]:
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == "cy"
        check_page(page, name)

    page.goto(f"{base}/c/test-campaign")
    page.get_by_role("link", name="Cymraeg").click()
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("heading", level=1).inner_text() == WELSH["title"]
    check_page(page, "cy 1 campaign")
    page.get_by_label("Rhowch eich cod post i ddod o hyd i'ch AS").fill("SW1A 1AA")
    page.get_by_role("button", name="Dod o hyd i'ch AS").click()
    check_page(page, "cy 2 your MP")
    page.get_by_role("link", name="Parhau").click()
    check_page(page, "cy 3 letter")
    page.get_by_role("button", name="Parhau").click()
    check_page(page, "cy 3 letter, errors")

    # The switch is a button of the letter's form: English and back, nothing typed is lost.
    page.get_by_label("Enw llawn", exact=True).fill("Sam Porwr")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_label("Full name", exact=True).input_value() == "Sam Porwr"
    page.get_by_role("button", name="Cymraeg").click()
    assert page.locator("html").get_attribute("lang") == "cy"

    welsh_details(page)
    page.get_by_role("button", name="Parhau").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Gwiriwch eich llythyr cyn ei anfon"
    check_page(page, "cy 4 check")
    page.get_by_role("button", name="Anfon llythyr").click()
    assert page.locator("html").get_attribute("lang") == "cy"
    check_page(page, "cy 5 sent")
    assert db.session.scalar(select(Letter.language)) == "cy"
