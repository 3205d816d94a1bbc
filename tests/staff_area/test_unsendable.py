"""A letter that can no longer be sent is never sent: not by a staff retry or release, and not
by the relay if a message of it is queued anyway. Two ways a letter stops: the address's owner
says they did not write it ("I did not send this"), or the person's data is erased."""

from __future__ import annotations

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, OutboundMessage
from action_app.models.types import utcnow
from action_app.services import owner
from action_app.services.people import erase_person
from tests.html import text
from tests.journey import send, write_letter
from tests.staff_area.test_outbox_directory import _post, editor  # noqa: F401  (a fixture)
from workers.tasks import send_letter_task

MP_ADDRESS = "rachel.blake.mp@parliament.uk"


def _mp_message(letter_id: int) -> OutboundMessage:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.letter_id == letter_id, OutboundMessage.kind == MessageKind.MP
        )
    ).one()


def _queue_anyway(message: OutboundMessage) -> None:
    """As a retry from before the fix, or a race with one, would leave it."""
    message.status = MessageStatus.PENDING
    message.next_attempt_at = utcnow()
    db.session.commit()


def test_a_disowned_letter_is_never_retried_to_the_mp(app, editor, smtp_server):  # noqa: F811
    """The MP's server refused the letter; then the address's owner said they did not write
    it. Retrying the failed message from the outbox must not send it in their name."""
    impostor = app.test_client()
    send(impostor, write_letter(impostor))
    letter = db.session.scalar(select(Letter))
    smtp_server.answer_next(1, "550 5.1.1 Mailbox unavailable")
    send_letter_task.run(letter.id)
    assert _mp_message(letter.id).status == MessageStatus.FAILED
    assert owner.disown(db.session.get(Letter, letter.id)) == "withdrawn"
    db.session.commit()
    smtp_server.clear()

    failed = _mp_message(letter.id)
    retried = _post(editor, f"/staff/outbox/{failed.id}/retry", back="failed")
    assert retried.status_code == 302
    page = text(editor.get(retried.location))
    assert f"Message {failed.id} cannot be sent: its letter is withdrawn." in page
    assert _mp_message(letter.id).status == MessageStatus.FAILED

    _queue_anyway(_mp_message(letter.id))
    send_letter_task.run(letter.id)
    assert smtp_server.wait_for(1, timeout=1.5) == []  # nothing reached the MP, nor Jane
    assert _mp_message(letter.id).status == MessageStatus.CANCELLED


def test_an_erased_persons_held_letter_cannot_be_released_or_sent(
    app, editor, smtp_server  # noqa: F811
):  # fmt: skip
    supporter = app.test_client()
    send(supporter, write_letter(supporter, contact_me_by_fax_only="yes"))  # the honeypot
    letter = db.session.scalar(select(Letter))
    assert letter.status == LetterStatus.HELD
    held = _mp_message(letter.id)
    assert held.status == MessageStatus.HELD
    assert f"#{held.id}" in text(editor.get("/staff/outbox?status=held"))

    erase_person("jane.smith@example.com", None, utcnow())
    db.session.commit()
    db.session.expire_all()
    letter = db.session.get(Letter, letter.id)
    assert letter.status == LetterStatus.REJECTED  # out of the held list for good
    assert _mp_message(letter.id).status == MessageStatus.FAILED
    assert f"#{held.id}" not in text(editor.get("/staff/outbox?status=held"))
    released = _post(editor, f"/staff/outbox/{held.id}/release", back="held")
    assert "Only a held message can be released" in text(editor.get(released.location))
    retried = _post(editor, f"/staff/outbox/{held.id}/retry", back="failed")
    page = text(editor.get(retried.location))
    assert "cannot be sent: the supporter's details were removed" in page

    _queue_anyway(_mp_message(letter.id))
    send_letter_task.run(letter.id)  # no crash on the empty address, and nothing sent
    assert smtp_server.wait_for(1, timeout=1.5) == []
    message = _mp_message(letter.id)
    assert message.status == MessageStatus.FAILED
    assert message.last_error == "not sent: the supporter's details were removed"


def test_a_released_held_letter_is_counted_as_sent_would_have_counted_it(
    app, editor, smtp_server, every_count_shown  # noqa: F811
):  # fmt: skip
    """Held at Send, nothing was counted; released, it counts as accepted, queued and
    personalised, and its opt-in is kept with its words, as Send would have done."""
    from action_app.models import OptInRecord
    from action_app.services.campaign_cache import cached_campaign
    from action_app.stats.figures import read_figures

    supporter = app.test_client()
    words = "My own words about the library."
    send(supporter, write_letter(
        supporter, contact_me_by_fax_only="x", opt_ins=["friends"], personal_paragraph=words,
    ))  # fmt: skip
    letter = db.session.scalar(select(Letter))
    assert letter.status == LetterStatus.HELD
    campaign = cached_campaign("test-campaign")
    before = read_figures(campaign).headline
    assert (before.accepted, before.queued, before.personalised) == (0, 0, 0)

    released = _post(editor, f"/staff/outbox/{_mp_message(letter.id).id}/release", back="held")
    assert released.status_code == 302
    send_letter_task.run(letter.id)
    assert len(smtp_server.wait_for(2)) == 2  # the letter and its receipt
    figures = read_figures(campaign)
    headline = figures.headline
    assert (headline.accepted, headline.queued, headline.personalised) == (1, 1, 1)
    assert headline.sent == 1
    assert [(slug, n) for slug, _, n in figures.opt_ins if slug == "friends"] == [("friends", 1)]
    (record,) = db.session.scalars(select(OptInRecord)).all()
    assert (record.letter_id, record.organisation) == (letter.id, "friends")
