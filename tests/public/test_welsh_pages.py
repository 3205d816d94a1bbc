"""The help page, the privacy notice and the accessibility statement in Welsh; and the consent
version a letter stores names the wording in the language the supporter read it."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.i18n import in_language
from action_app.models import Letter, OptInRecord
from action_app.services import people
from action_app.services.consent import (
    CONSENT_VERSION,
    consent_record,
    consent_version,
    consent_wording,
)
from tests.drafts import write_parked_drafts
from tests.html import text, title
from tests.journey import open_letter, send, write_letter
from tests.public.conftest import set_campaign
from tests.public.test_welsh import html_lang
from tests.public.test_welsh_emails import english_sentences

PAGES = {
    "/help": ("Cael help", "Cwestiynau cyffredin"),
    "/privacy": ("Preifatrwydd", "Pwy sy'n gyfrifol am eich gwybodaeth"),
    "/accessibility": ("Datganiad hygyrchedd", "Statws cydymffurfio"),
}


@pytest.mark.parametrize("path", PAGES)
def test_the_information_pages_are_in_welsh(client, path):
    heading, section = PAGES[path]
    welsh = client.get(path, query_string={"lang": "cy"})
    assert welsh.status_code == 200 and html_lang(welsh) == "cy"
    assert title(welsh).startswith(heading) and section in text(welsh)
    html = welsh.get_data(as_text=True)
    assert 'lang="en-GB"' not in html  # no English left marked as such
    left = sorted(s for s in english_sentences() if s in text(welsh))
    assert left == [], f"English left on the Welsh {path}: {left}"
    # The switch goes back to the same page in English; links on it stay in Welsh.
    assert f'href="{path}"' in html and 'lang="en"' in html
    english = client.get(path)
    assert html_lang(english) == "en-GB" and f'href="{path}?lang=cy"' in english.get_data(
        as_text=True
    )
    assert 'href="/privacy?lang=cy"' in html or path == "/privacy"


def test_links_in_the_welsh_pages_are_links_not_escaped_markup(client):
    help_page = client.get("/help", query_string={"lang": "cy"}).get_data(as_text=True)
    assert '<a href="/privacy?lang=cy">sut rydym yn defnyddio eich gwybodaeth</a>' in help_page
    assert "&lt;a" not in help_page
    privacy = client.get("/privacy", query_string={"lang": "cy"}).get_data(as_text=True)
    assert '<a href="mailto:' in privacy and "&lt;a" not in privacy


def test_the_english_consent_version_is_unchanged_so_stored_versions_stay_valid(app):
    wording = "I agree that my name, address, email address and letter are sent to {recipient}"
    assert "c1-" + hashlib.sha256(wording.encode()).hexdigest()[:12] == CONSENT_VERSION
    assert consent_version("en") == CONSENT_VERSION == consent_version(None) == "c1-ecc3264f331c"
    assert consent_record(CONSENT_VERSION) == {
        "version": CONSENT_VERSION,
        "language": "en",
        "wording": wording,
    }


def test_the_welsh_consent_version_is_a_digest_of_the_welsh_wording(app):
    with in_language("cy"):
        welsh = consent_wording("{recipient}")
    assert welsh.startswith("Rwy'n cytuno")
    version = consent_version("cy")
    assert version == "c1-cy-" + hashlib.sha256(welsh.encode()).hexdigest()[:12]
    assert version != CONSENT_VERSION and len(version) <= 32  # fits the column
    assert consent_record(version) == {"version": version, "language": "cy", "wording": welsh}
    # A wording since changed is still named by its language and digest.
    assert consent_record("c1-cy-0123456789ab")["language"] == "cy"
    assert consent_record("c1-0123456789ab") == {
        "version": "c1-0123456789ab",
        "language": "en",
        "wording": None,
    }


def test_a_consent_version_worked_out_without_the_catalogues_is_not_kept(app):
    """Each version is worked out once per process and kept, so one worked out where no app is
    (no catalogues: the Welsh words would be the English ones) must not be the one kept."""
    import threading

    from action_app.services import consent

    consent._version.cache_clear()
    outside: list[str] = []
    thread = threading.Thread(target=lambda: outside.append(consent_version("cy")))
    thread.start()
    thread.join()
    with in_language("cy"):
        welsh = consent_wording("{recipient}")
    assert consent_version("cy") == "c1-cy-" + hashlib.sha256(welsh.encode()).hexdigest()[:12]
    assert outside != [consent_version("cy")]


def test_a_welsh_letter_stores_the_welsh_consent_version_and_the_export_shows_it(journey):
    response = write_letter(journey, "SW1A 1AA", params={"lang": "cy"}, email="cymraeg@example.org")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    english = write_letter(journey, "SW1A 1AA", email="english@example.org")
    assert english.status_code == 302
    write_parked_drafts()
    letters = {letter.supporter_email: letter for letter in db.session.query(Letter)}
    assert letters["cymraeg@example.org"].language == "cy"
    assert letters["cymraeg@example.org"].consent_version == consent_version("cy")
    assert letters["english@example.org"].consent_version == CONSENT_VERSION
    exported = people.export_person("cymraeg@example.org", None)
    (record,) = exported["letters"]
    assert record["consent"]["language"] == "cy"
    assert record["consent"]["wording"].startswith("Rwy'n cytuno")


def test_the_welsh_consent_box_reads_the_words_the_version_names(journey):
    letter_page = open_letter(journey, "SW1A 1AA", lang="cy")
    assert html_lang(letter_page) == "cy"
    words = consent_record(consent_version("cy"))["wording"]
    assert words.replace("{recipient}", "Rachel Blake") in text(letter_page)


def test_a_welsh_opt_in_keeps_the_welsh_words_beside_the_box(journey):
    set_campaign(organisations=[{"slug": "friends", "name": "Friends of the Library"}])
    saved = write_letter(
        journey, "SW1A 1AA", params={"lang": "cy"}, email="cy@example.org", opt_ins=["friends"]
    )
    send(journey, saved)
    record = db.session.scalar(select(OptInRecord))
    assert record.statement == "Anfonwch newyddion ataf gan Friends of the Library drwy e-bost"


@pytest.mark.parametrize(("query", "lang"), [("", "en-GB"), ("?lang=cy", "cy")])
def test_a_body_too_long_gets_the_too_long_page_not_a_bare_500(client, query, lang):
    """The language is read from the form too, and a body over the limit cannot be read: the
    page must still render (from the query's language), with the site's header and landmarks."""
    page = client.post(f"/c/test-campaign/write{query}", data={"personal": "x" * 300_000})
    assert page.status_code == 413
    assert html_lang(page) == lang
    assert "<main" in page.get_data(as_text=True)
