"""Stats counters, reply checks, opt-in records, API tokens; the campaign's reply delay

Revision ID: 0006
Revises: 0003, 0005 (joins the letters rename and the staff accounts)
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('stats_counters',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('bucket', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=24), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_stats_counters_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'dimension', 'bucket', 'metric', name=op.f('pk_stats_counters'))
    )
    op.create_table('reply_checks',
    sa.Column('id', BigId, nullable=False),
    sa.Column('letter_id', BigId, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('constituency_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('letter_sent_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('asked_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('opted_out', 'waiting', 'due', 'sending', 'asked')", name=op.f('ck_reply_checks_status')),
    sa.CheckConstraint("answer IS NULL OR answer IN ('replied', 'not_yet', 'acknowledgement')", name=op.f('ck_reply_checks_answer')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_reply_checks_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_reply_checks_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_checks')),
    sa.UniqueConstraint('letter_id', name=op.f('uq_reply_checks_letter_id'))
    )
    with op.batch_alter_table('reply_checks', schema=None) as batch_op:
        batch_op.create_index('ix_reply_checks_due', ['status', 'campaign_id', 'letter_sent_at'], unique=False)

    op.create_table('opt_in_records',
    sa.Column('id', BigId, nullable=False),
    sa.Column('letter_id', BigId, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=64), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('opted_in_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_opt_in_records_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_opt_in_records_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_in_records'))
    )
    with op.batch_alter_table('opt_in_records', schema=None) as batch_op:
        batch_op.create_index('ix_opt_in_records_campaign_org', ['campaign_id', 'organisation', 'id'], unique=False)
        batch_op.create_index('uq_opt_in_records_letter_org', ['letter_id', 'organisation'], unique=True)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_api_tokens_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_check_days', sa.Integer(), server_default='14', nullable=False))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Not batch mode: rebuilding campaigns would drop the table, and with foreign keys on
        # SQLite deletes every letter with it (ON DELETE CASCADE). SQLite 3.35+ drops a column.
        op.execute('ALTER TABLE campaigns DROP COLUMN reply_check_days')
    else:
        op.drop_column('campaigns', 'reply_check_days')
    op.drop_table('api_tokens')
    with op.batch_alter_table('opt_in_records', schema=None) as batch_op:
        batch_op.drop_index('uq_opt_in_records_letter_org')
        batch_op.drop_index('ix_opt_in_records_campaign_org')
    op.drop_table('opt_in_records')
    with op.batch_alter_table('reply_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_reply_checks_due')
    op.drop_table('reply_checks')
    op.drop_table('stats_counters')
