"""Thin tasks: ids in, service calls, the outcome recorded. Each is safe to run twice."""

from __future__ import annotations

import logging
import time

from celery import shared_task

from action_app import tasking
from action_app.extensions import db
from action_app.models import MessageKind
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services import directory_admin, retention, scrub, sending, staff_links
from action_app.services.members_sync import SyncAlreadyRunning, sync_members
from action_app.services.mp_photos import sync_photos
from action_app.services.participation import bump_hot_totals
from action_app.services.relay_journal import send_journal
from action_app.services.sending import DeliveryResult, Outcome
from action_app.stats import replies

log = logging.getLogger(__name__)

# Below this many waiting tasks, a letter queued long ago and still pending is presumed lost.
SHORT_QUEUE = 50
# A relay hands over (nudging a fresh one) after this long, well inside the task time limit.
RELAY_SECONDS = 60.0
# After a claim that was not full, a relay waits this long before it claims again, so letters
# arriving one at a time are sent a few together rather than each costing a claim (and a task);
# it stops once its claims have found nothing for RELAY_IDLE_SECONDS. A batch costs about 10 ms
# of the worker's CPU and 4 ms of PostgreSQL's beside its letters, so at 100 letters/s on two
# relays, 0.5 s (batches of about 25) rather than 0.2 s (about 10) saves a millisecond of CPU a
# letter; a letter waits at most this long more, and only while a relay is already busy.
RELAY_LINGER_SECONDS = 0.5
RELAY_IDLE_SECONDS = 1.0


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


@shared_task(name=tasking.RELAY_OUTBOX)
def relay_outbox_task() -> dict:
    """Drain the outbox: claim a batch of due messages, send them over the reused SMTP
    connection, record their outcomes in one commit, send the receipts they hand on the same
    way; again, until a claim finds nothing. The task is only a nudge: any relay sends any
    letter, so a nudge dropped because one was pending loses nothing."""
    tasking.nudge_taken()  # before the first claim, so work committed after it nudges again
    results: dict[str, int] = {}
    batch_size = current_registry().settings.relay_batch_size
    deadline = time.monotonic() + RELAY_SECONDS
    last_found = time.monotonic()
    # Without the Redis flag every letter sends a nudge, so a relay that lingered would hold
    # the worker for each of them in turn: it stops at its first empty claim instead.
    flagged = tasking.nudges_are_flagged()
    idle, linger = (RELAY_IDLE_SECONDS, RELAY_LINGER_SECONDS) if flagged else (0.0, 0.0)
    session = db.session()
    session.expire_on_commit = False  # rows stay usable after each commit
    try:
        while True:
            claimed = sending.claim_batch(batch_size)
            db.session.commit()
            db.session.expunge_all()  # the last batch's rows are done with; none is stale
            _relay(sending.load_claimed(claimed), results)
            now = time.monotonic()
            if claimed:
                last_found = now
            elif now - last_found >= idle:
                break
            if now > deadline:
                tasking.nudge_relay()  # more to do: a fresh task carries on
                break
            if len(claimed) < batch_size and linger:
                time.sleep(linger)
    finally:
        session.expire_on_commit = True
    return results


def _relay(messages: list, results: dict[str, int]) -> None:
    """Send claimed messages, then what they hand on (receipts, notices), a batch at a time.
    The relay's state is read once for them all, and the journal is asked only about the
    claimed ones (what they hand on was made here, now) and cleared once at the end."""
    if not messages:
        return
    journal = send_journal()
    state = sending.relay.relay_state()
    ids = [m.id for m in messages]
    already_sent = journal.holds(ids) if journal else frozenset()
    committed: list[int] = []
    try:
        while messages:
            outcomes = _relay_batch(messages, journal, state, already_sent, committed)
            for outcome in outcomes:  # the hot totals were bumped as each batch committed
                key = f"{outcome.kind}:{outcome.result}"
                results[key] = results.get(key, 0) + 1
            messages = [o.follow_up for o in outcomes if o.follow_up is not None]
            already_sent = frozenset()
    finally:
        if journal is not None:
            journal.forget(committed)


def _relay_batch(messages: list, journal, state, already_sent, committed: list[int]):
    """One batch: each message sent and journalled as the server takes it, then every outcome
    (and the batch's counts) in one commit. A send the journal could not keep is committed on
    its own before the next message goes, so a killed worker still sends at most one twice."""
    batch = sending.Batch(state, already_sent=already_sent)
    unjournalled: list[int] = []
    pending: list[Outcome] = []  # outcomes not yet committed

    def accepted(message_id: int) -> None:
        if journal is None or not journal.record(message_id):
            unjournalled.append(message_id)

    def commit_each(outcome: Outcome) -> None:
        pending.append(outcome)
        if unjournalled and unjournalled[-1] == outcome.message_id:
            _commit_batch(batch, pending, committed)
            pending.clear()

    batch.accepted = accepted
    outcomes = sending.deliver_batch(messages, batch, commit_each)
    _commit_batch(batch, pending, committed)
    return outcomes


def _commit_batch(batch, outcomes: list[Outcome], committed: list[int]) -> None:
    """Record the outcomes (and the batch's counts) in one commit, then bump the hot totals.
    If the database goes away here, the sent messages are in the journal: their leases run
    out and the relay that claims them again records them without sending them."""
    batch.record_counts()
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    committed.extend(o.message_id for o in outcomes if o.result in SENT_RESULTS)
    sent: dict[int, int] = {}
    for outcome in outcomes:
        if outcome.kind == MessageKind.MP and outcome.result == DeliveryResult.SENT:
            sent[outcome.campaign_id] = sent.get(outcome.campaign_id, 0) + 1
    for campaign_id, letters in sent.items():
        bump_hot_totals(campaign_id, sent=letters)


SENT_RESULTS = (DeliveryResult.SENT, DeliveryResult.TEST_SENT)


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
    if letter_ids:
        # One nudge, not a task per letter: any relay sends any due letter.
        tasking.nudge_relay()
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
    except SyncAlreadyRunning as exc:
        # Not a fault: the sync under way gives the directory the same answer.
        db.session.rollback()
        if job:
            directory_admin.write_job(job, {"state": "not_started", "error": str(exc)})
        log.info("Directory sync not started: %s", exc)
        return {"not_started": str(exc)}
    except Exception as exc:
        db.session.rollback()
        if job:
            directory_admin.write_job(job, {"state": "failed", "error": str(exc)[:500]})
        raise
    finally:
        client.close()
    if job:
        directory_admin.write_job(job, {"state": "done", "summary": summary.as_dict()})
    tasking.dispatch(tasking.SYNC_PHOTOS)  # new or changed MPs' photos, as a task of their own
    return summary.as_dict()


@shared_task(name=tasking.SYNC_PHOTOS)
def sync_photos_task() -> int:
    """Fetch the photos of MPs who have none yet or whose photo changed, after a sync."""
    client = current_registry().members_api()
    try:
        stored = sync_photos(client)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        client.close()
    return stored


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


@shared_task(name=tasking.SEND_PASSWORD_RESET)
def send_password_reset_task(email: str) -> bool:
    """Email a password reset link, if the address is an account's that may have one."""
    return staff_links.send_reset(email)


@shared_task(name=tasking.SCRUB_PERSONAL_DATA)
def scrub_personal_data_task() -> dict:
    """Remove supporters' details and letters PERSONAL_DATA_DAYS after sending (hourly)."""
    settings = current_registry().settings
    try:
        return scrub.scrub_expired(utcnow(), settings.personal_data_days, settings.mail.outbox_dir)
    except Exception:
        db.session.rollback()
        raise
