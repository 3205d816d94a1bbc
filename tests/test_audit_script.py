"""The dependency audit fails on a known vulnerability with a fix, and never calls a run that
checked nothing a pass."""

from __future__ import annotations

import runpy
from pathlib import Path

AUDIT = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts/audit-dependencies"))
summarise = AUDIT["summarise"]


def test_a_vulnerability_with_a_fix_is_a_problem():
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "3.1.2", "vulns": [
                {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]},
                {"id": "PYSEC-0000-0", "fix_versions": []},
            ]},
            {"name": "flask", "version": "3.1.0", "vulns": []},
        ]
    }  # fmt: skip
    problems, audited, unaudited = summarise(report)
    assert problems == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"]
    assert (audited, unaudited) == (2, 0)


def test_packages_that_could_not_be_audited_are_counted_not_passed():
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    assert summarise(report) == ([], 0, 1)
