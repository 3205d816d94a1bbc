"""Welsh: the language each letter was written in (its later emails come in it), and the
Welsh versions a campaign may carry of its public text, subject and letter

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30

"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

LANGUAGES = ("en", "cy")


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    # Plain ADD COLUMNs: SQLite adds them in place, so no table is rebuilt (a rebuild would
    # drop the CHECK triggers 0003 and 0009 put on campaigns and letters).
    op.add_column(
        "letters",
        sa.Column("language", sa.String(length=8), nullable=False, server_default="en"),
    )
    op.add_column(
        "campaigns", sa.Column("translations", sa.JSON(), nullable=False, server_default="{}")
    )
    listed = ", ".join(f"'{value}'" for value in LANGUAGES)
    if _is_sqlite():  # as 0003 and 0009 do: SQLite cannot add a CHECK without a rebuild
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER ck_letters_language_{event.lower()} BEFORE {event} ON letters "
                f"WHEN NEW.language NOT IN ({listed}) "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_letters_language'); END"
            )
    else:
        op.create_check_constraint("language", "letters", f"language IN ({listed})")


def downgrade():
    if _is_sqlite():
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_letters_language_{event}")
        op.execute("ALTER TABLE letters DROP COLUMN language")
        op.execute("ALTER TABLE campaigns DROP COLUMN translations")
    else:
        op.drop_constraint(op.f("ck_letters_language"), "letters", type_="check")
        op.drop_column("letters", "language")
        op.drop_column("campaigns", "translations")
