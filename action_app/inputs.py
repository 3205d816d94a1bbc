"""Rules for what people type or put in a URL: numbers, database ids and search text.

Each was a 500 when done by hand: ``str.isdigit`` accepts "²", which ``int`` refuses; a number
past a column's range reaches PostgreSQL, which refuses the query; and so does a NUL byte in
text. So every number read from text goes through ``whole_number`` (ids through
``database_id``), and every search box through ``search_text``. ``<id:…>`` and ``<bigid:…>`` in
a route do the same for a path, so an id that no row can have is a 404 before any query.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import BaseConverter, ValidationError

INTEGER_MAX = 2**31 - 1  # PostgreSQL's integer: most ids
BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint: letters and their messages
# Control characters, which nobody means to search for (and PostgreSQL's text refuses NUL).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The same, less tab and line breaks, which belong in long text such as a letter.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def whole_number(text: Any, low: int, high: int) -> int | None:
    """The number this text is, if it is ASCII digits from ``low`` to ``high``; else None."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def database_id(text: Any, maximum: int = INTEGER_MAX) -> int | None:
    """The id this text names, or None when no row can have it (so a lookup needs no query)."""
    return whole_number(text, 1, maximum)


def search_text(text: str | None, limit: int) -> str:
    """What to search for: control characters are dropped rather than refused, since they are
    never meant (a NUL arrives from a pasted or crafted URL), and the rest is trimmed."""
    return _CONTROL.sub("", text or "").strip()[:limit]


def control_character(text: str, *, multiline: bool = True) -> str | None:
    """The first control character in text meant to be kept (tab and line breaks are fine in
    ``multiline`` text, not in a one-line field), as U+XXXX, so a form can say what to remove;
    None when there is none."""
    found = (_CONTROL_IN_TEXT if multiline else _CONTROL).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


class DatabaseIdConverter(BaseConverter):
    """``<id:name>``: a path segment that can name a row of an integer column; anything else
    (too long, not ASCII digits) does not match the route, which answers 404."""

    regex = r"[0-9]+"
    maximum = INTEGER_MAX

    def to_python(self, value: str) -> int:
        found = database_id(value, self.maximum)
        if found is None:
            raise ValidationError()
        return found

    def to_url(self, value: Any) -> str:
        return str(int(value))


class BigIdConverter(DatabaseIdConverter):
    """``<bigid:name>``: the same for a bigint column."""

    maximum = BIGINT_MAX


CONVERTERS = {"id": DatabaseIdConverter, "bigid": BigIdConverter}
