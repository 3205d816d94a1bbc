"""Fixtures shared with the worker tests: real Celery workers and a live campaign."""

from tests.workers.conftest import live_campaign, start_worker  # noqa: F401
