"""Readable differences between two values of a campaign field, for the revision history."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

LABELS = {
    "slug": "Address (slug)",
    "title": "Title",
    "status": "Status",
    "summary": "Summary",
    "intro_markdown": "Introduction",
    "debate_at": "Debate time",
    "closes_at": "Closing time",
    "target": "Who letters go to",
    "subject_template": "Subject",
    "subject_alternatives": "More subject lines",
    "body_template": "Letter",
    "personal_prompt": "Prompt for the supporter's own words",
    "body_editable": "Supporters may edit the letter",
    "require_confirmation": "Email confirmation required",
    "thank_you_text": "Thank-you text",
    "share_text": "Share text",
    "organisations": "Organisations",
    "alternative": "Letter from excluded MPs' constituents",
    "reopens_at": "Reopening time",
}


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "removed" or "added"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    lines: list[DiffLine]


def field_diffs(changes: dict[str, list]) -> list[FieldDiff]:
    """Each changed field, line by line: what was removed and what was added."""
    result = []
    for name in [n for n in LABELS if n in changes] + sorted(set(changes) - set(LABELS)):
        before, after = changes[name]
        if _text(before) == _text(after):
            continue  # e.g. an empty field on a new campaign
        result.append(FieldDiff(name, LABELS.get(name, name), _lines(before, after)))
    return result


def _lines(before: Any, after: Any) -> list[DiffLine]:
    old, new = _text(before).splitlines(), _text(after).splitlines()
    lines = []
    for entry in difflib.ndiff(old, new):
        tag, text = entry[:2], entry[2:]
        if tag == "  ":
            lines.append(DiffLine("same", text))
        elif tag == "- ":
            lines.append(DiffLine("removed", text))
        elif tag == "+ ":
            lines.append(DiffLine("added", text))
    return lines


def _text(value: Any) -> str:
    if value in (None, [], {}):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True)
