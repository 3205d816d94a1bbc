"""The public journey's second pass: campaign goal, share image and framing sites; who sent a
letter (the platform, or the supporter by email or by post); MPs' photos, served by us

Revision ID: 0009
Revises: 0002
Create Date: 2026-11-30

"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0002"
branch_labels = None
depends_on = None

SENT_BY = "sent_by IS NULL OR sent_by IN ('supporter_email', 'supporter_post')"


def upgrade():
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("goal", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("share_image_url", sa.String(length=500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("embed_origins", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("sent_by", sa.String(length=16), nullable=True))
        batch.create_check_constraint(op.f("ck_actions_sent_by"), SENT_BY)
    op.create_table(
        "member_photos",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("source_url", sa.String(length=300), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_photos_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_photos")),
    )


def downgrade():
    op.drop_table("member_photos")
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint(op.f("ck_actions_sent_by"), type_="check")
        batch.drop_column("sent_by")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("embed_origins")
        batch.drop_column("share_image_url")
        batch.drop_column("goal")
