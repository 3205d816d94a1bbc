"""The letter submit's floor: what the fixed stack alone costs for a POST like Continue.

Flask, Flask-WTF (a 13-field form like the letter form, with its CSRF check), Flask's signed
session cookie and a redirect, as the letter submit row's request has; then one Redis script and
then the draft's INSERT into ``letters`` (psycopg, autocommit, without waiting for the disk), each
step as its own route. None of the platform's own work is here: no seat, rate-limit keys, bot or
content checks, campaign, language or headers. ``python -m bench.floor`` runs it beside the
hello-world route and the platform's own Continue. Configured by DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

import psycopg
import redis
from flask import Flask, redirect, session
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from action_app.kv import run_script

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "floor")


class LetterLikeForm(FlaskForm):
    subject = StringField(validators=[DataRequired(), Length(max=300)])
    body_before = TextAreaField(validators=[DataRequired(), Length(max=6000)])
    personal_paragraph = TextAreaField(validators=[Optional(), Length(max=3000)])
    body_after = TextAreaField(validators=[Optional(), Length(max=6000)])
    name = StringField(validators=[DataRequired(), Length(max=100)])
    email = StringField(validators=[DataRequired(), Email(check_deliverability=False)])
    address_line_1 = StringField(validators=[DataRequired(), Length(max=100)])
    address_line_2 = StringField(validators=[Optional(), Length(max=100)])
    town = StringField(validators=[DataRequired(), Length(max=60)])
    consent = BooleanField(validators=[DataRequired()])
    opt_ins = SelectMultipleField(validators=[Optional()])
    form_token = HiddenField()
    opened = HiddenField()


# A rate limit's kind of work: one counter, incremented, with an expiry.
_HIT = "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 60) return n"
_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
_hit = _redis.register_script(_HIT)
_INSERT = """
INSERT INTO letters (public_id, form_token, campaign_id, status, recipient_key, recipient_name,
  recipient_email, supporter_name, supporter_email, email_key, address_line_1, address_line_2,
  town, postcode, subject, body_before, personal_paragraph, body_after, opt_ins, language,
  seat_check, body_hash, created_at, updated_at)
VALUES (%(public_id)s, %(form_token)s, %(campaign_id)s, 'draft', 'mp:1', 'A Member', 'a@x.example',
  %(name)s, %(email)s, %(email)s, %(address_line_1)s, %(address_line_2)s, %(town)s, 'SW1A 1AA',
  %(subject)s, %(body_before)s, %(personal_paragraph)s, %(body_after)s, '[]', 'en', 'postcode',
  %(body_hash)s, %(now)s, %(now)s)
ON CONFLICT (form_token) DO NOTHING
RETURNING public_id
"""
_database: dict = {}


def _connection() -> psycopg.Connection:
    if "connection" not in _database:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        connection = psycopg.connect(url, autocommit=True)
        connection.execute("SET synchronous_commit = off")
        _database["campaign_id"] = connection.execute("SELECT min(id) FROM campaigns").fetchone()[0]
        _database["connection"] = connection
    return _database["connection"]


@app.get("/")
def hello():
    return "Hello, world!"


@app.get("/form")
def form_page():
    """The CSRF token, for the load script (and the session cookie it belongs to)."""
    return LetterLikeForm().csrf_token._value()


def _continue(work):
    form = LetterLikeForm()
    form.opt_ins.choices = [("a", "A"), ("b", "B")]
    if not form.validate():
        return str(form.errors), 400
    public_id = work(form) or secrets.token_urlsafe(16)
    session["letters"] = [*session.get("letters", [])[-9:], public_id]
    return redirect(f"/check/{public_id}")


def _redis_script(form) -> None:
    run_script(_redis, _hit, ["floor:hits"], [])


def _redis_and_insert(form) -> str:
    _redis_script(form)
    connection = _connection()
    values = {name: field.data or "" for name, field in form._fields.items()}
    values.update(
        public_id=secrets.token_urlsafe(16),
        form_token=secrets.token_urlsafe(24),
        campaign_id=_database["campaign_id"],
        body_hash=secrets.token_hex(32),
        now=datetime.now(UTC).replace(tzinfo=None),
    )
    return connection.execute(_INSERT, values).fetchone()[0]


app.add_url_rule("/form", "form", lambda: _continue(lambda form: None), methods=["POST"])
app.add_url_rule("/form-redis", "form_redis", lambda: _continue(_redis_script), methods=["POST"])
app.add_url_rule(
    "/form-redis-insert", "form_redis_insert", lambda: _continue(_redis_and_insert),
    methods=["POST"],
)  # fmt: skip
