"""A campaign's letter safeguards: what happens to a very short letter, or to one word for word
the same as a letter already sent to the same MP, and how long a seat chosen from the list may
wait for its postcode to be checked. Set per campaign in its document (``safeguards``).

An empty letter is always refused by the form itself; the rules here apply to letters with words.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

ACTIONS = ("allow", "hold", "refuse")
_TOKEN = re.compile(r"\[your [a-z ]+\]")  # a template's own placeholders, e.g. [your name]
DEFAULTS = {
    # Fewer characters than this (the whole letter, spaces squeezed) counts as very short.
    "min_letter_characters": 20,
    "short_letter": "refuse",
    # A campaign's own template sent unchanged is identical by design, so this is off unless
    # the campaign asks for letters in supporters' own words.
    "identical_letter": "allow",
    "seat_check_hours": 24,
}


@dataclass(frozen=True)
class Safeguards:
    min_letter_characters: int
    short_letter: str
    identical_letter: str
    seat_check_hours: float

    @classmethod
    def of(cls, stored: dict | None) -> Safeguards:
        """The campaign's settings over the defaults."""
        values = {**DEFAULTS, **(stored or {})}
        return cls(**{name: values[name] for name in DEFAULTS})


def parse_safeguards(value: Any) -> dict:
    """Check the document's ``safeguards`` object; raise ValueError saying what is wrong."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValueError('must be an object like {"identical_letter": "hold"}')
    unknown = sorted(set(value) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(DEFAULTS)}")
    result: dict = {}
    for name in ("short_letter", "identical_letter"):
        if name in value:
            if value[name] not in ACTIONS:
                raise ValueError(f"{name} must be one of {', '.join(ACTIONS)}")
            result[name] = value[name]
    for name, most in (("min_letter_characters", 2000), ("seat_check_hours", 24 * 14)):
        if name in value:
            number = value[name]
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"{name} must be a number")
            if not 0 <= number <= most:
                raise ValueError(f"{name} must be between 0 and {most}")
            result[name] = number
    return result


@dataclass(frozen=True)
class LetterText:
    """A letter's words and the supporter's details, to compare letters without the details."""

    before: str
    personal: str
    after: str
    name: str
    address_lines: tuple[str, ...]
    postcode: str

    def normalised(self) -> str:
        """Lower case, spaces squeezed, the supporter's own details replaced by tokens (so two
        letters from one template with different names and addresses are the same letter).
        Worked out once per letter: the fingerprint and the length both read it."""
        return self._normalised

    @cached_property
    def _normalised(self) -> str:
        # Plain replacements in the lower-cased text, longest detail first: a pattern per
        # supporter's name would be compiled for every letter.
        text = "\n".join(part for part in (self.before, self.personal, self.after) if part)
        text = text.lower()
        first = self.name.split()[0] if self.name.split() else ""
        details = [self.name, *self.address_lines, self.postcode, first]
        for value in sorted((d for d in details if len(d.strip()) > 1), key=len, reverse=True):
            text = text.replace(value.strip().lower(), "[you]")
        text = _TOKEN.sub("[you]", text)
        return " ".join(text.split())

    def fingerprint(self) -> str:
        """The normalised words, hashed: equal for letters that are the same letter."""
        return hashlib.sha256(self.normalised().encode()).hexdigest()

    def length(self) -> int:
        """Characters of the letter's own words (details and tokens not counted)."""
        return len(self.normalised().replace("[you]", "").strip())


@dataclass(frozen=True)
class Verdict:
    action: str  # allow, hold or refuse
    reason: str = ""  # for the outbox: "content: ..."
    message: str = ""  # for the supporter, when refused


def judge_letter(
    safeguards: Safeguards, letter: LetterText, recipient_name: str, already_sent: bool
) -> Verdict:
    """What the campaign wants done with this letter: allow, hold (with a reason) or refuse
    (with the supporter's explanation). ``already_sent`` says an identical letter has been
    sent to the same recipient."""
    if safeguards.short_letter != "allow" and letter.length() < safeguards.min_letter_characters:
        return Verdict(
            safeguards.short_letter,
            "content: very short letter",
            f"Your letter is very short. Write at least {safeguards.min_letter_characters} "
            f"characters so that {recipient_name} knows what you are asking them to do",
        )
    if safeguards.identical_letter != "allow" and already_sent:
        return Verdict(
            safeguards.identical_letter,
            "content: identical to a letter already sent to this recipient",
            f"Your letter is word for word the same as one already sent to {recipient_name}. "
            "MPs give most weight to letters in a constituent's own words: change it or add a "
            "sentence of your own, then continue",
        )
    return Verdict("allow")
