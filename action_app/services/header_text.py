"""What may reach an email header: the rule shared by the public forms and campaign templates.

Line breaks and other control characters are how a header would be forged. So are RFC 2047
encoded words ("=?utf-8?q?…?="), which a mail program decodes into anything, line breaks
included (CVE-2024-6923), and the bidirectional overrides that make a name or subject read
differently from what it is. The emails service also checks every finished message, so this is
the first of two defences, the one that gives the supporter a clear message.
"""

from __future__ import annotations

import re

from action_app.i18n import gettext
from action_app.services.letter_templates import (
    check_template_structure,
    render_template_text,
    sample_contexts,
)

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BIDI_OVERRIDES = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
ENCODED_WORD = re.compile(r"=\?.*\?=", re.DOTALL)


def header_rule_broken(value: str) -> str | None:
    """Which part of the header rule this one-line value breaks ("control", "encoded" or
    "bidi"), or None if it may reach a header."""
    if CONTROL.search(value):
        return "control"
    if ENCODED_WORD.search(value):
        return "encoded"
    if BIDI_OVERRIDES.search(value):
        return "bidi"
    return None


# The staff editor's words (staff pages are in English), to follow a field's name.
_STAFF_WORDS = {
    "control": "must not contain line breaks or special characters",
    "encoded": "must not contain the characters =? followed later by ?=",
    "bidi": "must not contain characters that change the direction of the text",
}


def header_problem(value: str) -> str | None:
    """Why this one-line value may not reach an email header (to follow "the title …"), in
    English for staff, or None if it may."""
    rule = header_rule_broken(value)
    return _STAFF_WORDS[rule] if rule else None


def header_problem_message(what: str, value: str) -> str | None:
    """The supporter's message, a whole sentence in their language ("Your name must not …"),
    for a value that may not reach a header, or None if it may."""
    rule = header_rule_broken(value)
    if rule == "control":
        return gettext("%(what)s must not contain line breaks or special characters", what=what)
    if rule == "encoded":
        return gettext(
            "%(what)s must not contain the characters =? followed later by ?=", what=what
        )
    if rule == "bidi":
        return gettext(
            "%(what)s must not contain characters that change the direction of the text",
            what=what,
        )
    return None


def subject_template_problems(source: str) -> list[str]:
    """Why a campaign's subject template may not be used: it becomes a header, so it follows
    the header rule (line breaks aside: the subject is joined onto one line), and it can never
    hold the supporter's postal address."""
    problems = []
    problem = header_problem(CONTROL.sub(" ", source.replace("\n", " ")))
    if problem:
        problems.append(f"the subject {problem}")
    if check_template_structure(source):
        return problems
    if "supporter.address" in source:
        problems.append("the subject cannot include supporter.address (it goes in the letter)")
    if not problem:  # what it writes, too: {{ "\u202e" }} is a bidi override all the same
        for context in sample_contexts():
            try:
                written = " ".join(render_template_text(source, context).split())
            except Exception:  # check_template says why it cannot be rendered
                break
            if problem := header_problem(written):
                problems.append(f"the subject it writes {problem}")
                break
    return problems
