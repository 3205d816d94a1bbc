"""SQL helpers that must work the same on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
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


@lru_cache(maxsize=32)
def insert_unless_exists(dialect: str, table: Table, conflict: tuple[str, ...], returning: str):
    """INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING returning, with the values left as
    parameters, so the statement is compiled once and reused (the hot paths use it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c[returning])
    )
