"""Thin tasks: ids in, service calls, the outcome recorded. Each is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from action_app import tasking
from action_app.extensions import db
from action_app.models import OutboundMessage
from action_app.models.types import utcnow
from action_app.services import maintenance, scrub, sending
from action_app.services.members_sync import sync_members
from action_app.services.participation import bump_hot_totals

log = logging.getLogger(__name__)

# Below this many waiting tasks, a letter queued long ago and still pending is presumed lost.
SHORT_QUEUE = 50


@shared_task(name=tasking.SEND_ACTION)
def send_action_task(action_id: int) -> dict:
    """Send every due message of one letter: to the MP first, then the supporter's copy."""
    results: dict[str, int] = {}
    session = db.session()
    # Rows stay usable after each commit, so a receipt is sent without being read back.
    session.expire_on_commit = False
    try:
        claimed = sending.claim_due_messages(action_id)
        db.session.commit()
        for message_id in claimed:
            # A delivered letter hands on its receipt, a failed one the notice to its supporter.
            next_message: int | OutboundMessage | None = message_id
            while next_message is not None:
                outcome = _deliver_and_commit(next_message)
                if outcome.kind == "mp" and outcome.result == "sent":
                    bump_hot_totals(outcome.campaign_id, sent=1)
                key = f"{outcome.kind}:{outcome.result}"
                results[key] = results.get(key, 0) + 1
                next_message = outcome.follow_up
    finally:
        session.expire_on_commit = True
    return results


def _deliver_and_commit(message: int | OutboundMessage) -> sending.Outcome:
    """Send one message and commit; if the database goes away after the mail server took the
    message, wait for it to come back and record the send, so it is never sent twice."""
    outcome = None
    try:
        outcome = sending.deliver_message(message)
        db.session.commit()
    except sending.SentNotRecorded as exc:
        return sending.record_sent_when_database_returns(exc.message_id)
    except sending.DATABASE_GONE:
        if outcome is None or outcome.result != "sent":
            raise  # nothing was sent: the lease runs out and the sweep tries again
        return sending.record_sent_when_database_returns(outcome.message_id)
    return outcome


@shared_task(name=tasking.SWEEP_OUTBOX)
def sweep_outbox_task() -> int:
    """Re-queue letters left pending (broker down, message lost), due a retry, or abandoned."""
    waiting = tasking.queue_length()
    action_ids = sending.find_due_actions(queue_is_short=waiting is None or waiting < SHORT_QUEUE)
    db.session.commit()
    for action_id in action_ids:
        tasking.dispatch(tasking.SEND_ACTION, action_id)
    if action_ids:
        log.info("Sweep re-queued %d letters", len(action_ids))
    return len(action_ids)


@shared_task(name=tasking.SYNC_MEMBERS)
def sync_members_task() -> dict:
    """Refresh the MP directory from the Members API (daily, from beat)."""
    client = current_app.extensions["members_api_factory"]()
    try:
        summary = sync_members(client)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        client.close()
    return summary.as_dict()


@shared_task(name=tasking.HOUSEKEEPING)
def housekeeping_task() -> dict:
    """Delete what is no longer needed: old drafts, unconfirmed letters, expired cache entries."""
    removed = sending.delete_expired_letters()
    db.session.commit()
    removed.update(maintenance.housekeeping())
    return removed


@shared_task(name=tasking.SCRUB_PERSONAL_DATA)
def scrub_personal_data_task() -> dict:
    """Remove supporters' details and letters PERSONAL_DATA_DAYS after sending (hourly)."""
    settings = current_app.config["SETTINGS"]
    try:
        return scrub.scrub_expired(utcnow(), settings.personal_data_days, settings.mail.outbox_dir)
    except Exception:
        db.session.rollback()
        raise
