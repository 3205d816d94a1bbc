"""Counting letters as they move, in the same transaction that moves them.

Every change a dashboard shows is one upsert of a few ``stats_counters`` rows: per constituency
(accepted, queued, confirmed, personalised, sent, failed, expired, reply answers), per source
(queued, sent, failed), per UTC hour (sent) and per organisation (opt-ins). Rows are written in
one sorted order, so two transactions never wait on each other in a cycle. Party, nation and
region are not stored: they come from the directory when the figures are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from action_app.extensions import db
from action_app.i18n import in_language
from action_app.models import Letter, MessageKind, OptInRecord, StatsCounter
from action_app.registry import current_registry
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign_by_id
from action_app.services.consent import opt_in_wording
from action_app.services.letters import Supporter, recipient_for, render_letter
from action_app.sql import run_in_transaction, upsert
from action_app.stats.store import Counter

CONSTITUENCY, SOURCE, HOUR, ORGANISATION = "constituency", "source", "hour", "organisation"
# Copies to a campaign's additional fixed recipient, by its key ("fixed:<email>"): counted apart
# from the letters, so a letter that reached its MP and the minister is still one letter.
RECIPIENT = "recipient"


# Core, built once: no ORM objects to build for a plain insert, and one compiled statement.
_INSERT_OPT_IN = OptInRecord.__table__.insert()


def hour_bucket(moment: datetime) -> str:
    """The UTC hour a moment falls in, as the counters name it."""
    return moment.strftime("%Y-%m-%dT%H")


def in_order(counts: Iterable[Counter]) -> list[Counter]:
    """The counters as they are written: one per row (the last of any repeated), in the one
    sorted order every writer uses."""
    return sorted({(c.dimension, c.bucket, c.metric): c for c in counts}.values())


def add_counts(campaign_id: int, counts: Iterable[Counter]) -> None:
    """Add to the campaign's counters in one statement (flushes with the caller's work)."""
    rows = in_order(counts)
    if not rows:
        return
    statement = upsert(
        db.session.get_bind().dialect.name,
        StatsCounter.__table__,
        index=("campaign_id", "dimension", "bucket", "metric"),
        increment=("value",),
    )
    run_in_transaction(
        db.session,
        statement,
        [
            {
                "campaign_id": campaign_id,
                "dimension": c.dimension,
                "bucket": c.bucket,
                "metric": c.metric,
                "value": c.amount,
            }
            for c in rows
        ],
    )


def _seat(letter: Letter) -> str:
    return str(letter.constituency_id or 0)


def count_letter_accepted(letter: Letter, when: datetime, *, queued: bool) -> None:
    """The supporter pressed send; ``queued`` when no email confirmation is asked for (then
    both are counted in one statement)."""
    if queued:
        counts, opt_ins = accepted_and_queued(letter, when)
        _insert_opt_ins(opt_ins)
    else:
        counts = [Counter(CONSTITUENCY, _seat(letter), "accepted")]
    add_counts(letter.campaign_id, counts)


def accepted_and_queued(letter: Letter, when: datetime) -> tuple[list[Counter], list[dict]]:
    """What a letter sent without an email confirmation adds, not yet written: its counters
    and its opt-in records (``first_send`` writes both in its one statement)."""
    counts, opt_ins = _queued(letter, when, confirmed_by_supporter=False)
    return [Counter(CONSTITUENCY, _seat(letter), "accepted"), *counts], opt_ins


def count_letter_queued(letter: Letter, when: datetime, *, confirmed_by_supporter: bool) -> None:
    """The letter is on its way to the MP: count it, whether it was personalised, its opt-ins
    (keeping the exact words agreed to), and the supporter's confirmation if one was asked."""
    counts, opt_ins = _queued(letter, when, confirmed_by_supporter)
    _insert_opt_ins(opt_ins)
    add_counts(letter.campaign_id, counts)


def _queued(
    letter: Letter, when: datetime, confirmed_by_supporter: bool
) -> tuple[list[Counter], list[dict]]:
    """The counters a letter queued adds, and its opt-in records' rows."""
    campaign = cached_campaign_by_id(letter.campaign_id)
    seat = _seat(letter)
    counts = [
        Counter(CONSTITUENCY, seat, "queued"),
        Counter(SOURCE, letter.source or "", "queued"),
    ]
    if confirmed_by_supporter:
        counts.append(Counter(CONSTITUENCY, seat, "confirmed"))
    if campaign is not None and is_personalised(letter, campaign):
        counts.append(Counter(CONSTITUENCY, seat, "personalised"))
    opt_ins = _opt_in_rows(letter, campaign, letter.submitted_at or when)
    opted = [Counter(ORGANISATION, row["organisation"], "opt_ins") for row in opt_ins]
    return counts + opted, opt_ins


def count_letter_sent(letter: Letter, when: datetime) -> None:
    """The MP's mail server accepted the letter."""
    add_counts(letter.campaign_id, sent_counters(letter, when))


def sent_counters(letter: Letter, when: datetime) -> list[Counter]:
    """What one delivered letter adds (a relay adds a batch's together, ``merge``d)."""
    return [
        Counter(CONSTITUENCY, _seat(letter), "sent"),
        Counter(SOURCE, letter.source or "", "sent"),
        Counter(HOUR, hour_bucket(when), "sent"),
    ]


def count_letter_failed(letter: Letter, amount: int = 1) -> None:
    """The letter could not be delivered and will not be tried again (``amount=-1``: staff
    retry it after all, so it is not failed any more; what becomes of it is counted then)."""
    add_counts(
        letter.campaign_id,
        [
            Counter(CONSTITUENCY, _seat(letter), "failed", amount),
            Counter(SOURCE, letter.source or "", "failed", amount),
        ],
    )


def count_letter_withdrawn(letter: Letter, *, stage: str | None) -> None:
    """The address's owner said they did not write this letter ("I did not send this").
    ``stage``: how far its counts had gone, so the figures stop waiting for it: "queued"
    (counted on its way, not delivered), "accepted" (counted, awaiting confirmation), or None
    (delivered already, or never counted). Its opt-ins, recorded as it was queued, are taken
    back either way: they were someone else's words in the owner's name."""
    counts = [
        Counter(ORGANISATION, slug, "opt_ins", -1)
        for slug in db.session.scalars(
            select(OptInRecord.organisation).where(OptInRecord.letter_id == letter.id)
        )
    ]
    if stage is not None:
        counts.append(Counter(CONSTITUENCY, _seat(letter), f"withdrawn_{stage}"))
    add_counts(letter.campaign_id, counts)


def count_letter_redirected(letter: Letter, *, personalised: bool) -> None:
    """A letter counted on its way (accepted, queued), then held before it went and replaced by
    a new draft to the postcode's MP (the real-mp link): what it was counted as is taken back,
    since the new draft is counted when it is sent, so one supporter's letter is one letter.
    ``personalised``: whether it was counted as such (the new draft's words say, being the
    same words with the MP's names replaced). Its opt-ins are taken back too: the new draft
    records them again."""
    if not counted_on_its_way(letter):
        return
    seat = _seat(letter)
    counts = [
        Counter(CONSTITUENCY, seat, "accepted", -1),
        Counter(CONSTITUENCY, seat, "queued", -1),
        Counter(SOURCE, letter.source or "", "queued", -1),
    ]
    # Queued by its owner's link (confirm_letter), which counts the confirmation too.
    if any(m.kind in (MessageKind.CONFIRMATION, MessageKind.ADDRESS_USED) for m in letter.messages):
        counts.append(Counter(CONSTITUENCY, seat, "confirmed", -1))
    if personalised:
        counts.append(Counter(CONSTITUENCY, seat, "personalised", -1))
    counts += [
        Counter(ORGANISATION, slug, "opt_ins", -1)
        for slug in db.session.scalars(
            select(OptInRecord.organisation).where(OptInRecord.letter_id == letter.id)
        )
    ]
    add_counts(letter.campaign_id, merge(counts))


def counted_on_its_way(letter: Letter) -> bool:
    """Counted accepted and queued when its supporter sent it (or its owner confirmed it), and
    then held before it went (the seat check, or its MP leaving the seat): no other held letter
    was counted, and a letter the supporter sends themselves is counted apart."""
    return letter.confirmed_at is not None and letter.sent_by is None


def count_letters_stopped(letters: Iterable[Letter]) -> None:
    """Letters counted on their way that will now never be sent (staff rejected them, or their
    details were scrubbed while they were held): they stay accepted and queued, since their
    supporters did write them, and the figures stop waiting for them, as for a disowned one."""
    by_campaign: dict[int, list[Counter]] = {}
    for letter in letters:
        if counted_on_its_way(letter):
            counter = Counter(CONSTITUENCY, _seat(letter), "withdrawn_queued")
            by_campaign.setdefault(letter.campaign_id, []).append(counter)
    for campaign_id, counts in by_campaign.items():
        add_counts(campaign_id, merge(counts))


def count_copy_sent(letter: Letter, when: datetime) -> None:
    """The copy's recipient's mail server accepted it."""
    add_counts(letter.campaign_id, [Counter(RECIPIENT, letter.copy_key or "", "sent")])


def count_copy_failed(letter: Letter, amount: int = 1) -> None:
    """The copy could not be delivered and will not be tried again (``amount=-1``: retried)."""
    add_counts(letter.campaign_id, [Counter(RECIPIENT, letter.copy_key or "", "failed", amount)])


def count_letters_expired(rows: Iterable[tuple[int, int | None]]) -> None:
    """Letters deleted unconfirmed, given as (campaign id, constituency id) pairs."""
    by_campaign: dict[int, list[Counter]] = {}
    for campaign_id, constituency_id in rows:
        by_campaign.setdefault(campaign_id, []).append(
            Counter(CONSTITUENCY, str(constituency_id or 0), "expired")
        )
    for campaign_id, counts in by_campaign.items():
        add_counts(campaign_id, merge(counts))


def count_reply_answer(campaign_id: int, constituency_id: int, answer: str) -> None:
    """A supporter told us whether their MP replied."""
    add_counts(campaign_id, [Counter(CONSTITUENCY, str(constituency_id), f"reply_{answer}")])


def count_reply_asked(campaign_id: int, constituency_id: int) -> None:
    """A supporter was sent the "did your MP reply?" email."""
    add_counts(campaign_id, [Counter(CONSTITUENCY, str(constituency_id), "reply_asked")])


def merge(counts: list[Counter]) -> list[Counter]:
    """The same counters added together, one row each."""
    merged: dict[tuple[str, str, str], int] = {}
    for c in counts:
        key = (c.dimension, c.bucket, c.metric)
        merged[key] = merged.get(key, 0) + c.amount
    return [Counter(*key, amount) for key, amount in merged.items()]


def is_personalised(letter: Letter, campaign: CampaignSnapshot) -> bool:
    """Did the supporter add their own words, or change the campaign's text?"""
    if letter.personal_paragraph.strip():
        return True
    if not campaign.body_editable:
        return False
    snapshot = current_registry().directory_snapshot.get()
    seat = snapshot.by_id.get(letter.constituency_id)
    recipient = recipient_for(campaign, seat) if seat is not None else None
    if recipient is None:
        return False
    lines = tuple(x for x in (letter.address_line_1, letter.address_line_2, letter.town) if x)
    supporter = Supporter(name=letter.supporter_name, address_lines=lines, postcode=letter.postcode)
    parts = render_letter(campaign, recipient, supporter)
    written = (letter.subject, letter.body_before, letter.body_after)
    return tuple(_squash(x) for x in written) != tuple(
        _squash(x) for x in (parts.subject, parts.before, parts.after)
    )


def _squash(text: str) -> str:
    return " ".join(text.split())


def _opt_in_rows(
    letter: Letter, campaign: CampaignSnapshot | None, opted_in_at: datetime
) -> list[dict]:
    """Each opt-in the supporter ticked, as its record's row: with the exact words beside the
    box, as they read them."""
    if campaign is None or not letter.opt_ins:
        return []
    offered = {o["slug"]: o for o in campaign.organisations}
    chosen = [slug for slug in dict.fromkeys(letter.opt_ins) if slug in offered]
    if not chosen:
        return []
    # The words as the supporter read them: in the letter's language, even when a member of
    # staff releases a held letter from an English page.
    with in_language(letter.language):
        statements = {slug: opt_in_wording(offered[slug]) for slug in chosen}
    return [
        {
            "letter_id": letter.id,
            "campaign_id": letter.campaign_id,
            "organisation": slug,
            "organisation_name": offered[slug].get("name", slug),
            "statement": statements[slug],
            "opted_in_at": opted_in_at,
        }
        for slug in chosen
    ]


def _insert_opt_ins(rows: list[dict]) -> None:
    if rows:
        run_in_transaction(db.session, _INSERT_OPT_IN, rows)
