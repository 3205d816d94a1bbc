"""Staff accounts for tests: make one, and sign a test client in as it (CSRF and TOTP handled)."""

from __future__ import annotations

import time
from collections.abc import Iterable

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from action_app.extensions import db
from action_app.models import Campaign, StaffRole, StaffUser
from action_app.services.staff_auth import create_staff as _create
from tests.html import post_form

PASSWORD = "correct horse battery staple"


def create_staff(
    app: Flask,
    email: str,
    role: StaffRole | str,
    password: str = PASSWORD,
    campaigns: Iterable[Campaign | int] = (),
    totp: bool | None = None,
) -> StaffUser:
    """A committed account. Admins get a TOTP secret (they must use one) unless ``totp=False``;
    ``sign_in`` reads it to make codes."""
    with app.app_context():
        chosen = [c if isinstance(c, Campaign) else db.session.get(Campaign, c) for c in campaigns]
        chosen = [db.session.merge(c) for c in chosen if c is not None]
        user = _create(email, str(role), password, campaigns=chosen)
        if totp or (totp is None and user.role == StaffRole.ADMIN):
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled = True
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def csrf_token(client: FlaskClient, path: str = "/staff/sign-in") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    return post_form(client.get(path))["fields"]["csrf_token"]


def totp_code(app: Flask, email: str) -> str:
    """A code the account will accept now: the current one, or the next if this one has been
    used (the server takes one step either side, and each step once)."""
    with app.app_context():
        user = db.session.query(StaffUser).filter_by(email=email.lower()).one()
        totp = pyotp.TOTP(user.totp_secret)
        step = int(time.time()) // totp.interval
        if user.totp_last_step is not None and user.totp_last_step >= step:
            step = user.totp_last_step + 1
        return totp.generate_otp(step)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, follow: bool = False):
    """Sign the client in as a person, through the real pages; return the last response."""
    page = client.get("/staff/sign-in")
    form = post_form(page)
    response = client.post(
        "/staff/sign-in",
        data={"csrf_token": form["fields"]["csrf_token"], "email": email, "password": password},
    )
    if response.status_code == 302 and response.location.endswith("/staff/sign-in/code"):
        code_page = client.get("/staff/sign-in/code")
        token = post_form(code_page)["fields"]["csrf_token"]
        response = client.post(
            "/staff/sign-in/code",
            data={"csrf_token": token, "code": totp_code(client.application, email)},
        )
    if follow and response.status_code == 302:
        response = client.get(response.location)
    return response
