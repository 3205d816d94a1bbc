"""The public journey's second pass: campaign goal, share image and framing sites; who sent a
letter (the platform, or the supporter by email or by post); MPs' photos, served by us

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-30

"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

SENT_BY = ("supporter_email", "supporter_post")


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _in_list() -> str:
    return ", ".join(f"'{value}'" for value in SENT_BY)


def upgrade():
    # Plain ADD COLUMNs: SQLite adds them in place, so no table is rebuilt (a rebuild would
    # drop the CHECK triggers 0003 put on campaigns and letters).
    op.add_column("campaigns", sa.Column("goal", sa.Integer(), nullable=True))
    op.add_column(
        "campaigns",
        sa.Column("share_image_url", sa.String(length=500), nullable=False, server_default=""),
    )
    op.add_column(
        "campaigns", sa.Column("embed_origins", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column("letters", sa.Column("sent_by", sa.String(length=16), nullable=True))
    if _is_sqlite():  # as 0003 does: SQLite cannot add a CHECK without a rebuild
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER ck_letters_sent_by_{event.lower()} BEFORE {event} ON letters "
                f"WHEN NEW.sent_by IS NOT NULL AND NEW.sent_by NOT IN ({_in_list()}) "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_letters_sent_by'); END"
            )
    else:
        op.create_check_constraint("sent_by", "letters", f"sent_by IN ({_in_list()})")
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
    if _is_sqlite():
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_letters_sent_by_{event}")
        # SQLite (3.35+) drops a column in place when nothing refers to it.
        op.execute("ALTER TABLE letters DROP COLUMN sent_by")
        for column in ("embed_origins", "share_image_url", "goal"):
            op.execute(f"ALTER TABLE campaigns DROP COLUMN {column}")
    else:
        op.drop_constraint(op.f("ck_letters_sent_by"), "letters", type_="check")
        op.drop_column("letters", "sent_by")
        for column in ("embed_origins", "share_image_url", "goal"):
            op.drop_column("campaigns", column)
