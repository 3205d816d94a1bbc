"""The constituency hex map: an open HexJSON layout drawn server-side as SVG.

HexJSON (https://odileeds.org/projects/hexmaps/hexjson.html) gives each hex a column ``q`` and a
row ``r`` and names its offset layout (odd-r, even-r, odd-q, even-q). The layout file is read
once per process (again if it changes). Each hex is shaded by letters sent, in five steps whose
ranges the legend gives in words, and names its seat and figure in a <title>; the page's table
gives the same figures to screen readers, so nothing depends on the shading.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from action_app.registry import current_registry
from action_app.stats.figures import Row

SHADES = ("#f3f2f1", "#c2d6ec", "#8fb4dc", "#4d87c7", "#1d56a0", "#0b2d5c")
SIZE = 8.0  # hex radius in SVG units
_cache: dict[str, tuple[float, dict]] = {}


@dataclass(frozen=True)
class Hex:
    code: str
    name: str
    x: float
    y: float


class HexMapError(ValueError):
    """The layout file cannot be used; the message says why."""


def load_layout(path: str) -> tuple[list[Hex], bool]:
    """The hexes of a HexJSON file with their centres worked out, and whether they are
    pointy-topped (cached per process)."""
    file = Path(path)
    try:
        mtime = file.stat().st_mtime
    except OSError as exc:
        raise HexMapError(f"cannot read {path}: {exc.strerror}") from None
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise HexMapError(f"{path} is not a HexJSON file: {exc}") from None
        cached = (mtime, document)
        _cache[path] = cached
    return _centres(cached[1]), str(cached[1].get("layout", "odd-r")).endswith("-r")


def _centres(document: dict) -> list[Hex]:
    if not isinstance(document, dict) or not isinstance(document.get("hexes"), dict):
        raise HexMapError("a HexJSON document has a 'layout' and an object of 'hexes'")
    layout = document.get("layout", "odd-r")
    width, height = math.sqrt(3) * SIZE, 2 * SIZE
    hexes = []
    for code, cell in document["hexes"].items():
        try:
            q, r = int(cell["q"]), int(cell["r"])
        except (KeyError, TypeError, ValueError):
            raise HexMapError(f"hex {code!r} has no whole-number q and r") from None
        if layout.endswith("-r"):  # pointy-topped rows
            shift = (r % 2 == 1) if layout == "odd-r" else (r % 2 == 0)
            x, y = (q + (0.5 if shift else 0)) * width, -r * height * 0.75
        else:  # flat-topped columns
            shift = (q % 2 == 1) if layout == "odd-q" else (q % 2 == 0)
            x, y = q * height * 0.75, -(r + (0.5 if shift else 0)) * width
        hexes.append(Hex(str(code), str(cell.get("n", code)), x, y))
    return hexes


def _points(h: Hex, pointy: bool) -> str:
    start = 30 if pointy else 0
    corners = []
    for i in range(6):
        angle = math.radians(60 * i + start)
        corners.append(f"{h.x + SIZE * math.cos(angle):.1f},{h.y + SIZE * math.sin(angle):.1f}")
    return " ".join(corners)


def steps(maximum: int) -> list[tuple[int, int]]:
    """Five ranges of letters sent, from 1 to the largest seat's figure."""
    if maximum <= 0:
        return []
    edges = sorted({max(1, math.ceil(maximum * i / 5)) for i in range(6)})
    ranges, low = [], 1
    for edge in edges[1:] if len(edges) > 1 else edges:
        if edge >= low:
            ranges.append((low, edge))
            low = edge + 1
    return ranges


def shade(value: int, ranges: list[tuple[int, int]]) -> str:
    for index, (low, high) in enumerate(ranges, start=1):
        if low <= value <= high:
            return SHADES[index]
    return SHADES[0]


def render(path: str, rows: list[Row], title_id: str) -> Markup:
    """The map as inline SVG (presentation attributes only, so the page's CSP allows it)."""
    hexes, pointy = load_layout(path)
    sent = {r.gss_code: r.sent for r in rows if r.gss_code}
    # Each hex is named as the directory names its seat (the official spelling), not as the
    # layout file happens to spell it.
    snapshot = current_registry().directory_snapshot.get()
    names = {code: seat.name for code, seat in snapshot.by_gss.items()}
    ranges = steps(max(sent.values(), default=0))
    xs, ys = [h.x for h in hexes], [h.y for h in hexes]
    pad = SIZE * 1.5
    left, top = min(xs, default=0) - pad, min(ys, default=0) - pad
    width, height = max(xs, default=0) - left + pad, max(ys, default=0) - top + pad
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hexmap" role="img" '
        f'aria-labelledby="{title_id}" viewBox="{left:.1f} {top:.1f} {width:.1f} {height:.1f}">'
    ]
    for h in hexes:
        value = sent.get(h.code, 0)
        label = f"{names.get(h.code, h.name)}: {value:,} letter{'' if value == 1 else 's'} sent"
        parts.append(
            f'<polygon points="{_points(h, pointy)}" fill="{shade(value, ranges)}" '
            f'stroke="#505a5f" stroke-width="0.6"><title>{escape(label)}</title></polygon>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(rows: list[Row]) -> list[tuple[str, str]]:
    """(shade, words) for each step, for the legend under the map."""
    ranges = steps(max((r.sent for r in rows if r.gss_code), default=0))
    items = [(SHADES[0], "No letters yet")]
    for index, (low, high) in enumerate(ranges, start=1):
        words = f"{low:,} letters" if low == high else f"{low:,} to {high:,} letters"
        items.append((SHADES[index], words))
    return items
