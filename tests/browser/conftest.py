"""Browser tests: the app served on loopback, Debian's chromium driven by Playwright, axe-core.

Playwright's own browser download is never used: chromium comes from Debian's package and axe-core
from the npm registry (tests/browser/package.json), both installed by the README's test command.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from action_app.extensions import db
from action_app.services.campaigns import import_campaign
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_SOURCE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# axe's best practices as well as WCAG: they catch what WCAG words loosely (content outside any
# landmark, heading order, duplicate landmarks), and the public pages keep to them too.
AXE_TAGS = [*WCAG_TAGS, "best-practice"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/install-browser-deps")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _whole_answers(app):
    """The app, each answer read whole (and its iterable closed) before the server sends it.

    Werkzeug's development server closes an answer's iterable only after reading what is left
    of the request from the socket; when the browser has reset the connection meanwhile (as
    chromium now and then does to the favicon's), that read raises first, the iterable is never
    closed, and the static file it holds open is reported as an unclosed file in whichever
    test happens to be running. Nothing the app answers here is large or streamed."""

    def serve(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return serve


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, _whole_answers(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def journey_app(app, fake_members):
    prepare_journey(app)
    import_campaign(
        {
            **CAMPAIGN_DOCUMENT,
            "slug": "england-only",
            "title": "England only",
            "target": {"type": "constituency_mp", "nations": ["England"]},
        },
        "tests",
    )
    db.session.commit()
    return app


@pytest.fixture
def live_server(journey_app):
    server = LiveServer(journey_app)
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core with the WCAG 2.0-2.2 A and AA rules and best practices; return what it
    found."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["html"][:200] for n in v["nodes"][:3]],
        }
        for v in result["violations"]
    ]


def assert_accessible(page, label: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{label}: " + json.dumps(violations, indent=2)
