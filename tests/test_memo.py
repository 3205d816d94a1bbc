"""The in-process cache: least recently used entries go first, every entry has a lifetime."""

from __future__ import annotations

import pytest

from action_app import memo
from action_app.memo import TtlLru


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(memo.time, "monotonic", clock)
    return clock


def test_an_entry_is_kept_for_its_lifetime_and_no_longer(clock):
    cache = TtlLru(max_entries=10, ttl_seconds=2.0)
    cache.put("a", 1)
    clock.now += 1.9
    assert cache.get("a") == 1
    clock.now += 0.2
    assert cache.get("a") is None
    assert cache.get("a", "default") == "default"
    assert len(cache) == 0  # an expired entry is dropped when it is found


def test_a_stored_none_or_falsy_value_is_a_hit(clock):
    cache = TtlLru(max_entries=10, ttl_seconds=60)
    cache.put("none", None)
    cache.put("zero", 0)
    missing = object()
    assert cache.get("none", missing) is None
    assert cache.get("zero", missing) == 0
    assert cache.get("other", missing) is missing


def test_the_least_recently_used_entry_goes_first(clock):
    cache = TtlLru(max_entries=2, ttl_seconds=60)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert len(cache) == 2


def test_putting_again_renews_the_lifetime(clock):
    cache = TtlLru(max_entries=10, ttl_seconds=2.0)
    cache.put("a", 1)
    clock.now += 1.5
    cache.put("a", 2)
    clock.now += 1.5
    assert cache.get("a") == 2


def test_clear_forgets_everything(clock):
    cache = TtlLru(max_entries=10, ttl_seconds=60)
    cache.put("a", 1)
    cache.clear()
    assert cache.get("a") is None and len(cache) == 0
