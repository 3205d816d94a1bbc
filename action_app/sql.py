"""SQL helpers that must work the same on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(
    dialect: str,
    table: Table,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    index: Sequence[str],
    update: Sequence[str] = (),
    increment: Sequence[str] = (),
):
    """INSERT … ON CONFLICT (index) DO UPDATE for the named dialect: ``update`` columns are
    replaced, ``increment`` columns are added to, in one atomic statement on either engine."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(values)
    changes: dict[str, Any] = {name: statement.excluded[name] for name in update}
    for name in increment:
        changes[name] = table.c[name] + statement.excluded[name]
    if not changes:
        return statement.on_conflict_do_nothing(index_elements=list(index))
    return statement.on_conflict_do_update(index_elements=list(index), set_=changes)
