"""Where the team's reference data is, by one rule: ``../shared/data`` from the project root.

It is never copied into the project, and no test needs it: tests that use it are skipped on a
machine (or a fresh clone) without it.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def shared_data_available(*names: str) -> bool:
    """True if the reference-data folder is present, with these files in it."""
    return SHARED_DATA.is_dir() and all((SHARED_DATA / name).exists() for name in names)
