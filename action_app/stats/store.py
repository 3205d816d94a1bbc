"""The counter as the counting and reading code pass it around."""

from __future__ import annotations

from typing import NamedTuple


class Counter(NamedTuple):
    dimension: str
    bucket: str
    metric: str
    amount: int = 1
