"""CSV downloads: every breakdown, the per-MP report, and (admins only) supporters' opt-ins.

Cells that a spreadsheet would run as a formula (starting =, +, -, @, tab or return) are
prefixed with an apostrophe, since supporters' names are typed by anyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, OptInRecord
from action_app.stats.disclosure import WITHHELD
from action_app.stats.figures import Figures, Row
from action_app.stats.serialise import (
    BREAKDOWN_COLUMNS,
    BREAKDOWN_TITLES,
    CONSTITUENCY_COLUMNS,
    WITHHELD_COLUMNS,
    headline_document,
    row_document,
)

EXPORTS = (*BREAKDOWN_TITLES, "headline", "hourly", "daily", "opt-ins")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value) -> str:
    """A cell as text that no spreadsheet will run."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe(v) for v in row])
    return out.getvalue()


def csv_line(row) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe(v) for v in row])
    return out.getvalue()


def breakdown_csv(figures: Figures, name: str) -> str:
    """One CSV per breakdown, with the same figures the dashboard and the API show."""
    if name in BREAKDOWN_TITLES:
        columns = CONSTITUENCY_COLUMNS if name == "constituencies" else BREAKDOWN_COLUMNS
        documents = [
            _cells(row_document(r, name == "constituencies")) for r in getattr(figures, name)
        ]
        return to_csv(list(columns), ([d[c] for c in columns] for d in documents))
    if name == "headline":
        headline = _cells(headline_document(figures))
        return to_csv(["figure", "value"], headline.items())
    if name == "hourly":
        return to_csv(["hour", "sent"], ((m.isoformat(), v) for m, v in figures.hourly))
    if name == "daily":
        return to_csv(["day", "sent"], ((m.date().isoformat(), v) for m, v in figures.daily))
    if name == "opt-ins":
        return to_csv(["organisation", "name", "supporters"], figures.opt_ins)
    raise KeyError(name)


def report_csv(figures: Figures, row: Row, ask: str, daily: list) -> str:
    """The per-MP report: figures only, never a supporter's name or address."""
    document = row_document(row, constituency=True)
    share = row.personalised_share
    document["personalised_share"] = None if share is None else f"{share:.4f}"
    lines = [("campaign", figures.title), ("ask", ask)]
    lines += [(k, v) for k, v in _cells(document).items()]
    lines += [(f"sent_on_{day.isoformat()}", v) for day, v in daily]
    return to_csv(["figure", "value"], lines)


def _cells(document: dict) -> dict:
    """A row or headline document as CSV cells: a withheld figure says so (an empty cell would
    read as "none yet"), and the list of withheld figures is one cell."""
    cells = dict(document)
    for figure in document["withheld"]:
        for column in WITHHELD_COLUMNS[figure]:
            if column in cells:
                cells[column] = WITHHELD
    cells["withheld"] = " ".join(document["withheld"])
    return cells


OPT_IN_COLUMNS = [
    "name", "email", "postcode", "organisation", "organisation_name", "wording",
    "opted_in_at_utc",
]  # fmt: skip


def opt_in_rows(campaign_id: int, organisation: str) -> Iterator[list]:
    """Supporters who opted in to this organisation, oldest first, read in batches. A letter
    whose details were removed (scrubbed) keeps its opt-in record as evidence, but has no one
    to contact: it is left out, as is a letter its address's owner disowned."""
    statement = (
        select(
            Letter.supporter_name,
            Letter.supporter_email,
            Letter.postcode,
            OptInRecord.organisation,
            OptInRecord.organisation_name,
            OptInRecord.statement,
            OptInRecord.opted_in_at,
        )
        .join(Letter, Letter.id == OptInRecord.letter_id)
        .where(
            OptInRecord.campaign_id == campaign_id,
            OptInRecord.organisation == organisation,
            Letter.scrubbed_at.is_(None),
            Letter.status != LetterStatus.WITHDRAWN,  # its owner said they did not write it
        )
        .order_by(OptInRecord.id)
        .execution_options(yield_per=1000)
    )
    for row in db.session.execute(statement):
        yield [*row[:6], row[6].isoformat(timespec="seconds") + "Z"]


def opt_in_csv(campaign_id: int, organisation: str) -> Iterator[str]:
    """The supporter-level opt-in export, streamed line by line."""
    yield to_csv(OPT_IN_COLUMNS, [])
    for row in opt_in_rows(campaign_id, organisation):
        yield csv_line(row)
