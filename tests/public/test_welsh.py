"""The journey in Welsh: the switch, <html lang>, the campaign's own Welsh, the letter's
language kept for its emails, and a catalogue with no message left in English."""

from __future__ import annotations

import re
from html import unescape

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter
from action_app.services.campaigns import CampaignInvalid, parse_campaign_document
from tests.conftest import CAMPAIGN_DOCUMENT
from tests.drafts import write_parked_drafts
from tests.html import forms, post_form, text, title
from tests.journey import SUPPORTER, fill
from tests.public.conftest import set_campaign
from tests.public.test_letter_journey import deliver_all
from tests.translations import TRANSLATIONS, extract_messages

URL = "/c/test-campaign"
REVIEW = "Needs review by a Welsh speaker"
WELSH = {
    "title": "Achubwch lyfrgell y prawf",
    "summary": "Gofynnwch i'ch AS ei hachub.",
    "subject_template": "Etholwr yn {{ constituency.name }} am y llyfrgell",
    "body_template": (
        "Annwyl {{ mp.address_as }},\n\nAchubwch y llyfrgell.\n\n"
        "{{ supporter.personal_paragraph }}\n\nYn gywir,\n{{ supporter.name }}"
    ),
}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))[1]


def test_every_message_has_welsh_marked_for_review(tmp_path):
    pot = tmp_path / "messages.pot"
    extract_messages(pot)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="cy")
    assert len(wanted) > 150
    missing = []
    for msgid in wanted:
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalogue.get(key)
        strings = entry.string if entry else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(key)
        elif not any(REVIEW in comment for comment in entry.user_comments):
            missing.append(f"{key} (not marked for review)")
    assert missing == [], f"messages with no Welsh: {missing}"


def test_pages_say_their_language_and_offer_the_other(journey):
    english = journey.get(URL)
    assert html_lang(english) == "en-GB"
    assert f'href="{URL}?lang=cy"' in english.get_data(as_text=True)
    welsh = journey.get(URL, query_string={"lang": "cy"})
    assert html_lang(welsh) == "cy"
    assert "Dod o hyd i'ch AS" in text(welsh)
    assert f'href="{URL}"' in welsh.get_data(as_text=True)  # back to English
    # Anything else is English, never an error.
    assert html_lang(journey.get(URL, query_string={"lang": "xx"})) == "en-GB"


def test_the_choice_lasts_for_the_journey(journey):
    page = journey.get(URL, query_string={"lang": "cy"})
    # A GET form's fields replace its action's query: the language rides as a field.
    assert next(f for f in forms(page) if f["method"] == "get")["fields"]["lang"] == "cy"
    mp_page = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA", "lang": "cy"})
    assert html_lang(mp_page) == "cy" and "Eich AS yw Rachel Blake" in text(mp_page)
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    assert "lang=cy" in unescape(link[1])
    letter_page = journey.get(unescape(link[1]))
    assert html_lang(letter_page) == "cy"
    assert title(letter_page).startswith("Ysgrifennwch eich llythyr at Rachel Blake")


def test_the_switch_keeps_what_was_typed(journey):
    mp_page = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA"})
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    page = journey.get(unescape(link[1]))
    html = page.get_data(as_text=True)
    switch = re.search(r'<button[^>]*form="letter-form"[^>]*formaction="([^"]+)"', html)
    assert switch, "the switch on the letter page is a button of its form"
    _action, fields = fill(page, personal_paragraph="Mae fy merch yn darllen yno.", consent=None)
    switched = journey.post(unescape(switch[1]), data={**fields, "switch_language": "1"})
    assert switched.status_code == 200 and html_lang(switched) == "cy"
    again = post_form(switched)["fields"]
    assert again["personal_paragraph"] == "Mae fy merch yn darllen yno."
    assert again["name"] == SUPPORTER["name"] and again["town"] == SUPPORTER["town"]
    assert "Mae problem" not in text(switched)  # switching is not submitting: no errors


def test_welsh_form_errors(journey):
    mp_page = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA", "lang": "cy"})
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    page = journey.get(unescape(link[1]))
    action, fields = fill(page, name="", consent=None)
    response = journey.post(action, data=fields)
    assert title(response).startswith("Gwall:")
    assert "Rhowch eich enw llawn" in text(response)
    assert "Ticiwch y blwch i gytuno" in text(response)


@pytest.mark.parametrize(
    "postcode, welsh",
    [
        ("SE1 9ZZ", "Nid yw'r cod post SE1 9ZZ wedi cael ei ddefnyddio ers Rhagfyr 1998."),
        ("JE2 4WD", "Mae JE2 4WD yn Jersey, sydd â'i senedd ei hun"),
        ("GY1 1FH", "Mae GY1 1FH yn Guernsey, sydd â'i senedd ei hun"),
        ("IM1 3PW", "Mae IM1 3PW ar Ynys Manaw, sydd â'i senedd ei hun"),
    ],
)
def test_postcode_errors_in_welsh(journey, postcode, welsh):
    """Every reason a postcode has no MP to write to, in the page's language (the month too)."""
    page = journey.get(f"{URL}/your-mp", query_string={"postcode": postcode, "lang": "cy"})
    assert "Mae problem" in text(page)
    assert welsh in text(page)
    assert "not represented" not in text(page) and "in use" not in text(page)


def test_the_choose_your_constituency_error_in_welsh(journey):
    query = {"postcode": "x", "seat": "", "lang": "cy"}
    page = journey.get(f"{URL}/choose-constituency", query_string=query)
    assert title(page).startswith("Gwall:")
    assert "Dewiswch eich etholaeth o'r rhestr" in text(page)
    assert "Choose your constituency from the list" not in text(page)


def test_the_whole_journey_in_welsh(pg_journey, smtp_server):
    set_campaign(translations={"cy": WELSH})
    campaign = pg_journey.get(URL, query_string={"lang": "cy"})
    assert title(campaign).startswith(WELSH["title"]) and WELSH["summary"] in text(campaign)
    mp_page = pg_journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA", "lang": "cy"})
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    page = pg_journey.get(unescape(link[1]))
    assert "Achubwch y llyfrgell." in page.get_data(as_text=True)
    action, fields = fill(page, personal_paragraph="Mae fy merch yn darllen yno bob wythnos.")
    response = pg_journey.post(action, data=fields)
    assert response.status_code == 302 and "lang=cy" in response.headers["Location"]
    check_page = pg_journey.get(response.headers["Location"])
    assert html_lang(check_page) == "cy"
    assert title(check_page).startswith("Gwiriwch eich llythyr cyn ei anfon")
    assert "Anfonwyd o Jane Smith drwy Achubwch lyfrgell y prawf" in text(check_page)
    form = post_form(check_page)
    sent = pg_journey.post(unescape(form["action"]), data=form["fields"])
    sent_page = pg_journey.get(sent.headers["Location"])
    assert html_lang(sent_page) == "cy" and "Mae eich llythyr ar ei ffordd" in text(sent_page)
    assert db.session.scalar(select(Letter.language)) == "cy"

    deliver_all()
    mp_mail, receipt = smtp_server.wait_for(2)
    letter = mp_mail.message
    assert letter["From"] == "Jane Smith drwy Achubwch lyfrgell y prawf <action@write.example.org>"
    assert letter["Subject"] == "Etholwr yn Cities of London and Westminster am y llyfrgell"
    body = letter.get_content()
    assert "Annwyl Rachel Blake,\n\nAchubwch y llyfrgell." in body.replace("\r\n", "\n")
    assert "Anfonodd Jane Smith y llythyr hwn" in body
    assert receipt.message["Subject"] == "Eich llythyr at Rachel Blake"
    receipt_text = receipt.message.get_content()
    assert receipt_text.startswith("Annwyl Jane Smith,")
    assert "Diolch am ysgrifennu at Rachel Blake" in receipt_text
    assert "Gofynnwch i'ch ffrindiau ysgrifennu hefyd" in receipt_text
    assert "lang=cy" in receipt_text


def test_english_supporters_see_the_english_campaign(journey):
    set_campaign(translations={"cy": WELSH})
    assert title(journey.get(URL)).startswith(CAMPAIGN_DOCUMENT["title"])


def test_welsh_templates_are_checked_like_english():
    bad = {**CAMPAIGN_DOCUMENT, "translations": {"cy": {"body_template": "Annwyl {{ mp.nope }}"}}}
    with pytest.raises(CampaignInvalid) as refused:
        parse_campaign_document(bad)
    assert "cy.body_template" in str(refused.value)
    with pytest.raises(CampaignInvalid) as refused:
        parse_campaign_document({**CAMPAIGN_DOCUMENT, "translations": {"fr": {"title": "x"}}})
    assert "'fr' is not a language we offer" in str(refused.value)
    values, _ = parse_campaign_document({**CAMPAIGN_DOCUMENT, "translations": {"cy": WELSH}})
    assert values["translations"]["cy"]["title"] == WELSH["title"]


def test_dates_in_welsh(journey):
    page = journey.get(URL, query_string={"lang": "cy"})
    assert "Mae'r ddadl ar Dydd Iau 10 Rhagfyr 2026 am 2:30pm" in text(page)
    assert "Thursday 10 December 2026 at 2:30pm" in text(journey.get(URL))


def test_wtforms_own_messages_are_in_the_page_language_from_a_catalogue_read_once(app):
    """Flask-WTF read WTForms' catalogue from disk for every form; ours keeps each language's,
    and gives the same words Flask-WTF would."""
    from flask_wtf.i18n import translations as flask_wtf_translations

    from action_app.public.forms import WTFORMS_TRANSLATIONS

    message = "Invalid field name '%s'."
    with app.test_request_context("/?lang=cy"):
        expected = flask_wtf_translations.gettext(message)
        assert expected != message  # WTForms has Welsh for it
        assert WTFORMS_TRANSLATIONS.gettext(message) == expected
        catalogue = WTFORMS_TRANSLATIONS._catalogue()
        assert WTFORMS_TRANSLATIONS._catalogue() is catalogue  # read once


def _english_draft_at_check_page(pg_journey):
    """A letter written in English, its check page's Send form."""
    mp_page = pg_journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA"})
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    action, fields = fill(pg_journey.get(unescape(link[1])))
    response = pg_journey.post(action, data=fields)
    assert response.status_code == 302 and "lang=" not in response.headers["Location"]
    write_parked_drafts()
    assert db.session.scalar(select(Letter.language)) == "en"
    return response.headers["Location"]


def test_a_letter_sent_from_the_welsh_check_page_is_welsh(pg_journey, smtp_server):
    """Written in English, sent after switching the check page to Welsh: its emails come in
    the language it was sent in, so that language is stored with the send."""
    set_campaign(translations={"cy": WELSH})
    check_url = _english_draft_at_check_page(pg_journey)
    welsh_check = pg_journey.get(check_url, query_string={"lang": "cy"})
    assert html_lang(welsh_check) == "cy"
    form = post_form(welsh_check)
    sent = pg_journey.post(unescape(form["action"]), data=form["fields"])
    assert sent.status_code == 302 and "/sent/" in sent.headers["Location"]
    db.session.expire_all()
    assert db.session.scalar(select(Letter.language)) == "cy"
    deliver_all()
    _, receipt = smtp_server.wait_for(2)
    assert receipt.message["Subject"] == "Eich llythyr at Rachel Blake"


def test_send_in_the_letters_own_language_flushes_nothing(pg_journey, monkeypatch):
    """Send writes with statements of its own. An ORM flush at its commit (the letter marked
    changed by setting its language to the value it already had) found nothing to write and
    cost about a tenth of Send's CPU."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    check_url = _english_draft_at_check_page(pg_journey)
    form = post_form(pg_journey.get(check_url))
    flushes = []

    def flushed(session, context, instances):
        flushes.append([type(x).__name__ for x in (*session.dirty, *session.new)])

    event.listen(Session, "before_flush", flushed)
    try:
        sent = pg_journey.post(unescape(form["action"]), data=form["fields"])
    finally:
        event.remove(Session, "before_flush", flushed)
    assert sent.status_code == 302 and "/sent/" in sent.headers["Location"]
    assert flushes == []
    assert db.session.scalar(select(Letter.status)) == "confirmed"


@pytest.mark.parametrize("order", [("en", "cy", "en"), ("cy", "en", "cy")])
def test_each_render_speaks_its_own_language(app, order):
    """Templates find their translations once per locale in a request (i18n.translations), not per
    message: a render in one language never lends them to the next, a forced locale in the
    middle of a request renders in that locale, and a macro from an imported template (whose
    context Jinja keeps between renders) follows each render too."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = (
        '{% from "macros/forms.html" import back_link %}'
        "{{ _('Continue') }}|{{ ngettext('%(num)s letter', '%(num)s letters', 2) }}|"
        "{{ back_link('/x') }}"
    )
    words = {"en": ("Continue", ">Back<"), "cy": ("Parhau", ">Yn ôl<")}
    for language in order:
        # A new app context for each request, as a server gives it (the fixture's would keep
        # Flask-Babel's locale from one request to the next).
        with app.app_context(), app.test_request_context("/", query_string={"lang": language}):
            shown = render_template_string(page)
            assert shown.startswith(words[language][0] + "|") and words[language][1] in shown
            other = "cy" if language == "en" else "en"
            with force_locale(other):
                forced = render_template_string(page)
            assert forced.startswith(words[other][0] + "|") and words[other][1] in forced
            assert render_template_string(page) == shown  # and back again after it


def test_templates_find_the_translations_flask_babel_gives(app):
    """The translations a render finds are the ones Flask-Babel's own lookup gives, for every
    message of the catalogue, in both languages."""
    from babel.messages.pofile import read_po as read
    from flask import render_template_string
    from flask_babel import get_translations

    with (TRANSLATIONS / "cy" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        messages = read(f, locale="cy")
    # Without placeholders: a template's _() formats what it finds, and these have no values.
    ids = [m.id for m in messages if isinstance(m.id, str) and m.id and "%" not in m.id]
    assert len(ids) > 200
    for language in ("en", "cy"):
        with app.app_context(), app.test_request_context("/", query_string={"lang": language}):
            expected = get_translations()
            shown = render_template_string(
                "{% for id in ids %}{{ gettext(id) | safe }}\x1f{% endfor %}", ids=ids
            )
            assert shown.split("\x1f")[:-1] == [expected.ugettext(i) for i in ids]


def test_code_and_lazy_strings_follow_the_locale_in_force(app):
    """``i18n.gettext`` and ``i18n.lazy_gettext`` (the form labels, the views' messages) keep
    Flask-Babel's translations for the locale in force, never longer: the same lazy string
    shown in a Welsh request and then an English one, a forced locale inside a request and
    after it, ``refresh`` after the locale changes, and a worker's app context with no request
    forcing each letter's language in turn."""
    from flask import g
    from flask_babel import force_locale, refresh

    from action_app.i18n import gettext, lazy_gettext

    label = lazy_gettext("Continue")
    named = lazy_gettext("Your letter to %(name)s", name="Ann")
    for language in ("cy", "en", "cy"):
        with app.app_context(), app.test_request_context("/", query_string={"lang": language}):
            said = "Parhau" if language == "cy" else "Continue"
            assert str(label) == said and gettext("Continue") == said
            assert str(named) == gettext("Your letter to %(name)s", name="Ann")
            assert "Ann" in str(named) and str(named) != "Your letter to %(name)s"
            other = "en" if language == "cy" else "cy"
            with force_locale(other):
                assert str(label) == ("Parhau" if other == "cy" else "Continue")
                with force_locale(language):
                    assert gettext("Continue") == said
                assert gettext("Continue") == ("Parhau" if other == "cy" else "Continue")
            assert str(label) == said
            # The locale chosen again (as after changing what selects it): a miss, not the
            # translations kept for the old one.
            g._flask_babel.babel_locale = None
            refresh()
            assert gettext("Continue") == said
    with app.app_context():  # a worker: no request, each letter's emails in its language
        for language in ("cy", "en", "cy", "cy", "en"):
            with force_locale(language):
                said = "Parhau" if language == "cy" else "Continue"
                assert gettext("Continue") == str(label) == said


def test_flask_babel_is_asked_once_per_locale_in_a_request(app, monkeypatch):
    """Many messages in one request, in one locale, cost Flask-Babel's lookup once; a forced
    locale, and the way back from it, once each."""
    from flask import render_template_string
    from flask_babel import force_locale

    import action_app.i18n as i18n

    asked = []
    real = i18n.get_translations

    def counted():
        asked.append(1)
        return real()

    monkeypatch.setattr(i18n, "get_translations", counted)
    label = i18n.lazy_gettext("Continue")
    with app.app_context(), app.test_request_context("/", query_string={"lang": "cy"}):
        for _ in range(20):
            assert str(label) == i18n.gettext("Continue") == "Parhau"
        page = '{% from "macros/forms.html" import back_link %}{{ back_link("/x") }}'
        assert ">Yn ôl<" in render_template_string(page)
        assert len(asked) == 1
        with force_locale("en"):
            assert [i18n.gettext("Continue") for _ in range(5)] == ["Continue"] * 5
        assert len(asked) == 2
        assert [str(label) for _ in range(5)] == ["Parhau"] * 5
        assert len(asked) == 3


def test_each_request_gets_its_language_as_a_locale_parsed_once(app):
    """Flask-Babel parses what the locale selector gives on every request unless it is a
    Locale already: the selector gives each language's one parsed Locale, for the language
    the request asks for, whether or not the request's hooks have run."""
    from flask_babel import force_locale, get_locale

    from action_app.i18n import _LOCALES, current_language
    from action_app.models.statuses import Language

    for asked, language in (({"lang": "cy"}, Language.CY), ({}, Language.EN)):
        for hooks_ran in (True, False):
            with app.app_context(), app.test_request_context("/", query_string=asked):
                if hooks_ran:
                    app.preprocess_request()
                assert get_locale() is _LOCALES[language]
                assert current_language() == language
                other = Language.EN if language == Language.CY else Language.CY
                with force_locale(other.value):  # a forced locale still wins inside a request
                    assert current_language() == other
                assert current_language() == language
