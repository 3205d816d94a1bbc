"""Invitations and password resets: signed links that expire and work once, sent by email.

A link names the account and its session version. Choosing a password raises the version, so the
same link cannot be used again; the signature's age limits how long it lives."""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from email.utils import format_datetime, localtime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from action_app.extensions import db
from action_app.mail import MailError
from action_app.models import StaffUser
from action_app.registry import current_registry
from action_app.services.emails import UnsafeMessage, outgoing, set_text
from action_app.services.staff_auth import StaffError, find_staff

LIFETIMES = {"invite": 7 * 24 * 3600, "reset": 3600}
WORDING = {
    "invite": (
        "You are invited to the campaign staff of {service}",
        "{inviter} has invited you to help run campaigns on {service}.\n\n"
        "Choose your password here (the link works once, within 7 days):\n{link}\n",
    ),
    "reset": (
        "Reset your password for {service}",
        "Someone (we hope you) asked to reset your password.\n\n"
        "Choose a new one here (the link works once, within an hour):\n{link}\n\n"
        "If it was not you, ignore this email: your password has not changed.\n",
    ),
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"staff-{purpose}")


def make_token(user: StaffUser, purpose: str) -> str:
    """A signed token for this account as it is now."""
    return _serializer(purpose).dumps([user.id, user.session_version])


def link_for(user: StaffUser, purpose: str) -> str:
    """The full address of a fresh link, on the site's public address (built from the route,
    so it works in a worker, outside any request)."""
    path = current_app.url_map.bind("localhost").build(
        "staff.choose_password", {"purpose": purpose, "token": make_token(user, purpose)}
    )
    return current_registry().settings.public_base_url.rstrip("/") + path


def send_reset(email: str) -> bool:
    """Email a reset link to this address if it is an active account's with a password (in a
    worker: the request that asked does the same work whoever the address belongs to)."""
    user = find_staff(email)
    if user is None or not user.is_active or not user.password_hash:
        return False
    return send_link(user, "reset", link_for(user, "reset"))


def read_token(token: str, purpose: str) -> StaffUser:
    """The account a valid, unused, unexpired token names; StaffError says what is wrong."""
    try:
        ident, version = _serializer(purpose).loads(token, max_age=LIFETIMES[purpose])
    except SignatureExpired:
        raise StaffError("This link has expired. Ask for a new one.") from None
    except (BadSignature, ValueError, TypeError):
        raise StaffError("This link is not valid. Check it was copied in full.") from None
    user = db.session.get(StaffUser, ident)
    if user is None or user.session_version != version:
        raise StaffError("This link has already been used. Ask for a new one if you need it.")
    if not user.is_active:
        raise StaffError("This account has been deactivated.")
    return user


def send_link(user: StaffUser, purpose: str, link: str, inviter: str = "") -> bool:
    """Email the link through the app's mail transport; False if the server would not take it."""
    settings = current_registry().settings
    service = current_app.jinja_env.globals.get("service_name", "the platform")
    subject, body = WORDING[purpose]
    email = EmailMessage()
    domain = settings.mail.from_address.rsplit("@", 1)[-1]
    email["Message-ID"] = f"<staff-{secrets.token_hex(12)}@{domain}>"
    email["Date"] = format_datetime(localtime())
    email["From"] = settings.mail.from_address
    email["To"] = user.email
    email["Subject"] = subject.format(service=service)
    email["Auto-Submitted"] = "auto-generated"
    set_text(email, body.format(service=service, link=link, inviter=inviter or "An admin"))
    try:
        current_registry().mail_transport.send(outgoing(email, settings.mail.from_address))
    except (MailError, UnsafeMessage) as exc:
        current_app.logger.warning(
            "Could not send the %s email to %s: %s", purpose, user.email, exc
        )
        return False
    return True
