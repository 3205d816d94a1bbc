"""Forms where a lot is typed (the campaign editor, the import box) check their own CSRF token.

CSRFProtect checks every staff POST before the view runs, and a token that has expired (the
token lasts 6 hours, a staff session 12) is answered with the global "page timed out" page:
everything typed was lost. A view marked ``checks_own_token`` is left out of that check and
checks the token here instead, after the role check; a token that fails saves nothing and shows
the form again as typed, with a fresh token and ``EXPIRED``, as the public letter form does."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from action_app.extensions import csrf

EXPIRED = (
    "This page was open for a long time, so for your security nothing was saved. Nothing you "
    "typed has been lost: check it and press {button} again."
)


def checks_own_token(redisplay: Callable) -> Callable:
    """Check a POST's token in the view: on failure answer ``redisplay`` (called with the
    view's arguments), which shows the form with what was typed; it must change nothing."""

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
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True
