"""Held letters, seat checks and per-campaign letter safeguards

A letter now records how its seat was decided (``seat_check``), why it is held
(``hold_reason``) and a fingerprint of its words (``body_hash``, to find identical letters to
one MP). Only letters that are confirmed count towards one letter per supporter: a letter
awaiting confirmation, held, withdrawn or rejected never blocks the address's real owner. The
status and kind constraints of 0003 take the new values (held, withdrawn, rejected; held and
cancelled messages; seat_mismatch, address_used and disowned emails).

Like 0003, PostgreSQL gets real CHECK constraints and SQLite triggers (SQLite cannot add a
CHECK to a table without rebuilding it, and rebuilding ``letters`` would cascade-delete its
messages). Columns and indexes are added in place on both, never by a rebuild.

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD_PREDICATE = "status <> 'draft'"
NEW_PREDICATE = "status = 'confirmed'"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

# (table, column, values before, values after): written out, so the migration stays as it is.
CHECKS = (
    (
        "letters", "status",
        ("draft", "awaiting_confirmation", "confirmed"),
        ("draft", "awaiting_confirmation", "confirmed", "held", "withdrawn", "rejected"),
    ),
    (
        "outbound_messages", "status",
        # 0005 (staff outbox) already allows held and rejected.
        ("pending", "sending", "sent", "failed", "held", "rejected"),
        ("pending", "sending", "sent", "failed", "held", "rejected", "cancelled"),
    ),
    (
        "outbound_messages", "kind",
        ("mp", "receipt", "confirmation", "failure_notice"),
        ("mp", "receipt", "confirmation", "failure_notice", "seat_mismatch", "address_used",
         "disowned"),
    ),
    (
        "letters", "seat_check",
        None,
        ("postcode", "pending", "matched", "mismatch", "unchecked"),
    ),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _in_list(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _set_check(table: str, column: str, values) -> None:
    """Replace the constraint on table.column by one allowing ``values`` (None: none)."""
    if _is_sqlite():
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_{table}_{column}_{event}")
        if values is None:
            return
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER ck_{table}_{column}_{event.lower()} "
                f"BEFORE {event} ON {table} "
                f"WHEN NEW.{column} NOT IN ({_in_list(values)}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_{table}_{column}'); END"
            )
        return
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS ck_{table}_{column}")
    if values is not None:
        op.create_check_constraint(column, table, f"{column} IN ({_in_list(values)})")


def _one_per_supporter(predicate: str) -> None:
    op.drop_index('uq_letters_one_per_supporter', table_name='letters')
    op.create_index(
        'uq_letters_one_per_supporter', 'letters', ['campaign_id', 'recipient_key', 'email_key'],
        unique=True, postgresql_where=sa.text(predicate), sqlite_where=sa.text(predicate),
    )


def upgrade():
    op.add_column('letters', sa.Column('seat_check', sa.String(length=16), nullable=False, server_default='postcode'))
    op.add_column('letters', sa.Column('hold_reason', sa.String(length=300), nullable=True))
    op.add_column('letters', sa.Column('body_hash', sa.String(length=64), nullable=True))
    op.add_column('campaigns', sa.Column('safeguards', JSON, nullable=False, server_default='{}'))
    _one_per_supporter(NEW_PREDICATE)
    op.create_index('ix_letters_same_letter', 'letters', ['campaign_id', 'recipient_key', 'body_hash'])
    op.create_index('ix_letters_email_key', 'letters', ['email_key', 'campaign_id'])
    for table, column, _before, after in CHECKS:
        _set_check(table, column, after)


def downgrade():
    # Cancelled messages become failed ones, which the older code knows.
    op.execute("UPDATE outbound_messages SET status = 'failed' WHERE status = 'cancelled'")
    for table, column, before, _after in CHECKS:
        _set_check(table, column, before)
    op.drop_index('ix_letters_email_key', table_name='letters')
    op.drop_index('ix_letters_same_letter', table_name='letters')
    _one_per_supporter(OLD_PREDICATE)
    with op.batch_alter_table('campaigns', recreate='never') as batch_op:
        batch_op.drop_column('safeguards')
    with op.batch_alter_table('letters', recreate='never') as batch_op:
        batch_op.drop_column('body_hash')
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('seat_check')
