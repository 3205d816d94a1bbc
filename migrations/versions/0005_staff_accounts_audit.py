"""Staff accounts, organisers' campaigns, the audit log, MP email overrides, and campaign
subject lines, alternative letter and reopening time

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30

Outbound messages may also be held (for a person to look at) and rejected: the status CHECK of
0003 (a constraint on PostgreSQL, triggers on SQLite) is made again with the two new values.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
NEW_COLUMNS = (
    ('campaigns', sa.Column('subject_alternatives', JSON_DOC, nullable=False, server_default='[]')),
    ('campaigns', sa.Column('alternative', JSON_DOC, nullable=False, server_default='{}')),
    ('campaigns', sa.Column('reopens_at', sa.DateTime(), nullable=True)),
    ('members', sa.Column('email_override', sa.String(length=254), nullable=True)),
    ('members', sa.Column('email_override_note', sa.Text(), nullable=True)),
)
MESSAGE_STATUSES_BEFORE = ("pending", "sending", "sent", "failed")
MESSAGE_STATUSES_AFTER = (*MESSAGE_STATUSES_BEFORE, "held", "rejected")


def _message_status_check(values) -> None:
    """Replace the CHECK on outbound_messages.status (kept as 0003 made it, per engine)."""
    listed = ", ".join(f"'{value}'" for value in values)
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_outbound_messages_status_{event}")
            op.execute(
                f"CREATE TRIGGER ck_outbound_messages_status_{event} "
                f"BEFORE {event.upper()} ON outbound_messages "
                f"WHEN NEW.status NOT IN ({listed}) "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: "
                "ck_outbound_messages_status'); END"
            )
    else:
        op.drop_constraint(op.f("ck_outbound_messages_status"), "outbound_messages", type_="check")
        op.create_check_constraint("status", "outbound_messages", f"status IN ({listed})")


def upgrade():
    _message_status_check(MESSAGE_STATUSES_AFTER)
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_enabled', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('recovery_codes', JSON_DOC, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'editor', 'organiser')", name=op.f('ck_staff_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email'))
    )
    op.create_table('staff_campaign_access',
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_staff_campaign_access_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_staff_campaign_access_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_user_id', 'campaign_id', name=op.f('pk_staff_campaign_access'))
    )
    op.create_table('staff_audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=False),
    sa.Column('details', JSON_DOC, nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_users.id'], name=op.f('fk_staff_audit_events_actor_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit_events'))
    )
    op.create_index('ix_staff_audit_events_action_created', 'staff_audit_events', ['action', 'created_at'], unique=False)
    op.create_index('ix_staff_audit_events_created', 'staff_audit_events', ['created_at'], unique=False)
    # Plain ADD COLUMN, never a batch rebuild: on SQLite, rebuilding campaigns or members (which
    # letters point at) would, with foreign keys on, delete or break the rows pointing at them.
    for table, column in NEW_COLUMNS:
        op.add_column(table, column)


def downgrade():
    # Held and rejected messages become failed ones, which the older code knows.
    op.execute(
        "UPDATE outbound_messages SET status = 'failed' WHERE status IN ('held', 'rejected')"
    )
    _message_status_check(MESSAGE_STATUSES_BEFORE)
    for table, column in reversed(NEW_COLUMNS):
        # SQLite 3.35+ drops a plain column in place (no rebuild), as PostgreSQL does.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
    op.drop_index('ix_staff_audit_events_created', table_name='staff_audit_events')
    op.drop_index('ix_staff_audit_events_action_created', table_name='staff_audit_events')
    op.drop_table('staff_audit_events')
    op.drop_table('staff_campaign_access')
    op.drop_table('staff_users')
