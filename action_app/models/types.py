"""Column types and helpers shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Naive UTC: every timestamp in the database is stored this way, on both engines."""
    return datetime.now(UTC).replace(tzinfo=None)
