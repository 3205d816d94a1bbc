"""What the public pages must keep proving in a browser, beyond axe: no sideways scrolling at
320 px (with WCAG 1.4.12 text spacing too), targets of at least 24 by 24 CSS pixels, and focus
that changes what is on screen by at least 3:1. Each checked page is also saved as a screenshot
at 320 and 1,280 px in test-artifacts/screenshots, for a person to look at."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from tests.browser.conftest import assert_accessible

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}

# WCAG 1.4.12: line height 1.5, paragraph spacing 2, letter spacing 0.12, word spacing 0.16
# (applied through the CSS object model, which the pages' CSP allows, as a bookmarklet would).
TEXT_SPACING = """() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
    word-spacing: 0.16em !important; } p, li, dd { margin-bottom: 2em !important; }`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  return getComputedStyle(document.body).letterSpacing;
}"""
NO_TEXT_SPACING = "() => { document.adoptedStyleSheets = []; }"

SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !el.closest('.visually-hidden, .skip-link')) {
      wide.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 5)};
}"""

SMALL_TARGETS = """() => {
  // WCAG 2.5.8: at least 24 by 24, unless inline in a sentence, or spaced so that a 24 px circle
  // on its centre touches no other target and no other small target's circle.
  const found = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(targets)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden') || el.classList.contains('skip-link')) continue;
    let inline = false;
    if (el.tagName === 'A' && style.display === 'inline') {
      const block = el.parentElement.closest('p, li, dd, div, label, legend');
      const words = (block ? block.textContent : '').replace(/\\s+/g, ' ').trim();
      inline = words.length > el.textContent.replace(/\\s+/g, ' ').trim().length;
    }
    found.push({el, r, inline, small: r.width < 24 || r.height < 24});
  }
  function gap(x, y, r) {
    const dx = Math.max(r.left - x, 0, x - r.right), dy = Math.max(r.top - y, 0, y - r.bottom);
    return Math.hypot(dx, dy);
  }
  const bad = [];
  for (const t of found) {
    if (!t.small || t.inline) continue;
    const x = (t.r.left + t.r.right) / 2, y = (t.r.top + t.r.bottom) / 2;
    const crowded = found.some(o => o !== t && (o.small && !o.inline
      ? Math.hypot(x - (o.r.left + o.r.right) / 2, y - (o.r.top + o.r.bottom) / 2) < 24
      : gap(x, y, o.r) < 12));
    if (crowded) {
      const size = Math.round(t.r.width) + 'x' + Math.round(t.r.height);
      bad.push(t.el.outerHTML.slice(0, 90) + ' ' + size);
    }
  }
  return bad;
}"""

# WCAG 1.4.11: each control's edge (its border, or its own background where it has no border)
# against what is behind it, at least 3:1. Checkboxes and radios are the browser's own, drawn
# with its own edge (Chromium's #767676, 4.5:1 on white) that CSS does not report, so are left out.
CONTROL_EDGES = """() => {
  function rgb(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return p.length === 4 && p[3] === 0 ? null : p.slice(0, 3);
  }
  function luminance(c) {
    const [r, g, b] = c.map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function behind(el) {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c) return c;
    }
    return [255, 255, 255];
  }
  const weak = [];
  const controls = 'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
    + 'select, textarea, .button';
  for (const el of document.querySelectorAll(controls)) {
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (!r.width || style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
    // A file input's edge is its "Choose file" button's.
    const face = el.type === 'file' ? getComputedStyle(el, '::file-selector-button') : style;
    const border = parseFloat(face.borderTopWidth) > 0 ? rgb(face.borderTopColor) : null;
    const edge = border || rgb(face.backgroundColor);
    if (!edge) { weak.push(el.outerHTML.slice(0, 80) + ' has no edge'); continue; }
    const a = luminance(edge), b = luminance(behind(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 3) weak.push(el.outerHTML.slice(0, 80) + ' ' + ratio.toFixed(2));
  }
  return weak;
}"""

# How many pixels changed by at least 3:1 between two screenshots of the same place.
CONTRAST_CHANGE = """async ([before, after]) => {
  async function pixels(data) {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const blob = new Blob([bytes], {type: 'image/png'});
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    return context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  }
  function luminance(d, i) {
    const c = [d[i], d[i + 1], d[i + 2]].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  const a = await pixels(before), b = await pixels(after);
  let changed = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 4) {
    const x = luminance(a, i), y = luminance(b, i);
    if ((Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05) >= 3) changed++;
  }
  return changed;
}"""


def check_page(page, name: str, *, axe: bool = True) -> None:
    """axe (WCAG and best practice), screenshots at both widths, and at 320 px: no sideways
    scrolling, with and without text spacing, and targets of at least 24 by 24."""
    # A click that posts a form returns once the answer starts to arrive: checked before its
    # stylesheet has loaded, the page is unstyled (axe found "targets too small" so, once, on
    # a busy machine).
    page.wait_for_load_state("load")
    if axe:
        assert_accessible(page, name)
    weak = page.evaluate(CONTROL_EDGES)
    assert not weak, f"{name}: control edges under 3:1: " + json.dumps(weak, indent=1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    page.set_viewport_size(WIDE)
    page.screenshot(path=SCREENSHOTS / f"{slug}-1280.png", full_page=True)
    try:
        page.set_viewport_size(NARROW)
        assert_no_sideways_scroll(page, f"{name} at 320 px")
        page.screenshot(path=SCREENSHOTS / f"{slug}-320.png", full_page=True)
        small = page.evaluate(SMALL_TARGETS)
        assert not small, f"{name}: targets smaller than 24x24: " + json.dumps(small, indent=1)
        assert page.evaluate(TEXT_SPACING) != "normal"
        assert_no_sideways_scroll(page, f"{name} at 320 px with text spacing")
        page.evaluate(NO_TEXT_SPACING)
    finally:
        page.set_viewport_size(WIDE)


def assert_no_sideways_scroll(page, name: str) -> None:
    found = page.evaluate(SIDEWAYS)
    assert found["scroll"] <= found["width"], f"{name}: scrolls sideways: {found}"


def focus_change(page, selector: str) -> tuple[int, int]:
    """(pixels changed by at least 3:1 when the element takes focus, its perimeter in px)."""
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box, f"{selector} is not on screen"
    margin = 8
    clip = {
        "x": max(0, box["x"] - margin),
        "y": max(0, box["y"] - margin),
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    before = page.screenshot(clip=clip)
    element.focus()
    after = page.screenshot(clip=clip)
    changed = page.evaluate(
        CONTRAST_CHANGE,
        [base64.b64encode(before).decode(), base64.b64encode(after).decode()],
    )
    return changed, int(2 * (box["width"] + box["height"]))


def assert_focus_visible(page, selector: str) -> None:
    """Focus changes at least the element's perimeter's worth of pixels by 3:1 or more (a ring
    one CSS pixel wide all round, the minimum WCAG 2.4.13 describes)."""
    changed, perimeter = focus_change(page, selector)
    assert changed >= perimeter, f"{selector}: focus changed {changed} px by 3:1, < {perimeter}"
