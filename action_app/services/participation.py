"""Participation counts: how many people have written, read from a hot counter."""

from __future__ import annotations


def campaign_total(campaign_id: int) -> int:
    """How many supporters have written (the write-and-send work fills this in)."""
    return 0
