"""The outbox: counts per campaign, messages by status, retry, release and reject."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from action_app import tasking
from action_app.extensions import db
from action_app.inputs import database_id
from action_app.models import MessageStatus, OutboundMessage
from action_app.services import outbox
from action_app.staff import bp
from action_app.staff_access import MANAGERS, requires_role


@bp.route("/outbox")
@requires_role(*MANAGERS)
def outbox_page():
    status = request.args.get("status", "failed")
    if status not in tuple(MessageStatus):
        status = "failed"
    chosen = database_id(request.args.get("campaign"))  # anything else shows every campaign
    return render_template(
        "staff/outbox.html",
        counts=outbox.counts_by_campaign(),
        statuses=tuple(MessageStatus),
        status=status,
        campaign_id=chosen,
        rows=outbox.messages(status, chosen),
        held_letters=outbox.held_without_email(chosen) if status == MessageStatus.HELD else [],
    )


def _message(message_id: int) -> OutboundMessage:
    return db.session.get(OutboundMessage, message_id) or abort(404)


def _back():
    return redirect(url_for("staff.outbox_page", status=request.form.get("back", "failed")))


@bp.route("/outbox/<bigid:message_id>/retry", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_retry(message_id: int):
    return _act(
        lambda: outbox.retry(_message(message_id)), f"Message {message_id} will be sent again."
    )


@bp.route("/outbox/<bigid:message_id>/release", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_release(message_id: int):
    return _act(
        lambda: outbox.release(_message(message_id)),
        f"Message {message_id} is released and will be sent.",
    )


@bp.route("/outbox/<bigid:message_id>/reject", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_reject(message_id: int):
    return _act(
        lambda: outbox.reject(_message(message_id), _reason()),
        f"Message {message_id} is rejected and will not be sent.",
    )


# A held letter with no email of its own (outbox.held_without_email) is acted on as a letter.
@bp.route("/outbox/letters/<bigid:letter_id>/release", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_release_letter(letter_id: int):
    return _act(lambda: outbox.release_letter(letter_id), f"Letter {letter_id} is released.")


@bp.route("/outbox/letters/<bigid:letter_id>/reject", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_reject_letter(letter_id: int):
    return _act(
        lambda: outbox.reject_letter(letter_id, _reason()),
        f"Letter {letter_id} is rejected and will not be sent.",
    )


def _reason() -> str:
    return request.form.get("reason", "").strip()[:500]


def _act(action, done: str):
    """Run one outbox action, commit it, then send what it released (the id of a letter it
    returns; the sweep sends it if the broker is down). A refusal is said on the page."""
    try:
        letter_id = action()
    except outbox.OutboxError as exc:
        flash(str(exc))
        return _back()
    db.session.commit()
    if letter_id is not None:
        tasking.dispatch(tasking.SEND_LETTER, letter_id)
    flash(done)
    return _back()
