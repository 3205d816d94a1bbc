"""Charts drawn on the server as SVG by pygal (a maintained SVG charting library: it draws the
axes, scales and labels, and needs no JavaScript in the browser).

Each chart is one series in one dark colour with its values printed on the bars, so nothing is
told by colour alone; the page beside it carries a text alternative and the same figures as a
table. Charts are served as images, so they have their own small Content-Security-Policy that
allows pygal's inline styles and nothing else. pygal is imported when the first chart is drawn:
only the organisers' chart images need it, and every web and worker process imports this module.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from action_app.stats.figures import Figures, Row

# pygal's Style: one dark colour, GOV.UK's text colours, sizes readable at 800 px.
STYLE_SETTINGS = dict(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#1d70b8",),
    font_family="Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    title_font_size=16,
    tooltip_font_size=13,
)
# pygal always embeds its tooltip settings as a script; an image never runs it, and we drop it
# (its text is escaped by the XML writer, so it cannot contain the closing tag).
_SCRIPT = re.compile(rb"<script\b[^>]*>.*?</script>", re.S)
TOP_CONSTITUENCIES = 20
BREAKDOWNS = ("nations", "regions", "parties", "sources", "constituencies")
TIMES = ("hourly", "daily")
CHART_NAMES = BREAKDOWNS + TIMES


@cache
def _style():
    from pygal.style import Style

    return Style(**STYLE_SETTINGS)


def _common(**extra) -> dict:
    return {
        "style": _style(),
        "js": [],  # pygal's tooltips load a script from the internet: never
        "show_legend": False,
        "width": 800,
        "disable_xml_declaration": False,
        **extra,
    }


def breakdown_rows(figures: Figures, name: str) -> list[Row]:
    rows = getattr(figures, name)
    if name == "constituencies":
        return rows[:TOP_CONSTITUENCIES]
    return rows


def breakdown_chart(figures: Figures, name: str, title: str) -> bytes:
    """Letters sent per group, one horizontal bar each, values printed."""
    import pygal

    rows = breakdown_rows(figures, name)
    chart = pygal.HorizontalBar(
        **_common(height=max(160, 60 + 32 * len(rows)), print_values=True, title=title)
    )
    chart.x_labels = [r.label for r in rows]
    chart.y_labels = whole_ticks(max((r.sent for r in rows), default=0))
    chart.add("Letters sent", [r.sent for r in rows])
    return _render(chart)


def time_chart(
    series: list[tuple[datetime, int]], title: str, hourly: bool, debate_at: datetime | None
) -> bytes:
    """Letters sent per hour or per day; the debate's day or hour is named on its label."""
    import pygal

    chart = pygal.Bar(
        **_common(height=360, title=title, x_label_rotation=30, show_minor_x_labels=False)
    )
    labels = [time_label(moment, hourly, debate_at) for moment, _ in series]
    chart.x_labels = labels
    step = max(1, len(labels) // 12)
    chart.x_labels_major = [
        label for i, label in enumerate(labels) if i % step == 0 or "debate" in label
    ]
    chart.y_labels = whole_ticks(max((value for _, value in series), default=0))
    chart.add("Letters sent", [value for _, value in series])
    return _render(chart)


def whole_ticks(largest: int) -> list[int]:
    """Axis ticks at whole numbers of letters, ten at most (a letter never comes in fifths)."""
    step = 1
    while largest / step > 10:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if largest / step <= 10:
                break
    return list(range(0, max(largest, 1) + step, step))


def _render(chart) -> bytes:
    return _SCRIPT.sub(b"", chart.render())


def time_label(moment: datetime, hourly: bool, debate_at: datetime | None) -> str:
    """'Thu 10 Dec 14:00' or 'Thu 10 Dec', with '(debate)' on the debate's hour or day."""
    label = f"{moment:%a} {moment.day} {moment:%b}" + (f" {moment:%H}:00" if hourly else "")
    if debate_at is not None and is_debate(moment, hourly, debate_at):
        label += " (debate)"
    return label


def is_debate(moment: datetime, hourly: bool, debate_at: datetime) -> bool:
    if hourly:
        return (moment.date(), moment.hour) == (debate_at.date(), debate_at.hour)
    return moment.date() == debate_at.date()
