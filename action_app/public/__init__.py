"""The public journey: every page a supporter sees, in one blueprint made of two modules."""

from flask import Blueprint

from action_app.public import letter_views, views


def create_blueprint() -> Blueprint:
    """The ``public`` blueprint, with the routes of each module registered here."""
    bp = Blueprint("public", __name__)
    views.register(bp)  # campaign page, finding your MP
    letter_views.register(bp)  # write, check, send, confirm
    return bp
