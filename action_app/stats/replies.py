"""'Did your MP reply?': one short email some days after a letter is delivered, and the answer.

A check row is written when the supporter sends their letter (or says no to the email), marked
due when the letter reaches the MP, and claimed by the periodic task once the campaign's delay
has passed: one conditional UPDATE, so two beats never ask twice. The answer link carries a
signed id; a GET only shows the question, and the first POST records the answer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, localtime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, or_, select, update

from action_app.extensions import db
from action_app.i18n import language_of
from action_app.mail import PermanentMailError, TransientMailError
from action_app.models import Campaign, Letter, ReplyCheck
from action_app.models.stats import ReplyAnswer, ReplyCheckStatus
from action_app.models.statuses import Language
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services.emails import UnsafeMessage, outgoing, set_text
from action_app.sql import run_in_transaction
from action_app.stats.counting import count_reply_answer, count_reply_asked
from action_app.stats.reply_text import email_body, text_for

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
BATCH = 200
# Core, built once: no ORM objects to build for a plain insert, and one compiled statement.
_INSERT_REPLY_CHECK = ReplyCheck.__table__.insert()


def record_reply_choice(letter: Letter, wants_email: bool, language: str = "en") -> None:
    """When the letter is sent: will this supporter be asked whether their MP replied?"""
    row = reply_check_row(letter, wants_email, language)
    run_in_transaction(db.session, _INSERT_REPLY_CHECK, row)


def reply_check_row(letter: Letter, wants_email: bool, language: str) -> dict:
    """The check's row (``first_send`` writes it in its own statement)."""
    return {
        "letter_id": letter.id,
        "campaign_id": letter.campaign_id,
        "constituency_id": letter.constituency_id or 0,
        "status": ReplyCheckStatus.WAITING if wants_email else ReplyCheckStatus.OPTED_OUT,
        "language": language,
        "created_at": utcnow(),
    }


def letters_delivered(letter_ids: list[int], when: datetime) -> None:
    """These letters reached their MPs (a relay's batch, one statement)."""
    if not letter_ids:
        return
    db.session.execute(
        update(ReplyCheck)
        .where(ReplyCheck.letter_id.in_(letter_ids), ReplyCheck.status == ReplyCheckStatus.WAITING)
        .values(status=ReplyCheckStatus.DUE, letter_sent_at=when)
        .execution_options(synchronize_session=False)
    )


def claim_due_checks(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Claim the checks whose delay has passed, across campaigns (flushes; caller commits)."""
    now = now or utcnow()
    delays = db.session.execute(
        select(Campaign.id, Campaign.reply_check_days).where(
            Campaign.id.in_(
                select(ReplyCheck.campaign_id)
                .where(ReplyCheck.status.in_((ReplyCheckStatus.DUE, ReplyCheckStatus.SENDING)))
                .distinct()
            )
        )
    ).all()
    claimed: list[int] = []
    for campaign_id, days in delays:
        cutoff = now - timedelta(days=days)
        due = or_(
            and_(ReplyCheck.status == ReplyCheckStatus.DUE, ReplyCheck.letter_sent_at <= cutoff),
            and_(
                ReplyCheck.status == ReplyCheckStatus.SENDING, ReplyCheck.claimed_at < now - LEASE
            ),
        )
        ids = select(ReplyCheck.id).where(ReplyCheck.campaign_id == campaign_id, due).limit(limit)
        claimed += db.session.scalars(
            update(ReplyCheck)
            .where(ReplyCheck.id.in_(ids.scalar_subquery()), due)
            .values(status=ReplyCheckStatus.SENDING, claimed_at=now)
            .returning(ReplyCheck.id)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted(claimed)


def send_reply_check(check_id: int, now: datetime | None = None) -> str:
    """Email one claimed check; 'asked', 'retry' or 'skipped' (flushes; caller commits)."""
    row = db.session.execute(
        select(ReplyCheck, Letter, Campaign)
        .join(Letter, Letter.id == ReplyCheck.letter_id)
        .join(Campaign, Campaign.id == ReplyCheck.campaign_id)
        .where(ReplyCheck.id == check_id)
    ).first()
    if row is None or row.ReplyCheck.status != ReplyCheckStatus.SENDING:
        return "skipped"
    check, letter, campaign = row
    try:
        sender = current_registry().settings.mail.from_address
        current_registry().mail_transport.send(outgoing(_build(check, letter, campaign), sender))
    except TransientMailError as exc:
        log.info("Reply check %s: %s; trying again later", check_id, exc)
        check.status = ReplyCheckStatus.DUE
        return "retry"
    except (PermanentMailError, UnsafeMessage) as exc:  # asked as far as we ever can
        log.warning("Reply check %s could not be sent: %s", check_id, exc)
    check.status = ReplyCheckStatus.ASKED
    check.asked_at = now or utcnow()
    count_reply_asked(check.campaign_id, check.constituency_id)
    db.session.flush()
    return "asked"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="reply-check")


def answer_token(check_id: int) -> str:
    """The unguessable part of the answer link."""
    return _serializer().dumps(check_id)


def check_for_token(token: str) -> ReplyCheck | None:
    """The check a link is for, or None if the link was altered."""
    try:
        check_id = _serializer().loads(token)
    except BadSignature:
        return None
    return db.session.get(ReplyCheck, check_id) if isinstance(check_id, int) else None


def record_answer(check: ReplyCheck, answer: ReplyAnswer) -> bool:
    """Record the supporter's answer, once: True if this call recorded it (flushes)."""
    moved = db.session.execute(
        update(ReplyCheck)
        .where(ReplyCheck.id == check.id, ReplyCheck.answer.is_(None))
        .values(answer=answer, answered_at=utcnow())
        .returning(ReplyCheck.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    count_reply_answer(check.campaign_id, check.constituency_id, answer.value)
    return True


def _build(check: ReplyCheck, letter: Letter, campaign: Campaign) -> EmailMessage:
    """The question, in the language the letter was written in (its campaign's title in that
    language too), with links that open the answer page in it."""
    settings = current_registry().settings
    words = text_for(letter.language)
    token = answer_token(check.id)
    lang = f"&lang={letter.language}" if language_of(letter.language) != Language.EN else ""
    base = f"{settings.public_base_url}/reply/{token}"
    version = (campaign.translations or {}).get(language_of(letter.language).value) or {}
    title = version.get("title") or campaign.title
    email = EmailMessage()
    domain = settings.mail.from_address.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<reply-check-{check.id}@{domain}>"
    email["Date"] = format_datetime(localtime())
    email["From"] = Address(display_name=title[:70], addr_spec=settings.mail.from_address)
    email["To"] = Address(display_name=letter.supporter_name, addr_spec=letter.supporter_email)
    email["Auto-Submitted"] = "auto-generated"
    email["Subject"] = words["subject"] % {"mp": letter.recipient_name}
    set_text(
        email,
        email_body(
            words,
            {a.value: f"{base}?answer={a.value}{lang}" for a in ReplyAnswer},
            name=letter.supporter_name,
            days=campaign.reply_check_days,
            mp=letter.recipient_name,
            campaign=title,
        ),
    )
    return email
