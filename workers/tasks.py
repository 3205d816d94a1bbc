"""Thin tasks: ids in, service calls, the outcome recorded. Each is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from action_app import tasking
from action_app.extensions import db
from action_app.models import MessageKind
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services import directory_admin, retention, scrub, sending
from action_app.services.members_sync import sync_members
from action_app.services.participation import bump_hot_totals
from action_app.services.sending import DeliveryResult, Outcome
from action_app.stats import replies

log = logging.getLogger(__name__)

# Below this many waiting tasks, a letter queued long ago and still pending is presumed lost.
SHORT_QUEUE = 50


@shared_task(name=tasking.SEND_LETTER)
def send_letter_task(letter_id: int) -> dict:
    """Send every due message of one letter: to the MP first, then the supporter's copy."""
    results: dict[str, int] = {}
    session = db.session()
    # Rows stay usable after each commit, so a receipt is sent without being read back.
    session.expire_on_commit = False
    try:
        claimed = sending.claim_due_messages(letter_id)
        db.session.commit()
        for message_id in claimed:
            outcome = _delivered(sending.deliver_claimed, message_id)
            _count(outcome, results)
            # A delivered letter hands on its receipt, a failed one the notice to its supporter.
            while outcome.follow_up is not None:
                outcome = _delivered(sending.deliver_follow_up, outcome.follow_up)
                _count(outcome, results)
    finally:
        session.expire_on_commit = True
    return results


def _delivered(deliver, message) -> Outcome:
    """Send one message and commit; if the database goes away after the mail server took the
    message, wait for it to come back and record the send, so it is never sent twice."""
    outcome = None
    try:
        outcome = deliver(message)
        db.session.commit()
    except sending.SentNotRecorded as exc:
        return sending.record_sent_when_database_returns(exc.message_id)
    except sending.DATABASE_GONE:
        if outcome is None or outcome.result != DeliveryResult.SENT:
            raise  # nothing was sent: the lease runs out and the sweep tries again
        return sending.record_sent_when_database_returns(outcome.message_id)
    return outcome


def _count(outcome: Outcome, results: dict[str, int]) -> None:
    """Count one committed outcome (and the letter, once it reached the MP)."""
    if outcome.kind == MessageKind.MP and outcome.result == DeliveryResult.SENT:
        bump_hot_totals(outcome.campaign_id, sent=1)
    key = f"{outcome.kind}:{outcome.result}"
    results[key] = results.get(key, 0) + 1


@shared_task(name=tasking.SWEEP_OUTBOX)
def sweep_outbox_task() -> int:
    """Re-queue letters left pending (broker down, message lost), due a retry, or abandoned."""
    waiting = tasking.queue_length()
    letter_ids = sending.find_due_letters(queue_is_short=waiting is None or waiting < SHORT_QUEUE)
    db.session.commit()
    for letter_id in letter_ids:
        tasking.dispatch(tasking.SEND_LETTER, letter_id)
    if letter_ids:
        log.info("Sweep re-queued %d letters", len(letter_ids))
    return len(letter_ids)


@shared_task(name=tasking.SYNC_MEMBERS)
def sync_members_task(job: str | None = None) -> dict:
    """Refresh the MP directory from the Members API (daily, from beat, or started by staff,
    who follow its progress by ``job``)."""
    client = current_registry().members_api()
    progress = directory_admin.job_progress(job) if job else None
    try:
        summary = sync_members(client, progress)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if job:
            directory_admin.write_job(job, {"state": "failed", "error": str(exc)[:500]})
        raise
    finally:
        client.close()
    if job:
        directory_admin.write_job(job, {"state": "done", "summary": summary.as_dict()})
    return summary.as_dict()


@shared_task(name=tasking.HOUSEKEEPING)
def housekeeping_task() -> dict:
    """Delete what is no longer needed: old drafts, unconfirmed letters, expired cache entries."""
    removed = retention.delete_expired_letters()
    db.session.commit()
    removed.update(retention.purge_expired_cache())
    return removed


@shared_task(name=tasking.ASK_ABOUT_REPLIES)
def ask_about_replies_task() -> dict:
    """Email "did your MP reply?" to supporters whose campaign's delay has passed."""
    claimed = replies.claim_due_checks()
    db.session.commit()
    results: dict[str, int] = {}
    for check_id in claimed:
        result = replies.send_reply_check(check_id)
        db.session.commit()
        results[result] = results.get(result, 0) + 1
    return results


@shared_task(name=tasking.SCRUB_PERSONAL_DATA)
def scrub_personal_data_task() -> dict:
    """Remove supporters' details and letters PERSONAL_DATA_DAYS after sending (hourly)."""
    settings = current_registry().settings
    try:
        return scrub.scrub_expired(utcnow(), settings.personal_data_days, settings.mail.outbox_dir)
    except Exception:
        db.session.rollback()
        raise
