"""Scheduled clean-up: nothing is kept longer than it is needed."""

from __future__ import annotations

from action_app.kv import DatabaseStore, get_store


def housekeeping() -> dict:
    """Remove expired cache entries; returns what was removed, for the worker log."""
    store = get_store()
    removed = store.purge_expired() if isinstance(store, DatabaseStore) else 0
    return {"cache_entries": removed}
