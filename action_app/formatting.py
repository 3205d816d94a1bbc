"""How dates and numbers read on pages and in emails (UK style)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale

WELSH_DAYS = ("Dydd Llun", "Dydd Mawrth", "Dydd Mercher", "Dydd Iau", "Dydd Gwener",
              "Dydd Sadwrn", "Dydd Sul")  # fmt: skip
WELSH_MONTHS = ("Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf",
                "Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr")  # fmt: skip


def _welsh() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "cy"


def uk_date(value: datetime | None) -> str:
    """'Thursday 10 December 2026' (already in UK time); 'Dydd Iau 10 Rhagfyr 2026' in Welsh."""
    if not value:
        return ""
    if _welsh():
        day, month = WELSH_DAYS[value.weekday()], WELSH_MONTHS[value.month - 1]
        return f"{day} {value.day} {month} {value.year}"
    return f"{value:%A} {value.day} {value:%B %Y}"


def month_and_year(month: int, year: int) -> str:
    """'December 1998'; 'Rhagfyr 1998' in Welsh (month 1-12)."""
    if _welsh():
        return f"{WELSH_MONTHS[month - 1]} {year}"
    return f"{datetime(year, month, 1):%B} {year}"


def uk_datetime(value: datetime | None) -> str:
    """'Thursday 10 December 2026 at 2:30pm' (already in UK time)."""
    if not value:
        return ""
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    at = "am" if _welsh() else "at"
    return f"{uk_date(value)} {at} {hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


def thousands(number: int | None) -> str:
    """'1,234'."""
    return f"{int(number or 0):,}"
