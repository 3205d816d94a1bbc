"""Helpers the public templates call: field state for assistive technology, text box sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from flask import Flask

from action_app.i18n import gettext
from action_app.i18n import lazy_gettext as _l

UK = ZoneInfo("Europe/London")

# A text box shows all of its text: one row per line, counting long lines as several.
CHARACTERS_PER_ROW = 60
MIN_ROWS, MAX_ROWS = 3, 60


def field_state(field, required: bool | None = None) -> dict:
    """Attributes that tell assistive technology a field's state: ``aria-invalid`` only when it
    has an error, and required as ``aria-required`` (the HTML attribute would make an untouched
    field report itself invalid). ``required=None`` follows the field's own validators."""
    attrs: dict = {"required": False}
    if required or (required is None and field.flags.required):
        attrs["aria-required"] = "true"
    if field.errors:
        attrs["aria-invalid"] = "true"
    return attrs


def field_attrs(field, required=None, describedby: str = "", extra: dict | None = None) -> dict:
    """Every attribute a field's macro adds: its state, its descriptions, and any extras."""
    attrs = field_state(field, required)
    if describedby:
        attrs["aria-describedby"] = describedby
    return {**attrs, **(extra or {})}


def rows_for(text: str | None) -> int:
    """Rows enough to show the whole text without scrolling inside the box (without JS too)."""
    lines = (text or "").split("\n")
    rows = sum(max(1, -(-len(line) // CHARACTERS_PER_ROW)) for line in lines) + 1
    return max(MIN_ROWS, min(MAX_ROWS, rows))


# What each token in the letter stands for, in the words of the letter page's hint.
TOKEN_MEANINGS = {
    "[your name]": _l("the name you give below"),
    "[your first name]": _l("the first word of the name you give below"),
    "[your address]": _l("the address you give below"),
    "[your postcode]": _l("your postcode"),
}


def letter_hint(*texts: str | None, editable: bool = True) -> str:
    """The hint beside the letter: it explains only the tokens this letter has, plainly."""
    letter = "".join(t or "" for t in texts)
    found = [(token, meaning) for token, meaning in TOKEN_MEANINGS.items() if token in letter]
    opening = gettext("You can change any of the words.") if editable else ""
    if not found:
        return opening
    parts = [gettext("%(token)s with %(meaning)s", token=t, meaning=m) for t, m in found]
    listed = (
        parts[0]
        if len(parts) == 1
        else gettext("%(most)s and %(last)s", most=", ".join(parts[:-1]), last=parts[-1])
    )
    replace = gettext(
        "When you continue, we put in your details: we replace %(listed)s.", listed=listed
    )
    if editable:
        keep = gettext("Leave the words in square brackets as they are.")
        return f"{opening} {keep} {replace}"
    return replace


# The check page's email headers in plain words (the header's own name is kept, smaller).
HEADER_WORDS = {
    "From": _l("Sent from"),
    "Reply-To": _l("Replies go to"),
    "To": _l("Sent to"),
    "Subject": _l("Subject"),
}


def plain_header(name: str, value) -> dict:
    """A header for the check page: plain words for its name, and an address shown as a name
    and an email address, without angle brackets."""
    text = str(value)
    person, address = parseaddr(text) if name != "Subject" else ("", "")
    if address and "@" in address:
        return {
            "key": HEADER_WORDS.get(name, name),
            "header": name,
            "name": person,
            "address": address,
        }
    return {"key": HEADER_WORDS.get(name, name), "header": name, "name": text, "address": ""}


def uk_now() -> datetime:
    """Now, in UK time (a printed letter's date)."""
    return datetime.now(UK)


def uk_time(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time in UK time, for display."""
    return value.replace(tzinfo=UTC).astimezone(UK) if value else None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_state"] = field_state
    app.jinja_env.globals["field_attrs"] = field_attrs
    app.jinja_env.filters["rows_for"] = rows_for
    app.jinja_env.globals["letter_hint"] = letter_hint
    app.jinja_env.globals["plain_header"] = plain_header
    app.jinja_env.globals["uk_now"] = uk_now
    app.jinja_env.filters["uk_time"] = uk_time
    app.jinja_env.globals["public_base_url"] = app.config["SETTINGS"].public_base_url
