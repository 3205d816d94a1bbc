"""Pacing per campaign, the consent version and scrub time of each letter, opt-in records

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None

JsonDocument = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
# Columns are added and dropped in place (SQLite 3.35+ drops them natively): copying the
# campaigns or letters table would cascade-delete every row that refers to it on SQLite.


def upgrade():
    with op.batch_alter_table('campaigns', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('letters_per_mp_per_hour', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sending_hours', JsonDocument, nullable=True))
    with op.batch_alter_table('letters', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('scrubbed_at', sa.DateTime(), nullable=True))
    op.create_table('opt_in_records',
    sa.Column('id', BigId, nullable=False),
    sa.Column('letter_id', BigId, nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('organisation_slug', sa.String(length=64), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('wording', sa.Text(), nullable=False),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_opt_in_records_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_opt_in_records_letter_id_letters'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_in_records'))
    )
    with op.batch_alter_table('opt_in_records', schema=None) as batch_op:
        batch_op.create_index('ix_opt_in_records_letter', ['letter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('opt_in_records', schema=None) as batch_op:
        batch_op.drop_index('ix_opt_in_records_letter')
    op.drop_table('opt_in_records')
    with op.batch_alter_table('letters', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('scrubbed_at')
        batch_op.drop_column('consent_version')
    with op.batch_alter_table('campaigns', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('sending_hours')
        batch_op.drop_column('letters_per_mp_per_hour')
