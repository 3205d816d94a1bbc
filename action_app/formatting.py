"""How dates and numbers read on pages and in emails (UK style)."""

from __future__ import annotations

from datetime import datetime


def uk_date(value: datetime | None) -> str:
    """'Thursday 10 December 2026' (already in UK time)."""
    return f"{value:%A} {value.day} {value:%B %Y}" if value else ""


def uk_datetime(value: datetime | None) -> str:
    """'Thursday 10 December 2026 at 2:30pm' (already in UK time)."""
    if not value:
        return ""
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{uk_date(value)} at {hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def thousands(number: int | None) -> str:
    """'1,234'."""
    return f"{int(number or 0):,}"
