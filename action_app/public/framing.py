"""The whole journey inside a partner's iframe: postcode, MP, letter, check, sent.

Inside another site's iframe the browser does not send our session cookie (it is SameSite=Lax,
and browsers block third-party cookies anyway), so a framed journey cannot rest on the session.
Instead:

- ``embed=1`` rides in every public link, form action and redirect of the journey (a URL
  default, like the language; GET forms carry it as a field), so every page knows it is framed:
  it allows the campaign's partner sites in ``frame-ancestors`` (and nobody else), uses the
  compact layout and the resize script.
- A letter is the browser's own through ``own``, a signed, expiring token naming the letter,
  added to every link to that letter's pages by a request that holds it or wrote the letter
  (``claim``), never to a link that merely names one. It replaces the session's list of
  letters and, as a secret the page alone knows, the session's CSRF token: a framed page
  accepts a letter by its token only, never by a cookie, so another site cannot make a framed
  request act on a letter it has not seen.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

FRAMED = "embed"
OWN = "own"
OWN_MAX_AGE = 2 * 24 * 3600  # a draft lives 24 hours; its sent page a day more


def framed() -> bool:
    """Whether this request is part of a journey inside a partner's iframe."""
    return has_request_context() and bool(g.get("framed"))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="framed-letter")


def own_token(public_id: str) -> str:
    """The token that makes this letter the framed browser's own."""
    return _serializer().dumps(public_id)


def owns(public_id: str) -> bool:
    """Whether this framed request carries the token of this letter (and it has not expired)."""
    token = request.values.get(OWN, "")
    try:
        found = bool(token) and _serializer().loads(token, max_age=OWN_MAX_AGE) == public_id
    except BadSignature:
        return False
    if found:
        claim(public_id)
    return found


def claim(public_id: str) -> None:
    """This request may hand out the token of this letter: it carried it (``owns``), or it
    wrote the letter. Links to any other letter get no token, so a letter's id alone (from a
    URL, or a page that names it) can never be turned into a token."""
    if has_request_context():
        g.setdefault("own_letters", set()).add(public_id)


def _remember_framing() -> None:
    endpoint = request.endpoint or ""
    g.framed = endpoint == "public.embed" or (
        endpoint.startswith("public.") and request.values.get(FRAMED) == "1"
    )


def _keep_framing(endpoint: str, values: dict) -> None:
    """Framed pages' links stay framed, and links to a letter's pages carry its token."""
    if not endpoint.startswith("public.") or not g.get("framed"):
        return
    values.setdefault(FRAMED, "1")
    public_id = values.get("public_id") or values.get("draft")  # a letter's pages, or its change
    if public_id and OWN not in values and public_id in g.get("own_letters", ()):
        values[OWN] = own_token(public_id)


def init_app(app: Flask) -> None:
    app.before_request(_remember_framing)
    app.url_defaults(_keep_framing)
    app.context_processor(lambda: {"framed": framed()})
