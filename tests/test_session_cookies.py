"""Session cookies: signed as Flask signs them, with the signer made once per set of keys, and a
new secret key (with the old one as a fallback) taken at the next request."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature

from action_app.web import SessionCookies


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
