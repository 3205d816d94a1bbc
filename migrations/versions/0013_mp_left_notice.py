"""A letter held because its MP left the seat before it went tells its supporter so: a message
kind of its own

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

"""

from alembic import op

revision = "0013"
down_revision = "0012"
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
    "copy",
    "copy_disowned",
)
KINDS_AFTER = (*KINDS_BEFORE, "mp_left")


def _set_kinds(values) -> None:
    """As 0007 and 0012 do: a trigger pair on SQLite, a CHECK constraint on PostgreSQL."""
    listed = ", ".join(f"'{value}'" for value in values)
    if op.get_bind().dialect.name == "sqlite":
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
    _set_kinds(KINDS_AFTER)


def downgrade():
    op.execute("DELETE FROM outbound_messages WHERE kind = 'mp_left'")
    _set_kinds(KINDS_BEFORE)
