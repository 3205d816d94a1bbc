"""English and Welsh for the public journey and its emails (Flask-Babel).

The language travels in the URL (``?lang=cy``), so it lasts for the journey without a cookie and
the shared cache keeps each language's page apart. Every public link and form built with
``url_for`` carries it on. A letter stores the language it was written in, and the workers render
its later emails in that language with ``force_locale``.
"""

from __future__ import annotations

from babel import Locale
from flask import Flask, g, has_app_context, has_request_context, request, url_for
from flask_babel import Babel, force_locale, get_locale, get_translations
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import RequestEntityTooLarge

from action_app.config import SERVICE_NAME
from action_app.models.statuses import Language

babel = Babel()

# What <html lang> says for each language.
HTML_LANG = {Language.EN: "en-GB", Language.CY: "cy"}
# The switch names the other language in that language, as GOV.UK Wales services do.
SWITCH_WORDS = {Language.EN: "English", Language.CY: "Cymraeg"}


def requested_language() -> Language:
    """The language this request asks for: ``lang`` in the query or the form, else English."""
    if not has_request_context():
        return Language.EN
    try:
        asked = request.values.get("lang", "")
    except RequestEntityTooLarge:
        # A body over MAX_CONTENT_LENGTH cannot be read: the query alone says, so that the
        # "too long" page can be rendered (reading the form again there would raise once more
        # and leave Werkzeug's bare 500 page, with no landmarks, header or language).
        asked = request.args.get("lang", "")
    return Language(asked) if asked in Language.__members__.values() else Language.EN


def current_language() -> Language:
    """The language pages and emails are being rendered in now (a worker forces a letter's)."""
    locale = get_locale()
    return Language.CY if locale is not None and locale.language == "cy" else Language.EN


def language_of(value: str | None) -> Language:
    """A stored language, or English for anything else (letters written before Welsh)."""
    return Language.CY if value == Language.CY else Language.EN


def in_language(value: str | None):
    """Render inside this ``with`` in a letter's language (emails, in the workers)."""
    return force_locale(language_of(value).value)


def switch_url(language: str) -> str:
    """This page again in ``language``, keeping its other query arguments."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    # None: no lang argument at all (English), and _keep_language leaves it so.
    args["lang"] = str(language) if language != Language.EN else None
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _keep_language(endpoint: str, values: dict) -> None:
    """Public links and form actions carry the journey's language on."""
    if "lang" in values or not endpoint.startswith("public."):
        return
    if g.get("journey_language", Language.EN) != Language.EN:
        values["lang"] = str(g.journey_language)


def _remember_language() -> None:
    g.journey_language = requested_language()


# Each language's Babel locale, parsed once: Flask-Babel parses whatever its selector returns,
# on every request, unless it is a Locale already (about 2.6 µs on the postcode page).
_LOCALES = {language: Locale.parse(language.value) for language in Language}


def _select_locale() -> Locale:
    """Flask-Babel's locale selector: the language this request asks for."""
    return _LOCALES[requested_language()]


def translations():
    """Flask-Babel's translations for the locale in force now, asked of it once per locale
    in an app context (a request, or a worker's task) rather than for every message.

    Flask-Babel's own lookup costs about 6 µs a message (its state on ``g`` found four times
    over, and the locale's name written out to find the catalogue); the letter form's labels,
    hints and macros ask for about 45. The answer is kept beside Flask-Babel's own state for
    the app context, with the locale it was for: ``force_locale`` (a worker rendering a
    letter's emails, a test) puts a new locale object there and the old one back afterwards,
    and ``refresh`` removes it, so any change of locale is a miss and asks Flask-Babel again.
    The app has one translation domain. Where Flask-Babel keeps no state of that shape, or
    outside an app context, its own lookup answers."""
    if not has_app_context():
        return get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    kept = getattr(state, _KEPT_TRANSLATIONS, None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()  # selects the locale first if this context has none yet
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        setattr(state, _KEPT_TRANSLATIONS, (locale, found))
    return found


_KEPT_TRANSLATIONS = "action_app_translations"


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext``, with the translations found by ``translations``."""
    found = translations().ugettext(string)
    return found % variables if variables else found


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (its lazy string, translated each time it is shown, in
    the locale in force then), with the translations found by ``translations``."""
    return LazyString(gettext, string, **variables)


def _template_globals() -> dict:
    language = current_language()
    other = Language.EN if language == Language.CY else Language.CY
    return {
        "html_lang": HTML_LANG[language],
        "language": language.value,
        "other_language": other.value,
        "other_language_words": SWITCH_WORDS[other],
        "switch_url": switch_url,
        # The site's name in the header and every title, in the page's language (the
        # catalogue has it: templates/public/index.html's heading is the same words).
        "service_name": gettext(SERVICE_NAME),
    }


def _template_gettext(string):
    """The templates' ``_``/``gettext`` (and the three below): Flask-Babel's own template
    functions look the translations up for every message, about 7 µs each, and the letter
    form, the check page and the sent page show about 95 between them; these ask
    ``translations``, which finds them once per locale in the request. A macro from an
    imported template (whose context Jinja keeps from one render to the next) gets the same
    answer, since it depends on the request, not on the render's context."""
    return translations().ugettext(string)


def _template_ngettext(singular, plural, n):
    return translations().ungettext(singular, plural, n)


def _template_pgettext(message_context, string):
    return translations().upgettext(message_context, string)


def _template_npgettext(message_context, singular, plural, n):
    return translations().unpgettext(message_context, singular, plural, n)


def init_app(app: Flask) -> None:
    """Flask-Babel with the catalogues beside this module, English unless asked otherwise."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=_select_locale)
    # Flask-Babel's template functions, with the translations found once per locale (above).
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
        newstyle=True,
    )
    app.before_request(_remember_language)
    app.url_defaults(_keep_language)
    app.context_processor(_template_globals)
