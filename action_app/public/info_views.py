"""Pages every supporter can reach from every page: getting help and the accessibility
statement (the privacy page lives in views.py)."""

from __future__ import annotations

from flask import current_app, render_template

from action_app.public.views import bp


@bp.get("/help")
def help():
    return render_template("public/help.html", settings=current_app.config["SETTINGS"])


@bp.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html", settings=current_app.config["SETTINGS"])
