"""The translation catalogues, compiled and extracted the way scripts/translations does it,
through Babel's own API so the tests need no shell."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "action_app" / "translations"


def compile_catalogues() -> None:
    """Build every messages.mo from its messages.po."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "-D", "messages")


def extract_messages(pot: Path) -> None:
    """Every translatable string in the code and templates, into a .pot file."""
    _pybabel(
        "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "--omit-header", "-o", str(pot), str(ROOT),
    )  # fmt: skip


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])
