"""SQL helpers that must work the same on PostgreSQL and SQLite.

Statements are built once per dialect and table and take their values as parameters, so
SQLAlchemy compiles each once and reuses it: these run on the busiest paths.
"""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache
from typing import Any

from psycopg.rows import tuple_row
from sqlalchemy import Engine, Row, Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError


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
    give back its first row (its columns by name).

    It goes straight to a connection from the engine's pool, without the ORM session: no BEGIN
    or COMMIT round trips, and none of the session's transaction bookkeeping. Only for a
    statement that is a whole unit of work: call it when the session has begun nothing, so that
    the request holds one connection at a time and nothing it wrote is left uncommitted.

    On PostgreSQL (psycopg) the statement, compiled by SQLAlchemy once, runs on the pooled
    driver connection itself: for a new draft's INSERT, the busiest write, SQLAlchemy's
    execution (its connection wrapper, isolation level switching, compiled-cache lookup and
    result objects) cost twice what the driver does. The values go through the column types'
    own bind processing, and a driver error is raised as SQLAlchemy's (a lost connection is
    thrown away, as SQLAlchemy would), so callers and error pages see no difference."""
    made = None
    if engine.dialect.driver == "psycopg":
        made = _compiled(engine.dialect, statement, tuple(params))
    if made is None:  # SQLite, or a value only SQLAlchemy's execution can work out
        with _autocommit(engine).connect() as connection:
            return connection.execute(statement, params).first()
    sql, literals, defaults, processors = made
    values = _values(params, literals, defaults, processors)
    dbapi = engine.dialect.loaded_dbapi
    try:
        pooled = engine.raw_connection()
    except dbapi.Error as error:  # the server is down: what SQLAlchemy's connect() raises
        raise _as_sqlalchemys(engine, sql, None, error) from error
    driver = pooled.driver_connection
    try:
        driver.autocommit = True
        return _execute(driver, sql, [values])
    except dbapi.Error as error:
        if engine.dialect.is_disconnect(error, pooled.dbapi_connection, None):
            # As SQLAlchemy does: after a restart every pooled connection is dead, so the
            # pool is replaced (connections in use are dropped when they come back).
            pooled.invalidate(error)
            engine.dispose()
        raise _as_sqlalchemys(engine, sql, values, error) from error
    finally:
        try:
            if pooled.is_valid:
                driver.autocommit = False  # as the pool and the session expect it back
        except dbapi.Error as error:  # the connection broke: not back into the pool
            pooled.invalidate(error)
        pooled.close()


def run_in_transaction(session, statement, params: dict | list[dict]):
    """``session.execute(statement, params)`` for a Core INSERT or UPDATE on Send's path, in the
    session's transaction: its first row (columns by name) if it returns rows, else None.
    A list of rows is one executemany.

    On PostgreSQL (psycopg) it runs on the session's own driver connection, compiled by
    SQLAlchemy once, as ``run_alone`` does: Send's four or five statements each cost
    SQLAlchemy's execution about twice the driver's work. It is the same transaction (the
    session commits or rolls it back), values get their Python-side defaults and bind
    processing as SQLAlchemy gives them, and errors are SQLAlchemy's (a lost connection is
    invalidated, as SQLAlchemy does), so ``IntegrityError`` and the error pages work as
    before. Core statements do not autoflush the session through ``session.execute`` either."""
    connection = session.connection()
    rows = params if isinstance(params, list) else [params]
    made = None
    if connection.dialect.driver == "psycopg" and rows:
        made = _compiled(connection.dialect, statement, tuple(rows[0]))
    if made is None or any(tuple(row) != tuple(rows[0]) for row in rows):
        result = session.execute(statement, params)
        return result.first() if result.returns_rows else None
    sql, literals, defaults, processors = made
    values = [_values(row, literals, defaults, processors) for row in rows]
    driver = connection.connection.driver_connection
    dbapi = connection.dialect.loaded_dbapi
    try:
        return _execute(driver, sql, values)
    except dbapi.Error as error:
        if connection.dialect.is_disconnect(error, driver, None):
            connection.invalidate(error)
        raise _as_sqlalchemys(connection.engine, sql, values[0], error) from error


def _execute(driver, sql: str, values: list[dict]):
    """One statement on a driver connection (several rows: one executemany); its first row
    (its columns by name), if it returns rows.

    The row comes as the driver's plain tuple, made into a named tuple whose type is made once
    per statement: psycopg's own ``namedtuple_row`` works out the columns' names again for
    every statement run, about 5% of a new draft's Continue."""
    with driver.cursor(row_factory=tuple_row) as cursor:
        if len(values) > 1:
            cursor.executemany(sql, values)
            return None
        cursor.execute(sql, values[0])
        row_type = _ROW_TYPES.get(sql)
        if row_type is None:
            row_type = _ROW_TYPES[sql] = _row_type(cursor.description)
        if row_type is _NO_ROWS:
            return None
        row = cursor.fetchone()
        return None if row is None else row_type._make(row)


_NO_ROWS = object()  # a statement that returns no rows (an INSERT or UPDATE without RETURNING)
# Each statement's row type: the SQL comes from a few statements compiled once (``_compiled``).
_ROW_TYPES: dict[str, Any] = {}


def _row_type(description):
    if not description:
        return _NO_ROWS
    return namedtuple("Row", [column.name for column in description], rename=True)


def _values(params: dict, literals, defaults, processors) -> dict:
    values = dict(params)
    values.update(literals)
    for name, default in defaults:  # as SQLAlchemy fills in a column's Python-side default
        values[name] = default.arg if default.is_scalar else default.arg(None)
    for name, process in processors:
        values[name] = process(values[name])
    return values


def _as_sqlalchemys(engine: Engine, sql: str, values: dict | None, error: Exception):
    """The exception SQLAlchemy's execution would raise for this driver error (its parameters
    hidden when the engine hides them: they are what a supporter typed)."""
    return DBAPIError.instance(
        sql,
        values,
        error,
        engine.dialect.loaded_dbapi.Error,
        hide_parameters=engine.hide_parameters,
        dialect=engine.dialect,
    )


@lru_cache(maxsize=64)
def _compiled(dialect, statement, names: tuple[str, ...]) -> tuple | None:
    """The SQL of an INSERT or UPDATE (or a SELECT whose writes are in its WITH: ``first_send``)
    given values for ``names``; the statement's own values
    (literals in it, like a status it compares with); the Python-side defaults (INSERT) or
    update defaults (UPDATE) of the columns it sets that ``names`` leave out; and each value's
    bind processing (a JSON column's, for instance): as SQLAlchemy's execution would give them.
    None for any other statement, or a value only that execution can work out (a sequence, an
    SQL expression, a function of the other values)."""
    inserts = getattr(statement, "is_insert", False)
    writes = inserts or getattr(statement, "is_update", False)
    if not (writes or getattr(statement, "is_select", False)):
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    if writes and compiled.implicit_returning:
        # An INSERT without RETURNING of its own, which SQLAlchemy would make return the new
        # primary key for ``inserted_primary_key``: nobody here reads it.
        statement = statement.inline()
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
    prefetched = {column.key for column in compiled.insert_prefetch + compiled.update_prefetch}
    literals, defaults = [], []
    for name, value in compiled.params.items():
        if name in names:
            continue
        if name in prefetched:
            column = statement.table.c[name]
            default = column.default if inserts else column.onupdate
            if default is None or not (default.is_scalar or _takes_no_values(default)):
                return None
            defaults.append((name, default))
        elif compiled.binds[name].callable is None and not compiled.binds[name].required:
            literals.append((name, value))
        else:
            return None
    processors = []
    for name in compiled.params:
        kind = compiled.binds[name].type.dialect_impl(dialect)
        process = kind.bind_processor(dialect)
        if process is not None:
            processors.append((name, process))
    return str(compiled), tuple(literals), tuple(defaults), tuple(processors)


def _takes_no_values(default) -> bool:
    """A callable default written without arguments (``default=utcnow``): SQLAlchemy wraps it
    to take the execution context, which it then ignores."""
    if not default.is_callable:
        return False
    try:
        default.arg(None)
    except Exception:  # it wanted the context after all
        return False
    return True


@lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    """The same engine and pool, each connection taken in autocommit mode (the pool gives it
    back its usual isolation level when it is returned)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")
