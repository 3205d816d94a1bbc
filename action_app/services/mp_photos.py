"""MPs' photos: fetched from the Members API when the directory is synced, stored, and served by
us (``/mp-photos/<id>``), each shown beside the MP's name with an empty alt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from action_app.clients.members_api import MembersApiClient
from action_app.extensions import db
from action_app.models import Member, MemberPhoto
from action_app.models.types import utcnow
from action_app.registry import current_registry

log = logging.getLogger(__name__)


def sync_photos(client: MembersApiClient, on_done: Callable[[int, int], None] | None = None) -> int:
    """Fetch the photo of every current MP who has none yet, or whose thumbnail address has
    changed since; return how many were stored (flushed; the caller commits)."""
    members = db.session.execute(
        select(Member.id, Member.thumbnail_url).where(Member.is_current.is_(True))
    ).all()
    known = dict(db.session.execute(select(MemberPhoto.member_id, MemberPhoto.source_url)).all())
    wanted = [
        (m.id, m.thumbnail_url or "") for m in members if known.get(m.id) != (m.thumbnail_url or "")
    ]
    if not wanted:
        return 0
    stored = 0
    with ThreadPoolExecutor(max_workers=client.concurrency) as pool:
        answers = pool.map(client.fetch_thumbnail, [member_id for member_id, _ in wanted])
        for done, ((member_id, source), answer) in enumerate(zip(wanted, answers, strict=True), 1):
            if answer is not None:
                _store(member_id, source, *answer)
                stored += 1
            if on_done:
                on_done(done, len(wanted))
    db.session.flush()
    log.info("Stored %d MP photos of %d wanted", stored, len(wanted))
    return stored


def _store(member_id: int, source: str, content_type: str, data: bytes) -> None:
    photo = db.session.get(MemberPhoto, member_id) or MemberPhoto(member_id=member_id)
    photo.content_type, photo.data, photo.source_url = content_type, data, source
    photo.fetched_at = utcnow()
    db.session.add(photo)


def has_photo(member_id: int | None) -> bool:
    """Whether we hold this MP's photo.

    Every your-MP page a process renders asks (nearly every lookup renders one: supporters'
    postcodes rarely repeat), so the ids of the MPs with a photo are read in one query and
    kept for a minute (``photo_members``). Photos are only ever added or replaced, never
    removed, so a kept answer is at most a minute late with a new photo, as the rendered
    pages are."""
    if member_id is None:
        return False
    memo = current_registry().photo_members
    members = memo.get("ids")
    if members is None:
        members = frozenset(db.session.scalars(select(MemberPhoto.member_id)))
        memo.put("ids", members)
    return member_id in members


def photo(member_id: int) -> MemberPhoto | None:
    """The stored photo, if any."""
    return db.session.get(MemberPhoto, member_id)
