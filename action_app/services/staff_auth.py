"""Staff accounts: passwords (argon2id), creating people, signing in with brute-force limits,
and ending every session of a person at once."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign, StaffRole, StaffUser
from action_app.models.types import utcnow
from action_app.services import audit

PASSWORD_MIN = 12
PASSWORD_MAX = 256
# Defaults; the app config can change them (STAFF_SIGN_IN_*).
LIMIT_WINDOW_MINUTES = 15
LIMIT_PER_ACCOUNT = 10
LIMIT_PER_ADDRESS = 50

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def _unmatchable_hash(hasher: PasswordHasher) -> str:
    """A well-formed argon2 hash with this hasher's parameters that no password matches: a
    random salt and digest in argon2's encoded form. Checking a password against it costs
    what checking one against an account's hash costs, and making it costs nothing (hashing
    would hold 64 MiB, the parameters' memory, in every web and worker process at start)."""

    def encoded(size: int) -> str:
        return base64.b64encode(secrets.token_bytes(size)).decode().rstrip("=")

    return (
        f"$argon2{hasher.type.name.lower()}$v={ARGON2_VERSION}"
        f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${encoded(hasher.salt_len)}${encoded(hasher.hash_len)}"
    )


# Checked against when no account can match (an unknown or disabled address, an invitation not
# yet taken up), so those take as long as a wrong password for a real account.
_UNMATCHABLE_HASH = _unmatchable_hash(_hasher)


class StaffError(ValueError):
    """A request about staff accounts that cannot be done; the message says why."""


@dataclass
class SignInOutcome:
    user: StaffUser | None
    problem: str | None = None
    limited: bool = False


def normalise_email(value: str) -> str:
    """The one spelling of an address: checked, domain and local part lower-cased."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise StaffError(
            "Enter an email address in the correct format, like name@example.org"
        ) from None


def password_problem(password: str) -> str | None:
    """Why a new password will not do, or None. Length is the only rule (NIST SP 800-63B)."""
    if len(password or "") < PASSWORD_MIN:
        return f"Password must be {PASSWORD_MIN} characters or more"
    if len(password) > PASSWORD_MAX:
        return f"Password must be {PASSWORD_MAX} characters or fewer"
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def find_staff(email: str) -> StaffUser | None:
    """The account for an address, however it was typed."""
    try:
        key = normalise_email(email)
    except StaffError:
        return None
    return db.session.scalar(select(StaffUser).where(StaffUser.email == key))


def create_staff(
    email: str,
    role: str,
    password: str | None = None,
    *,
    name: str = "",
    campaigns: Iterable[Campaign] = (),
) -> StaffUser:
    """A new account. Without a password it waits for the person to choose one (invitation)."""
    key = normalise_email(email)
    try:
        role = StaffRole(role)
    except ValueError:
        raise StaffError(f"Role must be one of {', '.join(StaffRole)}") from None
    if find_staff(key) is not None:
        raise StaffError(f"There is already an account for {key}")
    if password is not None and (problem := password_problem(password)):
        raise StaffError(problem)
    user = StaffUser(
        email=key,
        name=name.strip()[:200],
        role=role.value,
        is_active=True,
        session_version=1,
        totp_enabled=False,
        recovery_codes=[],
        password_hash=hash_password(password) if password is not None else None,
    )
    user.campaigns = list(campaigns)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: StaffUser, password: str) -> None:
    """Change the password; every session of the person ends (other browsers sign in again)."""
    if problem := password_problem(password):
        raise StaffError(problem)
    user.password_hash = hash_password(password)
    end_sessions(user)
    audit.record("password_changed", user.email, actor=user)


def end_sessions(user: StaffUser) -> None:
    """Every session cookie of this person stops working at its next request."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def address_key(email: str) -> str:
    """The address as typed, in the one spelling accounts are kept under where it is a valid
    address (lower-cased and trimmed otherwise): what limits and the audit log count by."""
    try:
        return normalise_email(email)
    except StaffError:
        return (email or "").strip().lower()[:254]


def authenticate(email: str, password: str) -> SignInOutcome:
    """Check an email and password, within the brute-force limits, and log the attempt."""
    key = address_key(email)
    if is_limited(key):
        return SignInOutcome(None, limited_message(), limited=True)
    user = find_staff(key)
    if _password_matches(user, password or ""):
        return SignInOutcome(user)
    audit.record("sign_in_failed", key, actor_email=key)
    return SignInOutcome(None, "Enter a correct email address and password")


def signed_in(user: StaffUser) -> None:
    """Record a completed sign-in (after the second factor, where there is one)."""
    user.last_sign_in_at = utcnow()
    audit.record("sign_in", user.email, actor=user)


def _password_matches(user: StaffUser | None, password: str) -> bool:
    if user is None or not user.is_active or not user.password_hash:
        _check(_UNMATCHABLE_HASH, password)  # as long as a wrong password takes
        return False
    if not _check(user.password_hash, password):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def _check(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _window_minutes() -> int:
    return int(current_app.config.get("STAFF_SIGN_IN_WINDOW_MINUTES", LIMIT_WINDOW_MINUTES))


def limited_message() -> str:
    """What a person who has hit a limit is told."""
    return (
        f"Too many failed attempts to sign in. Wait {_window_minutes()} minutes, then try "
        "again, or reset your password."
    )


def is_limited(key: str) -> bool:
    """Whether this account, or the client's address, has failed too often lately."""
    since = utcnow() - timedelta(minutes=_window_minutes())
    config = current_app.config
    per_account = int(config.get("STAFF_SIGN_IN_LIMIT_PER_ACCOUNT", LIMIT_PER_ACCOUNT))
    per_address = int(config.get("STAFF_SIGN_IN_LIMIT_PER_ADDRESS", LIMIT_PER_ADDRESS))
    if audit.count_since("sign_in_failed", since, subject=key) >= per_account:
        return True
    address = audit.client_address()
    return bool(address) and (
        audit.count_since("sign_in_failed", since, address=address) >= per_address
    )


RESETS_PER_HOUR = 3


def too_many_resets(email: str) -> bool:
    """Whether this address has asked for enough reset links this hour (no more inbox floods)."""
    since = utcnow() - timedelta(hours=1)
    return audit.count_since("password_reset_requested", since, subject=email) >= RESETS_PER_HOUR
