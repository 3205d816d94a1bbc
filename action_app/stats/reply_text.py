"""Every word of the "did your MP reply?" email and pages, in the letter's language.

The words are Flask-Babel messages (their Welsh is in the catalogue like the rest of the
journey's); ``text_for`` renders them in a language, so the email a worker sends and the page
the link opens both come in the language the letter was written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask import current_app

from action_app.i18n import in_language, language_of
from action_app.i18n import lazy_gettext as _l

WORDS = {
    "subject": _l("Did %(mp)s reply to your letter?"),
    "greeting": _l("Hello %(name)s,"),
    "wrote": _l('%(days)s days ago you wrote to %(mp)s about "%(campaign)s". Did they reply?'),
    "one_click": _l("Tell us in one click (you will be asked to confirm):"),
    "link_replied": _l("They replied:"),
    "link_not_yet": _l("Not yet:"),
    "link_acknowledgement": _l("Only an automatic acknowledgement:"),
    "helps": _l(
        "Your answer helps the campaign know which MPs are listening. We will not ask again."
    ),
    "opt_out_label": _l("Do not email me in a few weeks to ask whether my MP replied"),
    "question": _l("Did %(mp)s reply to your letter?"),
    "you_wrote": _l("You wrote to %(mp)s about “%(campaign)s”."),
    "answer_replied": _l("Yes, they replied"),
    "answer_not_yet": _l("Not yet"),
    "answer_acknowledgement": _l("Only an automatic acknowledgement"),
    "confirm": _l("Confirm my answer"),
    "thanks": _l("Thank you: your answer is recorded"),
    "already": _l("Your answer was already recorded. Thank you."),
    "choose": _l("Select whether your MP replied"),
    "back": _l("Back to %(campaign)s"),
}


def text_for(language: str | None) -> Mapping[str, str]:
    """The words in this language (English for a language we do not offer), unformatted: each
    holds named placeholders like %(mp)s.

    Translated once per language and app, not on every call: the check page shows one of these
    words, and translating all twenty each time was about a fourteenth of the page's CPU. The
    catalogues do not change while the app runs. Read-only, since every caller shares it."""
    known = current_app.extensions.setdefault("reply_words", {})
    language = language_of(language).value
    words = known.get(language)
    if words is None:
        with in_language(language):
            words = known[language] = MappingProxyType(
                {key: str(value) for key, value in WORDS.items()}
            )
    return words


def email_body(words: Mapping[str, str], links: dict[str, str], **values) -> str:
    """The reply question email's text in ``words``' language; ``links`` by answer value."""
    parts = [
        words["greeting"] % values,
        words["wrote"] % values,
        words["one_click"],
        *(f"{words['link_' + answer]}\n{link}" for answer, link in links.items()),
        words["helps"],
    ]
    return "\n\n".join(parts) + "\n"
