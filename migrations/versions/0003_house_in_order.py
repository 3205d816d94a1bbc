"""Letters, not actions; CHECK constraints on every status and kind

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

The model the pages and documents call a letter was stored as ``actions``: the table becomes
``letters`` and ``outbound_messages.action_id`` becomes ``letter_id``, with every index and
constraint renamed to match. Each status and kind column gets a constraint, so the database
refuses a value the code does not know (see action_app/models/statuses.py).

PostgreSQL renames in place and adds real CHECK constraints. SQLite renames the table and the
column in place too, but cannot add a CHECK to an existing table without rebuilding it, and
rebuilding a table other tables point at would, with foreign keys on, cascade-delete their rows:
there, triggers refuse the same values instead.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column, allowed values): kept here, not imported, so this migration stays as written.
CHECKS = (
    ("letters", "status", ("draft", "awaiting_confirmation", "confirmed")),
    ("outbound_messages", "status", ("pending", "sending", "sent", "failed")),
    ("outbound_messages", "kind", ("mp", "receipt", "confirmation", "failure_notice")),
    ("campaigns", "status", ("draft", "live", "paused", "closed")),
)

# Old name → new name, on PostgreSQL (SQLite indexes are dropped and made again).
PG_CONSTRAINTS = (
    ("letters", "pk_actions", "pk_letters"),
    ("letters", "uq_actions_form_token", "uq_letters_form_token"),
    ("letters", "uq_actions_public_id", "uq_letters_public_id"),
    ("letters", "fk_actions_campaign_id_campaigns", "fk_letters_campaign_id_campaigns"),
    (
        "letters",
        "fk_actions_constituency_id_constituencies",
        "fk_letters_constituency_id_constituencies",
    ),
    ("letters", "fk_actions_member_id_members", "fk_letters_member_id_members"),
    (
        "outbound_messages",
        "fk_outbound_messages_action_id_actions",
        "fk_outbound_messages_letter_id_letters",
    ),
)
PG_INDEXES = (
    ("ix_actions_campaign_status", "ix_letters_campaign_status"),
    ("ix_actions_status_created", "ix_letters_status_created"),
    ("uq_actions_one_per_supporter", "uq_letters_one_per_supporter"),
    ("ix_outbound_messages_action", "ix_outbound_messages_letter"),
)

# name, table, columns, unique, partial (WHERE)
SQLITE_INDEXES = (
    ("{t}_campaign_status", "campaign_id, status", False, None),
    ("{t}_status_created", "status, created_at", False, None),
    ("{t}_one_per_supporter", "campaign_id, recipient_key, email_key", True, "status <> 'draft'"),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _in_list(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade():
    if _is_sqlite():
        _sqlite_rename("actions", "letters", "action_id", "letter_id")
        _sqlite_checks_add()
    else:
        _pg_rename(forward=True)
        for table, column, values in CHECKS:
            op.create_check_constraint(column, table, f"{column} IN ({_in_list(values)})")


def downgrade():
    if _is_sqlite():
        _sqlite_checks_drop()
        _sqlite_rename("letters", "actions", "letter_id", "action_id")
    else:
        for table, column, _values in CHECKS:
            op.drop_constraint(op.f(f"ck_{table}_{column}"), table, type_="check")
        _pg_rename(forward=False)


def _pg_rename(forward: bool) -> None:
    def pick(old, new):
        return (old, new) if forward else (new, old)

    if forward:
        op.rename_table("actions", "letters")
        op.execute("ALTER SEQUENCE actions_id_seq RENAME TO letters_id_seq")
        op.alter_column("outbound_messages", "action_id", new_column_name="letter_id")
    # The table is called letters while its constraints are renamed, either way.
    for table, old, new in PG_CONSTRAINTS:
        source, target = pick(old, new)
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {source} TO {target}")
    for old, new in PG_INDEXES:
        source, target = pick(old, new)
        op.execute(f"ALTER INDEX {source} RENAME TO {target}")
    if not forward:
        op.alter_column("outbound_messages", "letter_id", new_column_name="action_id")
        op.execute("ALTER SEQUENCE letters_id_seq RENAME TO actions_id_seq")
        op.rename_table("letters", "actions")


def _sqlite_rename(old_table: str, new_table: str, old_column: str, new_column: str) -> None:
    # ALTER TABLE … RENAME rewrites the foreign keys of outbound_messages to follow.
    for pattern, _columns, _unique, _where in SQLITE_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {_index_name(pattern, old_table)}")
    op.execute(f"DROP INDEX IF EXISTS ix_outbound_messages_{old_table[:-1]}")
    op.execute(f"ALTER TABLE {old_table} RENAME TO {new_table}")
    op.execute(f"ALTER TABLE outbound_messages RENAME COLUMN {old_column} TO {new_column}")
    for pattern, columns, unique, where in SQLITE_INDEXES:
        op.execute(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {_index_name(pattern, new_table)} "
            f"ON {new_table} ({columns})" + (f" WHERE {where}" if where else "")
        )
    op.execute(
        f"CREATE INDEX ix_outbound_messages_{new_table[:-1]} ON outbound_messages ({new_column})"
    )


def _index_name(pattern: str, table: str) -> str:
    name = pattern.format(t=table)
    return ("uq_" if name.endswith("one_per_supporter") else "ix_") + name


def _sqlite_checks_add() -> None:
    for table, column, values in CHECKS:
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER ck_{table}_{column}_{event.lower()} "
                f"BEFORE {event} ON {table} "
                f"WHEN NEW.{column} NOT IN ({_in_list(values)}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_{table}_{column}'); END"
            )


def _sqlite_checks_drop() -> None:
    for table, column, _values in CHECKS:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_{table}_{column}_{event}")
