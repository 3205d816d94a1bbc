"""Recording a supporter's letter: the draft, the send, and the email confirmation.

A letter is saved as a draft when the supporter continues to the check page, and moves on exactly
once, by one conditional UPDATE, when they press send; a second press, a refresh or the back
button finds it already sent. The same transaction writes the pending message, so nothing is lost
if the broker is down: the caller commits, then dispatches.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from action_app.extensions import db
from action_app.models import (
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    SentBy,
)
from action_app.models.statuses import SUBMITTED
from action_app.models.types import utcnow
from action_app.rate_limits import Try
from action_app.services import parked_drafts
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign_by_id
from action_app.services.consent import consent_version
from action_app.services.letters import (
    Recipient,
    Supporter,
    fill_tokens,
    join_letter,
    render_letter,
)
from action_app.services.retention import CONFIRMATION_DAYS
from action_app.sql import insert_unless_exists, run_alone, run_in_transaction
from action_app.stats.counting import count_letter_accepted, count_letter_queued

_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


class AlreadyWritten(Exception):
    """This supporter has already written to this recipient in this campaign. The caller rolls
    back, then ``earlier_letter`` finds the letter they sent before."""

    def __init__(self, draft: Letter, key: tuple[int, str, str]):
        super().__init__(f"letter {draft.id} duplicates one already sent")
        self.draft = draft
        self.key = key


@dataclass
class LetterInput:
    """What the supporter typed, already checked by the form."""

    name: str
    email: str
    address_line_1: str
    town: str
    address_line_2: str = ""
    subject: str = ""
    body_before: str = ""
    body_after: str = ""
    personal_paragraph: str = ""
    opt_ins: list[str] = field(default_factory=list)

    def supporter(self, postcode: str) -> Supporter:
        lines = tuple(x for x in (self.address_line_1, self.address_line_2, self.town) if x)
        return Supporter(name=self.name, address_lines=lines, postcode=postcode)


def email_key(email: str) -> str:
    """The address as one person: case-folded, without a +tag; dots ignored for Gmail."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


# The busiest statements are built once, with their values as parameters: building one costs
# about as much CPU as running it.
_FIND_LETTER = select(Letter).where(
    Letter.public_id == bindparam("public_id"), Letter.campaign_id == bindparam("campaign_id")
)
# Core (the table, not the mapped class): an ORM-enabled UPDATE goes through the ORM's bulk
# machinery on every call (about a sixth of Send's CPU), and nothing here needs it.
_LETTERS = Letter.__table__
_SUBMIT_DRAFT = (
    update(_LETTERS)
    .where(_LETTERS.c.id == bindparam("letter_id"), _LETTERS.c.status == LetterStatus.DRAFT)
    .values(
        status=bindparam("new_status"),
        submitted_at=bindparam("now"),
        updated_at=bindparam("now"),
        confirmed_at=bindparam("confirmed_at"),
        sent_by=bindparam("sent_by"),
    )
    .returning(_LETTERS.c.id)
)


def sent_before(earlier, *, campaign_id, recipient_key, email_key, letter_id) -> tuple:
    """Conditions on ``earlier`` (Letter, an alias of it, or a table's columns): a letter of
    this campaign from this address to this recipient, sent (confirmed or awaiting
    confirmation), other than this one. The values are columns (for a correlated subquery) or
    bind parameters."""
    return (
        earlier.campaign_id == campaign_id,
        earlier.recipient_key == recipient_key,
        earlier.email_key == email_key,
        or_(*(earlier.status == status for status in SUBMITTED)),
        earlier.id != letter_id,
    )


_EARLIER = _LETTERS.alias("earlier")
# The same, only if the address has sent this recipient no other letter in this campaign: the
# usual case, settled in the one statement.
_SUBMIT_FIRST_DRAFT = _SUBMIT_DRAFT.where(
    ~exists().where(
        *sent_before(
            _EARLIER.c,
            campaign_id=_LETTERS.c.campaign_id,
            recipient_key=_LETTERS.c.recipient_key,
            email_key=_LETTERS.c.email_key,
            letter_id=_LETTERS.c.id,
        )
    )
)


# For a page that shows the letter and its messages' progress (the sent page and its status):
# the messages come in the same statement, not in a second one when first asked for.
_FIND_LETTER_SHOWN = _FIND_LETTER.options(joinedload(Letter.messages))


def find_letter(public_id: str, campaign_id: int) -> Letter | None:
    """The letter with this public id, if it belongs to this campaign."""
    return db.session.scalar(_FIND_LETTER, {"public_id": public_id, "campaign_id": campaign_id})


def letter_to_show(public_id: str, campaign_id: int, *, with_messages: bool) -> Letter | None:
    """The letter, for a request that reads and writes nothing (a page that shows it).

    A draft parked in Redis (``parked_drafts``) is built from there, not saved: the check page
    and "Change" look there first, the sent page (``with_messages``) in the database first. If
    Redis cannot be reached and the letter is not in the database, ``ParkedUnavailable``: the
    "try again" page, not "not found".

    In the database: if the request's session has begun nothing, it reads outside a
    transaction (autocommit): on PostgreSQL a transaction costs two round trips of its own,
    BEGIN before the first statement and ROLLBACK as the session closes, as many as the page's
    SELECT, for nothing when the page only reads. The session still ends as it always does,
    and the connection goes back to the pool in its usual transaction mode.
    ``with_messages``: its messages in the same statement (the sent page's progress reads
    them)."""
    unreachable = None
    if not with_messages:  # a page for a draft: parked, most likely (see parked_drafts)
        try:
            parked = parked_drafts.letter(public_id, campaign_id)
        except parked_drafts.ParkedUnavailable as error:
            parked, unreachable = None, error
        if parked is not None:
            return parked
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    params = {"public_id": public_id, "campaign_id": campaign_id}
    if not with_messages:
        letter = session.scalar(_FIND_LETTER, params)
    else:  # a page for a sent letter, most likely: a draft there is sent to its check page
        letter = session.execute(_FIND_LETTER_SHOWN, params).unique().scalar_one_or_none()
        letter = letter or parked_drafts.letter(public_id, campaign_id)
    if letter is None and unreachable is not None:
        raise unreachable
    return letter


def letter_to_change(public_id: str, campaign_id: int) -> Letter | None:
    """The letter, for a request that may change it, read in the request's transaction. A draft
    parked in Redis is first written into the database, committed alone
    (``parked_drafts.materialize``), so from here on it is a draft like any other (the letter
    so written is the answer, not read back)."""
    try:
        written = parked_drafts.materialize(public_id, campaign_id)
    except parked_drafts.ParkedUnavailable:
        letter = find_letter(public_id, campaign_id)
        if letter is None:
            raise
        return letter
    return written or find_letter(public_id, campaign_id)


def letter_to_send(public_id: str, campaign_id: int) -> Letter | None:
    """The letter, for Send: a parked draft as it is parked (``parked_drafts.letter``, not
    written: ``first_send`` may send it in one statement; else the caller writes it with
    ``letter_to_change``), or the letter read in the request's transaction."""
    try:
        parked = parked_drafts.letter(public_id, campaign_id)
    except parked_drafts.ParkedUnavailable:
        parked = None  # letter_to_change says whether the database has it
    return parked or letter_to_change(public_id, campaign_id)


def save_draft(
    campaign: CampaignSnapshot,
    recipient: Recipient,
    *,
    postcode: str,
    source: str | None,
    form_token: str,
    letter: LetterInput,
    draft: Letter | None = None,
    language: str = "en",
    marks: dict | None = None,
    commit_alone: bool = False,
    counting: Try | None = None,
) -> str:
    """Create the draft (or update the one being changed); return its public id.

    This is the busiest write in a surge, so a new draft is one statement: an INSERT that does
    nothing if this form was posted before (the form token is unique), in which case the
    earlier draft is the answer, unchanged. ``marks`` (how the seat was decided, the letter's
    fingerprint, why it will be held: see ``abuse.annotate_draft``) go into that INSERT; a
    draft being changed is marked by the caller. Whether the supporter has written before is
    settled when they send, by the one-letter-per-supporter index.

    ``commit_alone`` (the journey's Continue): the session's transaction, if a read began one,
    is committed first; then a new draft is parked in Redis (``parked_drafts.park``: nothing
    is written to the database until it is sent or changed). Where Redis cannot take it, the
    new draft's INSERT is its own transaction on a pooled connection of its own
    (``sql.run_alone``, not the session), committed as it runs without BEGIN and COMMIT round
    trips and without waiting for the disk (``sql.insert_unless_exists``): the supporter can
    type it again, and their Send, which does wait, makes it durable with itself. The session
    has then begun nothing.

    ``counting`` (Continue): the supporter's try, counted against the per-address limit before
    anything is written: by the parking script itself, in its round trip, or alone. Raises
    ``rate_limits.Refused``, having written nothing, if the limit refuses it."""
    values = letter_values(
        campaign,
        recipient,
        postcode=postcode,
        letter=letter,
        source=source,
        form_token=form_token,
        language=language,
    )
    now = utcnow()
    if draft is not None and draft.status == LetterStatus.DRAFT:
        if counting is not None:
            counting.refuse_if_over()
        db.session.execute(
            update(Letter)
            .where(Letter.id == draft.id, Letter.status == LetterStatus.DRAFT)
            .values(**values, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return draft.public_id
    public_id = secrets.token_urlsafe(16)
    if commit_alone and db.session().in_transaction():
        # A cache the request found stale (the campaign, the directory's version) read the
        # database and so began a transaction: commit it now, as the request would with the
        # draft, so that the draft is parked or written alone all the same.
        db.session.commit()
    statement = insert_unless_exists(
        db.session.get_bind().dialect.name,
        Letter.__table__,
        ("form_token",),
        "public_id",
        wait_for_disk=not commit_alone,
    )
    row_values = {
        **values,
        "public_id": public_id,
        "campaign_id": campaign.id,
        "status": LetterStatus.DRAFT,
        "created_at": now,
        "updated_at": now,
        **(marks or {}),
    }
    if commit_alone and (parked := parked_drafts.park(row_values, counting)) is not None:
        return parked
    if counting is not None:
        counting.refuse_if_over()
    if commit_alone:
        row = run_alone(db.session.get_bind(), statement, row_values)
    else:
        row = db.session.execute(statement, row_values).first()
    if row is not None:
        return row.public_id
    return db.session.scalar(select(Letter.public_id).where(Letter.form_token == form_token))


def letter_values(
    campaign: CampaignSnapshot,
    recipient: Recipient,
    *,
    postcode: str,
    letter: LetterInput,
    source: str | None = None,
    form_token: str = "",
    language: str = "en",
) -> dict:
    """The columns of a letter from what the supporter typed: the templates rendered for them
    (or, where the campaign lets them edit it, their own text with its tokens filled in), in
    ``language``: every later email about the letter comes in it, and the consent wording
    recorded is the one they read in it (naming the copy's recipient where there is one)."""
    supporter = letter.supporter(postcode)
    if campaign.body_editable:
        subject = fill_tokens(letter.subject, supporter)
        before = fill_tokens(letter.body_before, supporter)
        after = fill_tokens(letter.body_after, supporter)
    else:
        parts = render_letter(campaign, recipient, supporter)
        subject, before, after = parts.subject, parts.before, parts.after
    offered = {o["slug"] for o in campaign.organisations}
    copy = copy_recipient(campaign, recipient)
    return {
        "copy_key": copy and f"fixed:{copy['email'].lower()}",
        "copy_name": copy and copy["name"],
        "copy_email": copy and copy["email"],
        "form_token": form_token,
        "recipient_key": recipient.key,
        "recipient_name": recipient.name,
        "recipient_email": recipient.email,
        "member_id": recipient.member_id,
        "constituency_id": recipient.constituency_id,
        "supporter_name": letter.name,
        "supporter_email": letter.email,
        "email_key": email_key(letter.email),
        "address_line_1": letter.address_line_1,
        "address_line_2": letter.address_line_2,
        "town": letter.town,
        "postcode": postcode,
        "subject": subject,
        "body_before": before,
        "personal_paragraph": letter.personal_paragraph.strip(),
        "body_after": after,
        "opt_ins": [slug for slug in letter.opt_ins if slug in offered],
        "source": source,
        "language": language,
        "consent_version": consent_version(language, with_copy=bool(copy)),
    }


def copy_recipient(campaign: CampaignSnapshot, recipient: Recipient) -> dict | None:
    """Who gets a copy of a letter to this recipient: the campaign's additional fixed
    recipient, for a letter the platform sends to an MP (one the supporter posts has none)."""
    also = getattr(campaign, "copy_target", None)
    return also if also and recipient.member_id is not None and recipient.email else None


def letter_body(letter: Letter) -> str:
    """The body of the letter as the MP will read it, below the supporter's details."""
    return join_letter(letter.body_before, letter.personal_paragraph, letter.body_after)


def submit_draft(
    letter: Letter,
    require_confirmation: bool,
    *,
    if_first: bool = False,
    sent_by: SentBy | None = None,
) -> bool:
    """Send the draft, exactly once: True if this call sent it, False if it was already sent
    (or, ``if_first``, if the address has sent this recipient a letter before: the caller then
    decides with ``abuse``'s rules, and may call again without it).

    One conditional UPDATE moves the draft on, and the pending message is written in the same
    transaction (the caller commits). Raises AlreadyWritten if the supporter has sent this
    recipient a letter before (the one-letter-per-supporter index refuses the UPDATE): the
    transaction can only be rolled back then, which is the caller's to do.

    ``sent_by``: the supporter sends it themselves ("send it myself", or by post), so that the
    same rules decide it as a letter the platform sends; the platform queues nothing of its
    own for it and, as before, leaves it out of the organisers' delivery counters. A
    confirmation email is still queued when ``require_confirmation`` asks for one (its owner
    confirming is what lets it count)."""
    status = LetterStatus.AWAITING_CONFIRMATION if require_confirmation else LetterStatus.CONFIRMED
    now = utcnow()
    letter_id = letter.id
    duplicate_of = (letter.campaign_id, letter.recipient_key, letter.email_key)
    if not require_confirmation:  # else at confirmation, when the copy is queued
        drop_copy_if_sent_before(letter)
    try:
        moved = run_in_transaction(
            db.session,
            _SUBMIT_FIRST_DRAFT if if_first else _SUBMIT_DRAFT,
            {
                "letter_id": letter_id,
                "new_status": status,
                "now": now,
                "confirmed_at": None if require_confirmation else now,
                "sent_by": SentBy(sent_by) if sent_by else None,
            },
        )
    except IntegrityError:
        raise AlreadyWritten(letter, duplicate_of) from None
    if moved is None:
        return False
    # Marked as dispatched now: the caller dispatches right after the commit, and calls
    # forget_dispatch if the broker refuses.
    if require_confirmation:
        _queue_message(letter_id, MessageKind.CONFIRMATION, now)
    if sent_by is not None:
        return True
    count_letter_accepted(letter, now, queued=not require_confirmation)
    if not require_confirmation:
        queue_letter_messages(letter, now)
    return True


def queue_letter_messages(letter: Letter, now) -> None:
    """The letter's own emails, pending: to the MP, and the copy if it carries one. They are
    independent messages: each is claimed, retried and recorded on its own."""
    _queue_message(letter.id, MessageKind.MP, now)
    if letter.copy_key:
        _queue_message(letter.id, MessageKind.COPY, now)


def drop_copy_if_sent_before(letter: Letter) -> None:
    """One copy per supporter per recipient: an address that already sent the campaign's copy
    recipient a letter (with a letter to another MP) sends this one to its MP alone."""
    if letter.copy_key and _copy_sent_before(letter):
        _drop_copy(letter)


def copy_goes(letter: Letter) -> bool:
    """Whether sending this draft will send its copy too (for the check page)."""
    return bool(letter.copy_key) and not _copy_sent_before(letter)


def _copy_sent_before(letter: Letter) -> bool:
    """Whether this address already sent this campaign's copy recipient a letter (to another
    MP): confirmed, so sent or on its way, as the one-copy index counts it."""
    return confirmed_twin(letter, Letter.copy_key)


def confirmed_twin(letter: Letter, recipient_column) -> bool:
    """Whether another letter of this campaign from this address to the same recipient
    (``Letter.recipient_key``, or ``Letter.copy_key`` for the copy's) is confirmed: sent or
    on its way, as the one-per-supporter indexes count it."""
    twin = db.session.scalar(
        select(Letter.id)
        .where(
            Letter.campaign_id == letter.campaign_id,
            recipient_column == getattr(letter, recipient_column.key),
            Letter.email_key == letter.email_key,
            Letter.status == LetterStatus.CONFIRMED,
            Letter.id != letter.id,
        )
        .limit(1)
    )
    return twin is not None


def _drop_copy(letter: Letter) -> None:
    db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id)
        .values(copy_key=None, copy_name=None, copy_email=None)
        .execution_options(synchronize_session=False)
    )
    letter.copy_key = letter.copy_name = letter.copy_email = None


def offered_by(letter: Letter) -> tuple[dict, ...]:
    """The organisations the letter's campaign offers opt-ins for."""
    campaign = cached_campaign_by_id(letter.campaign_id)
    return campaign.organisations if campaign is not None else ()


def earlier_letter(refused: AlreadyWritten) -> Letter:
    """The letter the supporter sent before, which made ``submit_draft`` refuse this one (or the
    draft itself, if that letter has gone since). Call it after rolling back."""
    return _submitted_like(*refused.key) or refused.draft


_INSERT_MESSAGE = OutboundMessage.__table__.insert()  # built once: one compiled statement


def _queue_message(letter_id: int, kind: MessageKind, now) -> None:
    run_in_transaction(
        db.session,
        _INSERT_MESSAGE,
        {
            "letter_id": letter_id,
            "kind": kind,
            "status": MessageStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "dispatched_at": now,
            "created_at": now,
        },
    )


def _submitted_like(campaign_id: int, recipient_key: str, key: str) -> Letter | None:
    return db.session.scalar(
        select(Letter).where(
            Letter.campaign_id == campaign_id,
            Letter.recipient_key == recipient_key,
            Letter.email_key == key,
            Letter.status.in_(SUBMITTED),
        )
    )


def confirm_letter(letter: Letter) -> bool:
    """The supporter clicked their link: queue the letter (once). True if this call did it.
    A letter they send themselves is counted and queues nothing: they have it to send."""
    now = utcnow()
    drop_copy_if_sent_before(letter)
    moved = db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == LetterStatus.AWAITING_CONFIRMATION)
        .values(status=LetterStatus.CONFIRMED, confirmed_at=now, updated_at=now)
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    if letter.sent_by is None:
        count_letter_queued(letter, now, confirmed_by_supporter=True)
        queue_letter_messages(letter, now)
    return True


def _confirmation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-letter")


def confirmation_token(letter: Letter) -> str:
    """The signed token in a confirmation link (it names the letter's public id)."""
    return _confirmation_serializer().dumps(letter.public_id)


class ConfirmationExpired(Exception):
    """The link is older than seven days."""


def letter_for_confirmation(token: str, campaign_id: int) -> Letter | None:
    """The letter a confirmation link is for; ConfirmationExpired if it is too old."""
    try:
        public_id = _confirmation_serializer().loads(token, max_age=CONFIRMATION_DAYS * 86400)
    except SignatureExpired:
        raise ConfirmationExpired() from None
    except BadSignature:
        return None
    return find_letter(public_id, campaign_id)
