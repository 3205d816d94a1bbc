"""Held letters, seat checks and per-campaign letter safeguards

A letter now records how its seat was decided (``seat_check``), why it is held
(``hold_reason``) and a fingerprint of its text (``body_hash``, to find identical letters to
one MP). Only letters that are confirmed count towards one letter per supporter: a letter
awaiting confirmation, held, withdrawn or rejected never blocks the address's real owner.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_PREDICATE = "status <> 'draft'"
NEW_PREDICATE = "status = 'confirmed'"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seat_check', sa.String(length=16), nullable=False, server_default='postcode'))
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('body_hash', sa.String(length=64), nullable=True))
        batch_op.drop_index('uq_actions_one_per_supporter', postgresql_where=sa.text(OLD_PREDICATE), sqlite_where=sa.text(OLD_PREDICATE))
        batch_op.create_index('uq_actions_one_per_supporter', ['campaign_id', 'recipient_key', 'email_key'], unique=True, postgresql_where=sa.text(NEW_PREDICATE), sqlite_where=sa.text(NEW_PREDICATE))
        batch_op.create_index('ix_actions_same_letter', ['campaign_id', 'recipient_key', 'body_hash'], unique=False)
        batch_op.create_index('ix_actions_email_key', ['email_key', 'campaign_id'], unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safeguards', JSON, nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('safeguards')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_email_key')
        batch_op.drop_index('ix_actions_same_letter')
        batch_op.drop_index('uq_actions_one_per_supporter', postgresql_where=sa.text(NEW_PREDICATE), sqlite_where=sa.text(NEW_PREDICATE))
        batch_op.create_index('uq_actions_one_per_supporter', ['campaign_id', 'recipient_key', 'email_key'], unique=True, postgresql_where=sa.text(OLD_PREDICATE), sqlite_where=sa.text(OLD_PREDICATE))
        batch_op.drop_column('body_hash')
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('seat_check')
