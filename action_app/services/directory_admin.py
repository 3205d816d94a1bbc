"""The MP directory for staff: search, vacancies and missing emails, email overrides, and a
sync started from the browser whose progress is kept where any web process can read it."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from action_app.extensions import db
from action_app.inputs import control_character
from action_app.kv import get_store
from action_app.models import Constituency, DirectoryUpdate, Member
from action_app.services import audit

FILTERS = ("all", "vacant", "no_email", "overridden")
JOB_TTL = 24 * 3600


@dataclass(frozen=True)
class SeatRow:
    seat: Constituency
    member: Member | None


def search(query: str = "", which: str = "all", limit: int = 200) -> list[SeatRow]:
    """Seats and their sitting MPs, matching a name or constituency, filtered."""
    statement = (
        select(Constituency)
        .outerjoin(Member, (Member.constituency_id == Constituency.id) & Member.is_current)
        .options(contains_eager(Constituency.members))
        .order_by(Constituency.name)
    )
    words = query.strip()
    if words:
        pattern = f"%{words}%"
        statement = statement.where(
            or_(Constituency.name.ilike(pattern), Member.display_name.ilike(pattern))
        )
    if which == "vacant":
        statement = statement.where(Member.id.is_(None))
    elif which == "no_email":
        statement = statement.where(
            Member.id.is_not(None), or_(Member.email.is_(None), Member.email == "")
        )
    elif which == "overridden":
        statement = statement.where(Member.email_override.is_not(None))
    seats = db.session.scalars(statement).unique().all()[:limit]
    return [SeatRow(s, next((m for m in s.members if m.is_current), None)) for s in seats]


def latest_update() -> DirectoryUpdate | None:
    """The newest sync or import, with its summary."""
    return db.session.scalar(select(DirectoryUpdate).order_by(DirectoryUpdate.id.desc()).limit(1))


def set_email_override(member: Member, email: str, note: str) -> None:
    """Use this address for the MP from now on, whatever later syncs say; an empty address
    removes the override (the next sync brings the source's address back)."""
    email = email.strip()
    note = note.strip()
    if (found := control_character(note)) is not None:
        raise ValueError(f"Remove the control character ({found}) from why it is overridden")
    before = member.email
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError(
                "Enter an email address in the correct format, like name@parliament.uk"
            ) from None
        if not note:
            raise ValueError("Say why the address is overridden, so the next person knows")
        member.email_override = email
        member.email_override_note = note[:2000]
        member.email = email
    else:
        member.email_override = None
        member.email_override_note = None
    audit.record(
        "mp_email_override",
        f"member {member.id} {member.display_name}",
        details={"before": before, "after": email or None},
        note=note,
    )
    # A new directory version, so every process's snapshot picks the address up.
    db.session.add(DirectoryUpdate(source="override", summary={"member": member.id}))
    db.session.flush()


def new_sync_job() -> str:
    """An id for a sync started from the browser, with its first state recorded."""
    job = secrets.token_urlsafe(9)
    write_job(job, {"state": "queued"})
    audit.record("directory_sync", job)
    return job


def write_job(job: str, state: dict) -> None:
    """Record a sync's progress or outcome."""
    get_store().set(f"directory-sync:{job}", json.dumps(state), JOB_TTL)


def read_job(job: str) -> dict | None:
    """A sync's progress or outcome, if known."""
    raw = get_store().get(f"directory-sync:{job}")
    return json.loads(raw) if raw else None


def job_progress(job: str):
    """A progress callback for ``sync_members`` that records each stage."""

    def progress(stage: str, done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            write_job(job, {"state": "running", "stage": stage, "done": done, "total": total})

    return progress
