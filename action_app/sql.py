"""SQL helpers that must work the same on PostgreSQL and SQLite.

Statements are built once per dialect and table and take their values as parameters, so
SQLAlchemy compiles each once and reuses it: these run on the busiest paths.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@lru_cache(maxsize=32)
def upsert(
    dialect: str,
    table: Table,
    index: tuple[str, ...],
    update: tuple[str, ...] = (),
    increment: tuple[str, ...] = (),
):
    """INSERT … ON CONFLICT (index) DO UPDATE: ``update`` columns are replaced, ``increment``
    columns are added to, in one atomic statement. Execute it with the row as parameters."""
    statement = _insert(dialect)(table)
    changes = {name: statement.excluded[name] for name in update}
    for name in increment:
        changes[name] = table.c[name] + statement.excluded[name]
    if not changes:
        return statement.on_conflict_do_nothing(index_elements=list(index))
    return statement.on_conflict_do_update(index_elements=list(index), set_=changes)


@lru_cache(maxsize=32)
def insert_unless_exists(
    dialect: str,
    table: Table,
    conflict: tuple[str, ...],
    returning: str,
    *,
    wait_for_disk: bool = True,
):
    """INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING returning. Execute it with the row
    as parameters.

    ``wait_for_disk=False`` (PostgreSQL; elsewhere it changes nothing): the transaction that
    inserts the row commits without waiting for the write-ahead log to reach the disk
    (``synchronous_commit`` off, set by the RETURNING clause for that transaction alone, so it
    costs no round trip and never outlives it). A crash of the database server in the fraction
    of a second before the log is written could lose that transaction, and nothing else: it
    cannot corrupt anything, and the next commit that does wait writes the log up to itself.
    Only for a row the user can make again, alone in its transaction (``commit_each_statement``),
    since every other write of that transaction would share the risk."""
    statement = (
        _insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c[returning])
    )
    if dialect == "postgresql" and not wait_for_disk:
        commit_mode = literal_column("set_config('synchronous_commit', 'off', true)")
        statement = statement.returning(commit_mode.label("commit_mode"))
    return statement


def commit_each_statement(session: Session) -> None:
    """Let the session's next unit of work commit each statement as it runs (autocommit), if it
    has not begun one yet. For a unit that is a single statement (a new draft's INSERT) this
    saves the BEGIN and COMMIT round trips; the caller's ``commit()`` then has nothing to send,
    and the pool gives the connection back its usual isolation level when it is returned."""
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
