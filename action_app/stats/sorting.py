"""Sorting a breakdown table by a column the reader picks (links, so no JavaScript is needed)."""

from __future__ import annotations

from action_app.stats.figures import Row

COLUMNS = {
    "label": lambda r: r.label.lower(),
    "mp": lambda r: r.mp.lower(),
    "party": lambda r: r.party.lower(),
    "sent": lambda r: r.sent,
    "queued": lambda r: r.queued,
    "personalised": lambda r: -1 if r.personalised is None else r.personalised,  # withheld
    "reply_rate": lambda r: -1 if r.reply_rate is None else r.reply_rate,
}


def sort_rows(rows: list[Row], column: str, descending: bool) -> tuple[list[Row], str, bool]:
    """The rows in the order asked for; an unknown column sorts by letters sent."""
    if column not in COLUMNS:
        column, descending = "sent", True
    key = COLUMNS[column]
    ordered = sorted(rows, key=lambda r: (key(r), r.label), reverse=descending)
    return ordered, column, descending
