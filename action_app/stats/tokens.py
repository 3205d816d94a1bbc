"""Stats API tokens: issued to one organiser by an admin, shown once, kept only as a hash.

A token is 32 random bytes, so a plain SHA-256 is enough to keep it safe at rest (a slow hash
guards guessable passwords, not random keys) and lets a request find its token by one indexed
lookup. Revoking stamps the row; a revoked token never authenticates again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import ApiToken
from action_app.models.types import utcnow

PREFIX = "mpstats_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(staff_user_id: int, label: str, created_by: str) -> tuple[ApiToken, str]:
    """A new token for this staff member; the plain token is returned once and never kept."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        staff_user_id=staff_user_id,
        label=label.strip()[:100] or "API token",
        token_hash=_digest(plain),
        prefix=plain[: len(PREFIX) + 4],
        created_by=created_by,
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_token(token_id: int) -> bool:
    """Stop a token working; True if it was live until now."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    return True


def token_from_header(header: str | None) -> ApiToken | None:
    """The live token an ``Authorization: Bearer …`` header carries, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    plain = header[len("Bearer ") :].strip()
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    digest = _digest(plain)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None:
        return None
    return token if hmac.compare_digest(token.token_hash, digest) else None


def list_tokens() -> list[ApiToken]:
    """Every token, newest first, for the admins' page."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))
