"""A supporter's letter, the emails it causes, and participation counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from action_app.extensions import db
from action_app.models.statuses import (
    Language,
    LetterStatus,
    MessageKind,
    MessageStatus,
    SeatCheck,
    SentBy,
    one_of,
)
from action_app.models.types import JsonDocument, utcnow

# A staff test send: never counted, no receipt (see services/test_send.py).
TEST_SOURCE = "staff-test"

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Letter(db.Model):
    """What a supporter wrote to one recipient in one campaign (see LetterStatus)."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The letter's address in URLs; unguessable, and shown only to the browser that wrote it.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # The hidden token of the form that created it: a second POST of the same form finds it.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(24), default=LetterStatus.DRAFT)

    # Who it goes to, decided on the server.
    recipient_key: Mapped[str] = mapped_column(String(300))
    recipient_name: Mapped[str] = mapped_column(String(300))
    recipient_email: Mapped[str] = mapped_column(String(254))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # The campaign's additional fixed recipient, who gets a copy (MessageKind.COPY); decided on
    # the server when the letter is saved, like the recipient. NULL: no copy.
    copy_key: Mapped[str | None] = mapped_column(String(300))
    copy_name: Mapped[str | None] = mapped_column(String(300))
    copy_email: Mapped[str | None] = mapped_column(String(254))
    constituency_id: Mapped[int | None] = mapped_column(ForeignKey("constituencies.id"))

    # The supporter and their letter.
    supporter_name: Mapped[str] = mapped_column(String(100))
    supporter_email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    address_line_1: Mapped[str] = mapped_column(String(100))
    address_line_2: Mapped[str] = mapped_column(String(100), default="")
    town: Mapped[str] = mapped_column(String(60))
    postcode: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body_before: Mapped[str] = mapped_column(Text)
    personal_paragraph: Mapped[str] = mapped_column(Text, default="")
    body_after: Mapped[str] = mapped_column(Text, default="")
    opt_ins: Mapped[list] = mapped_column(JsonDocument, default=list)
    source: Mapped[str | None] = mapped_column(String(64))
    sent_by: Mapped[str | None] = mapped_column(String(16))
    # The language the supporter chose; every later email about the letter comes in it.
    language: Mapped[str] = mapped_column(String(8), default=Language.EN, server_default="en")
    seat_check: Mapped[str] = mapped_column(String(16), default=SeatCheck.POSTCODE)
    # Why the letter is (or will be, when sent) held; set on a draft by the bot checks.
    hold_reason: Mapped[str | None] = mapped_column(String(300))
    # The letter's words, normalised and hashed: identical letters to one MP share it.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # The version of the consent wording the supporter agreed to (services/consent.py).
    consent_version: Mapped[str | None] = mapped_column(String(32))
    # When the supporter's details and words were removed (services/scrub.py); the row stays
    # for the counts and the MP-level figures.
    scrubbed_at: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]

    # Not a column: the values of the parked draft (``parked_drafts.letter``) this letter was
    # built from, not saved; None for a letter read from the database.
    parked = None

    messages: Mapped[list[OutboundMessage]] = relationship(
        back_populates="letter", order_by="OutboundMessage.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One letter per supporter per campaign per recipient, counting only letters confirmed:
        # one awaiting confirmation, held or withdrawn never blocks the address's owner.
        Index(
            "uq_letters_one_per_supporter",
            "campaign_id",
            "recipient_key",
            "email_key",
            unique=True,
            postgresql_where=text("status = 'confirmed'"),
            sqlite_where=text("status = 'confirmed'"),
        ),
        # The same rule for the copy: one per supporter per campaign per fixed recipient, however
        # many MPs the address writes to.
        Index(
            "uq_letters_one_copy_per_supporter",
            "campaign_id",
            "copy_key",
            "email_key",
            unique=True,
            postgresql_where=text("status = 'confirmed' AND copy_key IS NOT NULL"),
            sqlite_where=text("status = 'confirmed' AND copy_key IS NOT NULL"),
        ),
        Index("ix_letters_same_letter", "campaign_id", "recipient_key", "body_hash"),
        # Has this address written to this recipient (confirmed, or awaiting confirmation)?
        Index("ix_letters_email_key", "email_key", "campaign_id"),
        Index("ix_letters_campaign_status", "campaign_id", "status"),
        Index("ix_letters_status_created", "status", "created_at"),
        one_of("status", LetterStatus),
        # NULL (the platform sent it) passes, as NULL does any CHECK.
        one_of("sent_by", SentBy),
        one_of("language", Language),
        one_of("seat_check", SeatCheck),
    )

    def mp_message(self) -> OutboundMessage | None:
        """The email that carries this letter to its recipient (None before it is sent)."""
        return next((m for m in self.messages if m.kind == MessageKind.MP), None)

    def copy_message(self) -> OutboundMessage | None:
        """The email that carries the copy to the campaign's additional fixed recipient."""
        return next((m for m in self.messages if m.kind == MessageKind.COPY), None)


class OutboundMessage(db.Model):
    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="messages")

    __table_args__ = (
        Index("ix_outbound_messages_letter", "letter_id"),
        # The sweep's question: what is due? Only unfinished rows are indexed.
        Index(
            "ix_outbound_messages_due",
            "status",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        one_of("status", MessageStatus),
        one_of("kind", MessageKind),
    )

    @classmethod
    def claimed_now(cls, letter: Letter, kind: MessageKind) -> OutboundMessage:
        """A message the worker making it has claimed already, to send straight after (a
        receipt, a notice): if the worker dies first, its lease runs out and the sweep takes
        it. Not added to the session."""
        return cls(
            letter=letter,
            kind=kind,
            status=MessageStatus.SENDING,
            claimed_at=utcnow(),
            attempts=1,
        )


class ParticipationCount(db.Model):
    """Letters delivered to MPs, per campaign, day, constituency and source (0 / '' for none)."""

    __tablename__ = "participation_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    constituency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    letters: Mapped[int] = mapped_column(default=0)
