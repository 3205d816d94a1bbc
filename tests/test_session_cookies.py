"""Session cookies: signed as Flask signs them, with the signer made once per set of keys, and a
new secret key (with the old one as a fallback) taken at the next request; the payload written
and read as Flask's serializer does, without its tags when the session is plain JSON."""

from __future__ import annotations

from datetime import UTC

import pytest
from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature
from markupsafe import Markup

from action_app.web import SessionCookies, SessionJSON


def test_the_signer_is_made_once_and_follows_a_new_secret_key(app):
    cookies = app.session_interface
    assert isinstance(cookies, SessionCookies)
    old_key, old_fallbacks = app.secret_key, app.config.get("SECRET_KEY_FALLBACKS")
    first = cookies.get_signing_serializer(app)
    assert cookies.get_signing_serializer(app) is first
    signed_before = first.dumps({"letters": ["a-letter-id"]})
    try:
        app.secret_key = "a new secret key, the old one kept as a fallback"
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        rotated = cookies.get_signing_serializer(app)
        assert rotated is not first
        assert rotated.loads(signed_before) == {"letters": ["a-letter-id"]}
        signed_after = rotated.dumps({"letters": ["another"]})
        with pytest.raises(BadSignature):
            first.loads(signed_after)  # signed with the new key, not the old
        app.config["SECRET_KEY_FALLBACKS"] = []
        without_old = cookies.get_signing_serializer(app)
        assert without_old.loads(signed_after) == {"letters": ["another"]}
        with pytest.raises(BadSignature):
            without_old.loads(signed_before)  # the old key is no longer believed
    finally:
        app.secret_key = old_key
        app.config["SECRET_KEY_FALLBACKS"] = old_fallbacks


def test_a_supporters_letters_are_remembered_by_the_session(client):
    """The cookie a browser gets back is read on its next request (the journey depends on it)."""
    with client.session_transaction() as session:
        session["letters"] = ["a-letter-id"]
    with client.session_transaction() as session:
        assert session["letters"] == ["a-letter-id"]


# Values a session might hold: plain JSON, and every kind Flask's tags carry (tuples, bytes,
# Markup, UUIDs, dates) and dicts a tag would take for its own, nested in each other.
_TAG_KEYS = [" t", " di", " b", " m", " u", " d", " x"]
_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['{" t":[1]}', '{" ', '"', "\\", " t", "é", "\u2028", "\x00"]),
)
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    _text,
    st.binary(max_size=8),
    st.builds(Markup, _text),
    st.uuids(),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
)
_values = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(_text, st.sampled_from(_TAG_KEYS)), inner, max_size=3),
    ),
    max_leaves=12,
)


_JSON_APP = Flask(__name__)  # Flask's JSON settings, as the app has them


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.one_of(_text, st.sampled_from(_TAG_KEYS)), _values, max_size=4))
def test_the_session_is_written_and_read_exactly_as_flask_does(session):
    """The shorter way for plain JSON gives Flask's own text, and reads any text Flask wrote
    (tuples, bytes, dates and tag-like keys included) to what Flask reads."""
    ours, flasks = SessionJSON(), TaggedJSONSerializer()
    with _JSON_APP.app_context():
        text = flasks.dumps(session)
        assert ours.dumps(session) == text
        assert ours.loads(text) == flasks.loads(text)


def test_a_plain_session_skips_flasks_tags_and_others_keep_them(app, monkeypatch):
    """The shorter ways are taken (the tags are not asked) for what supporters' sessions hold,
    and not for a tuple or a dict a tag would claim."""
    asked = []
    monkeypatch.setattr(TaggedJSONSerializer, "tag", lambda self, v: asked.append(v) or v)
    plain = {"csrf_token": "abc", "letters": ["a", "b"], "_fresh": False, "n": 3}
    with app.app_context():
        text = SessionJSON().dumps(plain)
        assert SessionJSON().loads(text) == plain and asked == []
        SessionJSON().dumps({"pair": (1, 2)})
        SessionJSON().dumps({"x": {" t": 1}})
    assert asked == [{"pair": (1, 2)}, {"x": {" t": 1}}]
