"""A campaign to each supporter's MP may send a copy to one fixed recipient as well (a
minister): the letter records who gets the copy, one copy per supporter per recipient, and the
copy and its "did not send this" note are message kinds of their own

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

KINDS_BEFORE = (
    "mp",
    "receipt",
    "confirmation",
    "failure_notice",
    "seat_mismatch",
    "address_used",
    "disowned",
)
KINDS_AFTER = (*KINDS_BEFORE, "copy", "copy_disowned")
PREDICATE = "status = 'confirmed' AND copy_key IS NOT NULL"


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _set_kinds(values) -> None:
    """As 0007 does: a trigger pair on SQLite, a CHECK constraint on PostgreSQL."""
    listed = ", ".join(f"'{value}'" for value in values)
    if _is_sqlite():
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_outbound_messages_kind_{event.lower()}")
            op.execute(
                f"CREATE TRIGGER ck_outbound_messages_kind_{event.lower()} "
                f"BEFORE {event} ON outbound_messages WHEN NEW.kind NOT IN ({listed}) "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_outbound_messages_kind'); END"
            )
        return
    op.execute("ALTER TABLE outbound_messages DROP CONSTRAINT IF EXISTS ck_outbound_messages_kind")
    op.create_check_constraint("kind", "outbound_messages", f"kind IN ({listed})")


def upgrade():
    # Plain ADD COLUMNs: SQLite adds them in place, keeping 0003's and 0007's triggers.
    op.add_column("letters", sa.Column("copy_key", sa.String(length=300), nullable=True))
    op.add_column("letters", sa.Column("copy_name", sa.String(length=300), nullable=True))
    op.add_column("letters", sa.Column("copy_email", sa.String(length=254), nullable=True))
    op.create_index(
        "uq_letters_one_copy_per_supporter",
        "letters",
        ["campaign_id", "copy_key", "email_key"],
        unique=True,
        postgresql_where=sa.text(PREDICATE),
        sqlite_where=sa.text(PREDICATE),
    )
    _set_kinds(KINDS_AFTER)


def downgrade():
    op.execute("DELETE FROM outbound_messages WHERE kind IN ('copy', 'copy_disowned')")
    _set_kinds(KINDS_BEFORE)
    op.drop_index("uq_letters_one_copy_per_supporter", table_name="letters")
    if _is_sqlite():
        for column in ("copy_email", "copy_name", "copy_key"):
            op.execute(f"ALTER TABLE letters DROP COLUMN {column}")
    else:
        for column in ("copy_email", "copy_name", "copy_key"):
            op.drop_column("letters", column)
