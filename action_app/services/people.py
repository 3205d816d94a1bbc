"""Everything held about one person, to give them a copy or to remove it (UK GDPR rights of
access and erasure). A person is found by their email address, compared as the letters are
(case, +tags and Gmail dots do not matter). The log says what was done, never who to.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, or_, select

from action_app.extensions import db
from action_app.models import Campaign, Letter, LetterStatus, OptInRecord
from action_app.services import parked_drafts
from action_app.services.consent import consent_record
from action_app.services.scrub import scrub_letters
from action_app.services.submissions import email_key
from action_app.stats.counting import count_letters_expired

log = logging.getLogger(__name__)

PERSONAL_FIELDS = (
    "supporter_name", "supporter_email", "address_line_1", "address_line_2", "town", "postcode",
    "subject", "body_before", "personal_paragraph", "body_after",
)  # fmt: skip


@dataclass
class Erased:
    reference: str
    letters_scrubbed: int
    drafts_deleted: int
    outbox_files_removed: int


def letters_of(email: str) -> list[Letter]:
    """Every letter (drafts too) written with this address, oldest first. Drafts parked in
    Redis are written into the database first (``parked_drafts.materialize_all_of``), so they
    are found, exported and erased with the rest."""
    address = email.strip()
    parked_drafts.materialize_all_of(email_key(address))
    return list(
        db.session.scalars(
            select(Letter)
            .where(
                or_(
                    Letter.email_key == email_key(address),
                    func.lower(Letter.supporter_email) == address.lower(),
                )
            )
            .order_by(Letter.id)
        )
    )


def outbox_files_of(
    email: str, folder: Path | None, letters: list[Letter] | None = None
) -> list[Path]:
    """The outbox folder's ``.eml`` files that mention this address (sent to it, or replying
    to it), or the address any of the person's ``letters`` was written with: one person's
    letters match by the normalised address (case, +tag, dots), so they may have used a form
    of it that is not the one given here."""
    addresses = {email, *(a.supporter_email for a in letters or ())}
    needles = {a.strip().lower().encode() for a in addresses if "@" in a}
    if folder is None or not folder.is_dir() or not needles:
        return []
    found = []
    for path in sorted(folder.glob("*.eml")):
        try:
            content = path.read_bytes().lower()
        except FileNotFoundError:
            continue
        if any(needle in content for needle in needles):
            found.append(path)
    return found


def export_person(email: str, outbox: Path | None) -> dict:
    """Everything held about this person, as a JSON-ready document; logged without it."""
    reference = secrets.token_hex(4)
    letters = letters_of(email)
    slugs = dict(db.session.execute(select(Campaign.id, Campaign.slug)).all())
    opt_ins = _opt_ins_of([letter.id for letter in letters])
    files = outbox_files_of(email, outbox, letters)
    document = {
        "reference": reference,
        "searched_for": email.strip(),
        "letters": [_letter(letter, slugs.get(letter.campaign_id)) for letter in letters],
        "opt_ins": [_opt_in(record) for record in opt_ins],
        "outbox_files": [path.name for path in files],
    }
    log.info(
        "people export %s: %d letters, %d opt-ins, %d outbox files",
        reference, len(letters), len(opt_ins), len(files),
    )  # fmt: skip
    return document


def erase_person(email: str, outbox: Path | None, now: datetime) -> Erased:
    """Remove this person's data (flushes): drafts and unsent, unconfirmed letters are deleted;
    letters already sent are scrubbed, so the counts stay right; their outbox files are
    deleted. Logged without the personal data."""
    reference = secrets.token_hex(4)
    letters = letters_of(email)
    files = outbox_files_of(email, outbox, letters)  # before their addresses are removed
    unsent = (LetterStatus.DRAFT, LetterStatus.AWAITING_CONFIRMATION)
    drafts = [a.id for a in letters if a.status in unsent]
    sent = [a.id for a in letters if a.id not in drafts]
    if drafts:
        db.session.execute(delete(Letter).where(Letter.id.in_(drafts)))
    # As when they expire unconfirmed (retention): the "held" figure stops counting them.
    count_letters_expired(
        (a.campaign_id, a.constituency_id)
        for a in letters
        if a.status == LetterStatus.AWAITING_CONFIRMATION
    )
    scrubbed = scrub_letters(sent, now)
    for path in files:
        path.unlink(missing_ok=True)
    log.info(
        "people erase %s: %d letters scrubbed, %d drafts deleted, %d outbox files removed",
        reference, scrubbed, len(drafts), len(files),
    )  # fmt: skip
    return Erased(reference, scrubbed, len(drafts), len(files))


def _opt_ins_of(letter_ids: list[int]) -> list[OptInRecord]:
    if not letter_ids:
        return []
    return list(
        db.session.scalars(
            select(OptInRecord)
            .where(OptInRecord.letter_id.in_(letter_ids))
            .order_by(OptInRecord.id)
        )
    )


def _letter(letter: Letter, campaign_slug: str | None) -> dict:
    document = {
        "campaign": campaign_slug,
        "status": letter.status,
        "recipient": {"name": letter.recipient_name, "email": letter.recipient_email},
        "copy_to": {"name": letter.copy_name, "email": letter.copy_email}
        if letter.copy_key
        else None,
        **{name: getattr(letter, name) for name in PERSONAL_FIELDS},
        "opt_ins": list(letter.opt_ins or []),
        "source": letter.source,
        "consent_version": letter.consent_version,
        "consent": consent_record(letter.consent_version),
        "created_at": _when(letter.created_at),
        "submitted_at": _when(letter.submitted_at),
        "confirmed_at": _when(letter.confirmed_at),
        "scrubbed_at": _when(letter.scrubbed_at),
        "messages": [
            {
                "kind": m.kind,
                "status": m.status,
                "attempts": m.attempts,
                "created_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
                "last_error": m.last_error,
            }
            for m in letter.messages
        ],
    }
    return document


def _opt_in(record: OptInRecord) -> dict:
    return {
        "organisation": record.organisation_name,
        "organisation_slug": record.organisation,
        "wording": record.statement,
        "given_at": _when(record.opted_in_at),
    }


def _when(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None
