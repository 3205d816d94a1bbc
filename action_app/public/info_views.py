"""Pages every supporter can reach from every page: getting help and the accessibility
statement (the privacy page lives in views.py); and MPs' photos, which we serve ourselves."""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template

from action_app.public.views import bp
from action_app.services.mp_photos import photo

PHOTO_MAX_AGE = 86400


@bp.get("/help")
def help():
    return render_template("public/help.html", settings=current_app.config["SETTINGS"])


@bp.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html", settings=current_app.config["SETTINGS"])


@bp.get("/mp-photos/<int:member_id>")
def mp_photo(member_id: int):
    found = photo(member_id)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_MAX_AGE}"
    return response
