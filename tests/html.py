"""Reading pages the way a browser would: forms and their values, visible text, titles."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser


def text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def title(response) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)[1])


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "method": attrs.get("method"), "fields": {}}
            )
        elif not self.forms:
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            name = attrs.get("name")
            if not name or kind in ("submit", "button"):
                return
            if kind == "radio":
                if "checked" in attrs:
                    self.forms[-1]["fields"][name] = attrs.get("value", "on")
                return
            if kind == "checkbox":
                if "checked" in attrs:
                    self.forms[-1]["fields"].setdefault(name, []).append(attrs.get("value", "y"))
                else:
                    self.forms[-1]["fields"].setdefault(name, [])
                return
            self.forms[-1]["fields"][name] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.forms[-1]["fields"][self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea:
                value = self.forms[-1]["fields"][self._textarea].replace("\r\n", "\n")
                # Browsers drop one newline straight after <textarea>.
                self.forms[-1]["fields"][self._textarea] = (
                    value[1:] if value.startswith("\n") else value
                )
            self._textarea = None


def forms(response) -> list[dict]:
    parser = _FormParser()
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def post_form(response) -> dict:
    """The page's POST form: {'action': ..., 'fields': {...}}."""
    return next(f for f in forms(response) if (f["method"] or "").lower() == "post")
