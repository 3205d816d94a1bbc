"""Figures as plain rows and documents: one shape for the API, the live figures and the CSVs,
so they cannot disagree."""

from __future__ import annotations

from dataclasses import asdict

from action_app.stats.disclosure import SMALLEST_GROUP, withheld_figures
from action_app.stats.figures import Figures, Row

BREAKDOWN_COLUMNS = (
    "key", "label", "sent", "queued", "failed", "personalised", "reply_answers", "replied",
    "reply_rate", "withheld",
)  # fmt: skip
CONSTITUENCY_COLUMNS = (
    "key", "gss_code", "label", "mp", "party", "nation", "region", "sent", "queued", "failed",
    "personalised", "reply_answers", "replied", "reply_rate", "withheld",
)  # fmt: skip
# The columns a figure's withholding empties (disclosure.py): None in the API, "withheld" in a
# CSV, so that a withheld figure never reads as a zero or as "no answers yet".
WITHHELD_COLUMNS = {
    "personalised": ("personalised", "personalised_share"),
    "replies": ("reply_answers", "replied", "reply_rate"),
}
BREAKDOWN_TITLES = {
    "nations": "Nation",
    "regions": "English region",
    "parties": "MP's party",
    "constituencies": "Constituency",
    "sources": "Source",
}


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def row_document(row: Row, constituency: bool = False) -> dict:
    values = {
        "key": row.key,
        "gss_code": row.gss_code or None,
        "label": row.label,
        "mp": row.mp or None,
        "party": row.party or None,
        "nation": row.nation or None,
        "region": row.region or None,
        "sent": row.sent,
        "queued": row.queued,
        "failed": row.failed,
        "personalised": row.personalised,
        "reply_answers": row.answered,
        "replied": row.replied,
        "reply_rate": _rate(row.reply_rate),
        "withheld": withheld_figures(row.personalised, row.answered),
    }
    columns = CONSTITUENCY_COLUMNS if constituency else BREAKDOWN_COLUMNS
    return {name: values[name] for name in columns}


def headline_document(figures: Figures) -> dict:
    headline = asdict(figures.headline)
    headline["personalised_share"] = _rate(headline["personalised_share"])
    headline["reply_rate"] = _rate(headline["reply_rate"])
    headline["withheld"] = withheld_figures(
        figures.headline.personalised, figures.headline.reply_answers
    )
    headline["constituencies_total"] = 650
    # Copies to the campaign's additional fixed recipient: not letters, so apart from "sent".
    headline["copies_sent"] = sum(copy.sent for copy in figures.copies)
    headline["copies_failed"] = sum(copy.failed for copy in figures.copies)
    return headline


def stats_document(figures: Figures) -> dict:
    """Everything the API answers for one campaign."""
    return {
        "campaign": {
            "slug": figures.slug,
            "title": figures.title,
            "debate_at": figures.debate_at.isoformat() if figures.debate_at else None,
        },
        "generated_at": figures.read_at.isoformat(timespec="seconds") + "Z",
        "smallest_group": SMALLEST_GROUP,
        "headline": headline_document(figures),
        "opt_ins": [
            {"organisation": slug, "name": name, "supporters": count}
            for slug, name, count in figures.opt_ins
        ],
        "breakdowns": {
            name: [row_document(r, name == "constituencies") for r in getattr(figures, name)]
            for name in BREAKDOWN_TITLES
        },
        "letters_over_time": {
            "hourly": [{"hour": m.isoformat(), "sent": v} for m, v in figures.hourly],
            "daily": [{"day": m.date().isoformat(), "sent": v} for m, v in figures.daily],
        },
    }


def live_document(figures: Figures) -> dict:
    """The small answer the dashboard's script asks for every few seconds."""
    return {
        "generated_at": figures.read_at.isoformat(timespec="seconds") + "Z",
        "smallest_group": SMALLEST_GROUP,
        "headline": headline_document(figures),
        "opt_ins": {slug: count for slug, _, count in figures.opt_ins},
    }
