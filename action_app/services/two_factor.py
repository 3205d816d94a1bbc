"""The second factor: TOTP codes (RFC 6238) with a QR code drawn on the server, and one-time
recovery codes, of which only digests are kept."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import time

import pyotp
import segno

from action_app.extensions import db
from action_app.models import StaffUser
from action_app.services import audit

ISSUER = "Write to your MP"
RECOVERY_CODES = 10


def new_secret() -> str:
    """A fresh base32 secret for enrolment."""
    return pyotp.random_base32()


def provisioning_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code as an inline SVG document (no script, no outside request)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out,
        kind="svg",
        scale=5,
        xmldecl=False,
        svgns=True,
        title="QR code for your authenticator app",
    )
    svg = out.getvalue().decode("utf-8")
    # A viewBox the size it is drawn at, so CSS can shrink it to a narrow screen (WCAG 1.4.10:
    # with only width and height it kept its 285 px and the page scrolled sideways at 320 px).
    return re.sub(r'width="(\d+)" height="(\d+)"', r'\g<0> viewBox="0 0 \1 \2"', svg, count=1)


def code_matches(user: StaffUser, code: str, secret: str | None = None) -> bool:
    """Whether a 6-digit code is right now (±30 s) and not already used."""
    secret = secret or user.totp_secret
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if candidate <= (user.totp_last_step or -1):
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            user.totp_last_step = candidate
            db.session.flush()
            return True
    return False


def enable(user: StaffUser, secret: str, code: str) -> list[str] | None:
    """Turn the factor on if the code proves the app has the secret; return the recovery codes
    (to show once), or None if the code is wrong."""
    if not code_matches(user, code, secret):
        return None
    user.totp_secret = secret
    user.totp_enabled = True
    codes = _new_recovery_codes(user)
    audit.record("two_factor_enabled", user.email, actor=user)
    return codes


def use_recovery_code(user: StaffUser, code: str) -> bool:
    """Accept an unused recovery code once."""
    digest = _digest(code)
    remaining = list(user.recovery_codes or [])
    for stored in remaining:
        if hmac.compare_digest(stored, digest):
            remaining.remove(stored)
            user.recovery_codes = remaining
            audit.record(
                "recovery_code_used", user.email, actor=user, details={"remaining": len(remaining)}
            )
            return True
    return False


def _new_recovery_codes(user: StaffUser) -> list[str]:
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.recovery_codes = [_digest(code) for code in codes]
    db.session.flush()
    return codes


def _digest(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(cleaned.encode()).hexdigest()
