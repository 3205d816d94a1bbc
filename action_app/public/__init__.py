"""The public journey: every page a supporter sees, in one blueprint made of two modules."""

from flask import Blueprint

from action_app.public import (
    embed_views,
    info_views,
    letter_views,
    safety_views,
    sent_views,
    views,
)


def create_blueprint() -> Blueprint:
    """The ``public`` blueprint, with the routes of each module registered here."""
    bp = Blueprint("public", __name__)
    views.register(bp)  # campaign page, finding your MP
    letter_views.register(bp)  # write, check, send, confirm
    sent_views.register(bp)  # send it yourself, the sent page's status
    embed_views.register(bp)  # the action in a partner's iframe
    info_views.register(bp)  # help, accessibility statement, MPs' photos
    safety_views.register(bp)  # "I did not send this", "send it to my real MP"
    return bp
