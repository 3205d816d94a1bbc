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
    return _requeue(message_id, outbox.retry, "Message {id} will be sent again.")


@bp.route("/outbox/<bigid:message_id>/release", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_release(message_id: int):
    return _requeue(message_id, outbox.release, "Message {id} is released and will be sent.")


@bp.route("/outbox/<bigid:message_id>/reject", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_reject(message_id: int):
    message = _message(message_id)
    try:
        outbox.reject(message, request.form.get("reason", "").strip()[:500])
    except outbox.OutboxError as exc:
        flash(str(exc))
        return _back()
    db.session.commit()
    flash(f"Message {message_id} is rejected and will not be sent.")
    return _back()


def _requeue(message_id: int, action, done: str):
    message = _message(message_id)
    try:
        letter_id = action(message)
    except outbox.OutboxError as exc:
        flash(str(exc))
        return _back()
    db.session.commit()
    tasking.dispatch(tasking.SEND_LETTER, letter_id)  # the sweep sends it if the broker is down
    flash(done.format(id=message_id))
    return _back()


@bp.route("/outbox/letters/<bigid:letter_id>/release", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_release_letter(letter_id: int):
    try:
        outbox.release_letter(letter_id)
    except outbox.OutboxError as exc:
        flash(str(exc))
        return _back()
    db.session.commit()
    tasking.dispatch(tasking.SEND_LETTER, letter_id)  # anything it has to send now
    flash(f"Letter {letter_id} is released.")
    return _back()


@bp.route("/outbox/letters/<bigid:letter_id>/reject", methods=["POST"])
@requires_role(*MANAGERS)
def outbox_reject_letter(letter_id: int):
    try:
        outbox.reject_letter(letter_id, request.form.get("reason", "").strip()[:500])
    except outbox.OutboxError as exc:
        flash(str(exc))
        return _back()
    db.session.commit()
    flash(f"Letter {letter_id} is rejected and will not be sent.")
    return _back()
