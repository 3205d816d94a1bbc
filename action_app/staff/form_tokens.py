"""Forms where something is typed (the campaign editor, the import box, an invitation, an MP's
address override) check their own CSRF token.

CSRFProtect checks every staff POST before the view runs, and a token that has expired (the
token lasts 6 hours, a staff session 12) is answered with the global "page timed out" page:
everything typed was lost. A view marked ``checks_own_token`` is left out of that check and
checks the token here instead, after the role check; a token of the session that has expired
saves nothing and shows the form again as typed, with a fresh token and ``EXPIRED``, as the
public letter form does. Any other bad token gets the usual 400."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from action_app.extensions import csrf
from action_app.staff_access import SESSION_HOURS

EXPIRED = (
    "This page was open for a long time, so for your security nothing was saved. Nothing you "
    "typed has been lost: check it and press {button} again."
)


def checks_own_token(redisplay: Callable) -> Callable:
    """Check a POST's token in the view: a token of this session that has only expired is
    answered with ``redisplay`` (called with the view's arguments), which shows the form with
    what was typed and must change nothing. A missing, forged or another session's token is
    refused as CSRFProtect refuses it, so no other site can put words into a staff form."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(*args, **kwargs):
            if request.method == "POST" and not _token_is_good():
                return redisplay(*args, **kwargs)
            return view(*args, **kwargs)

        csrf.exempt(checked)  # by module and name, which requires_role's wrapper keeps
        return checked

    return decorate


def _token_is_good() -> bool:
    """True for a good token, False for one of this session's that has expired; raises
    CSRFError (the global "page timed out" answer, a 400) for any other."""
    token = request.form.get("csrf_token")
    try:
        validate_csrf(token)
        return True
    except ValidationError as refused:
        reason = str(refused)
    # The same check as long as a staff session can last: this session's token, only old?
    hours = current_app.config.get("STAFF_SESSION_HOURS", SESSION_HOURS)
    try:
        validate_csrf(token, time_limit=int(hours * 3600))
    except ValidationError:
        raise CSRFError(reason) from None
    return False
