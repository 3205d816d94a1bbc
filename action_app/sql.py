"""SQL helpers that must work the same on PostgreSQL and SQLite.

Statements are built once per dialect and table and take their values as parameters, so
SQLAlchemy compiles each once and reuses it: these run on the busiest paths.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, Row, Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite


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
    Only for a row the user can make again, alone in its transaction (``run_alone``),
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


def run_alone(engine: Engine, statement, params: dict) -> Row | None:
    """Run one statement as a transaction of its own, committed as it runs (autocommit), and
    give back its first row.

    It goes straight to a connection from the engine's pool, without the ORM session: no BEGIN
    or COMMIT round trips, and none of the session's transaction bookkeeping (for a new draft's
    INSERT, the busiest write, that bookkeeping cost more CPU than the statement). Only for a
    statement that is a whole unit of work: call it when the session has begun nothing, so that
    the request holds one connection at a time and nothing it wrote is left uncommitted."""
    with _autocommit(engine).connect() as connection:
        return connection.execute(statement, params).first()


@lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    """The same engine and pool, each connection taken in autocommit mode (the pool gives it
    back its usual isolation level when it is returned)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")
