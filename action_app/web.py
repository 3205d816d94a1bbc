"""Site-wide web behaviour: security headers, friendly error pages, and template helpers."""

from __future__ import annotations

import json
import logging

import sqlalchemy.exc
from flask import Flask, current_app, g, render_template, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from action_app.config import SERVICE_NAME
from action_app.extensions import db
from action_app.formatting import thousands, uk_date, uk_datetime
from action_app.services.letter_templates import TemplateFailed
from action_app.services.parked_drafts import ParkedUnavailable

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self'",
        "style-src 'self'",
        "script-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class SessionJSON(TaggedJSONSerializer):
    """Flask's session serializer, with a shorter way for a session that is plain JSON.

    Flask tags every value in the session so that tuples, bytes, dates and the like survive the
    cookie: it asks each of its eight tags about every value, on every request, both ways.
    That was about half of reading and writing the cookie, which a new letter's Continue does
    on every request. Our sessions hold strings, numbers, booleans, lists and dicts only, so:

    - writing: a value made only of those (with no dict that a tag would mistake for its own)
      is written straight by the json module, with the app's own JSON settings; the text is
      exactly what Flask's serializer writes. Anything else goes through Flask's tagging.
    - reading: a tagged value is always a one-key object whose key starts with a space, so its
      text has an object that begins ``{" ``. A cookie without that (inside a string a quote
      is always escaped) has no tag in it, and the json module's reading is Flask's result."""

    def dumps(self, value) -> str:
        if _plain(value, self.tags):
            provider = current_app.json
            return json.dumps(
                value,
                separators=(",", ":"),
                sort_keys=getattr(provider, "sort_keys", True),
                ensure_ascii=getattr(provider, "ensure_ascii", True),
            )
        return super().dumps(value)

    def loads(self, value: str):
        if '{" ' not in value:
            return json.loads(value)
        return super().loads(value)


_JSON_SCALARS = (str, int, float, bool, type(None))


def _plain(value, tags) -> bool:
    """Strings, numbers, booleans, None, lists and str-keyed dicts, all the way down, with no
    one-key dict whose key a tag owns (those Flask marks as its own)."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is list:
        return all(_plain(item, tags) for item in value)
    if kind is dict:
        if len(value) == 1 and next(iter(value)) in tags:
            return False
        return all(type(key) is str and _plain(item, tags) for key, item in value.items())
    return False


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookies, with the signing serializer made once for each set of
    keys rather than twice a request: making one serializes ``{}`` to learn that it makes
    text, which cost about 6% of the postcode page's CPU. A new ``SECRET_KEY`` or fallback list
    is seen at the next request. The payload is written and read by ``SessionJSON``."""

    serializer = SessionJSON()
    _made: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._made
        if made is None or made[0] != keys:
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def init_app(app: Flask) -> None:
    """Security headers, error pages and template filters, for every blueprint."""
    app.session_interface = SessionCookies()
    headers = SECURITY_HEADERS + ((HSTS,) if app.config["SETTINGS"].served_over_https else ())
    app.config["SECURITY_HEADERS"] = headers
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, _database_unavailable)
    app.register_error_handler(TemplateFailed, _letter_cannot_be_written)
    app.register_error_handler(ParkedUnavailable, _database_unavailable)
    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.filters["thousands"] = thousands
    app.jinja_env.globals["service_name"] = SERVICE_NAME
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from action_app.public import template_helpers

    template_helpers.init_app(app)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _security_headers(response):
    # Appended, not set-if-missing: no view sets these, and werkzeug looks a missing header
    # up by raising an exception, which on every response costs more than the rest of this.
    # HSTS goes with every answer when the public address is https, whatever scheme reached
    # this process: behind a TLS-terminating proxy every request arrives here as plain http.
    own = getattr(response, "security_headers", None)
    if own is not None:
        # A view may give its own (the stats charts, SVG images with inline styles, do).
        response.headers.extend(own)
        response.headers.extend(h for h in current_app.config["SECURITY_HEADERS"] if h == HSTS)
        return response
    policy = g.get("page_policy")
    if policy is None:
        response.headers.extend(current_app.config["SECURITY_HEADERS"])
        return response
    response.headers.extend(
        (name, policy.csp() if name == "Content-Security-Policy" else value)
        for name, value in current_app.config["SECURITY_HEADERS"]
        if not (name == "X-Frame-Options" and policy.frame_ancestors)
    )
    return response


def _http_error(error: HTTPException):
    if isinstance(error, CSRFError):
        # Forms where much is typed (the public letter forms, staff/form_tokens.py) handle an
        # expired token themselves and keep what was typed; this is the last resort.
        return render_template("errors/expired.html"), 400
    code = error.code or 500
    template = {404: "errors/not_found.html", 413: "errors/too_large.html"}.get(code)
    if template is None:
        template = "errors/general.html"
    return render_template(template, error=error), code


# The database restarting, unreachable, or every pooled connection busy: the request can be
# retried, and nothing it was doing was committed.
DATABASE_UNAVAILABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                        sqlalchemy.exc.TimeoutError)  # fmt: skip
RETRY_AFTER_SECONDS = 30


def _database_unavailable(error: Exception):
    """The database, or Redis where a new draft is parked (``parked_drafts``), cannot be
    reached: the same page, as the supporter need do the same thing."""
    what = "Redis (parked drafts)" if isinstance(error, ParkedUnavailable) else "Database"
    log.warning("%s unavailable on %s %s: %s", what, request.method, request.path, error)
    try:
        db.session.rollback()
    except sqlalchemy.exc.SQLAlchemyError:
        db.session.close()
    if request.path.startswith("/api/"):
        body = {"error": "temporarily unavailable, try again", "retry_after": RETRY_AFTER_SECONDS}
    else:
        body = render_template("errors/unavailable.html")
    response = current_app.make_response((body, 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _letter_cannot_be_written(error: Exception):
    """A campaign's letter template failed for this MP or supporter (staff can fix it in the
    editor; the log says which): the page says it is the letter's fault, not the visitor's."""
    log.error("A campaign's letter could not be written on %s %s: %s", request.method,
              request.path, error)  # fmt: skip
    db.session.rollback()
    response = current_app.make_response((render_template("errors/letter_unavailable.html"), 503))
    response.headers["Cache-Control"] = "no-store"
    return response


def _unexpected_error(error: Exception):
    log.exception("Unexpected error on %s %s", request.method, request.path)
    return render_template("errors/server.html"), 500
