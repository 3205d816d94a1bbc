"""Pages every supporter can reach from every page: getting help and the accessibility
statement (the privacy page lives in views.py); and MPs' photos, which we serve ourselves."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template

from action_app.registry import current_registry
from action_app.services.mp_photos import photo

PHOTO_MAX_AGE = 86400


def register(bp: Blueprint) -> None:
    """Help, the accessibility statement, and MPs' photos."""
    bp.add_url_rule("/help", endpoint="help", view_func=help_page)
    bp.add_url_rule("/accessibility", view_func=accessibility)
    bp.add_url_rule("/mp-photos/<id:member_id>", view_func=mp_photo)


def help_page():
    return render_template("public/help.html", settings=current_registry().settings)


def accessibility():
    return render_template("public/accessibility.html", settings=current_registry().settings)


def mp_photo(member_id: int):
    found = photo(member_id)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_MAX_AGE}"
    return response
