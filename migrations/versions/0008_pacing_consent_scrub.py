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
down_revision = "0007"
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
    # Opt-ins are kept in opt_in_records (0006), with the exact words and the time.


def downgrade():
    with op.batch_alter_table('letters', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('scrubbed_at')
        batch_op.drop_column('consent_version')
    with op.batch_alter_table('campaigns', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('sending_hours')
        batch_op.drop_column('letters_per_mp_per_hour')
