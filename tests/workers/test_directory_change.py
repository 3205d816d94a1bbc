"""A letter waiting in the outbox goes to whoever sits for its seat when it is sent: a new
address of the same MP is used; an MP who has left the seat (vacant, or another member) gets
nothing, and the letter is held for a person with the reason, with no receipt."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, Member, OutboundMessage, StaffUser
from action_app.registry import registry_of
from action_app.services import directory_admin, held_letters
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.lookup import list_seats
from action_app.services.staff_preview import sample_supporter
from action_app.services.submissions import find_letter, submit_draft
from action_app.services.test_send import queue_test_letter
from tests.conftest import sync_directory
from tests.drafts import recipients, write_draft
from tests.public.conftest import set_campaign
from workers.tasks import relay_outbox_task, send_letter_task

NEW_ADDRESS = "new.address@parliament.example"
MINISTER = {"name": "Minister for Libraries", "email": "minister@dcms.example.gov.uk"}


def waiting_letter(campaign_row, number: int = 1):
    """A letter sent by its supporter, its message to the MP waiting for the relay; with the
    recipient it was written to."""
    campaign = campaign_snapshot(campaign_row)
    recipient = recipients(campaign)[0]
    public_id = write_draft(campaign, recipient, f"directory-{number}")
    letter = find_letter(public_id, campaign.id)
    submit_draft(letter, require_confirmation=False)
    db.session.commit()
    return letter.id, recipient


def resync(app) -> None:
    """The daily sync, after the Members API's data changed; every cache is cleared, as a
    worker's snapshot is once it sees the directory's new version."""
    sync_directory(app)
    registry_of(app).clear_caches()


def leave_seat(dataset, member_id: int, successor=None) -> None:
    """The MP leaves: their seat is vacant, or held by ``successor`` (a FakeMember)."""
    leaving = dataset.member(member_id)
    dataset.members.remove(leaving)
    if successor is not None:
        dataset.members.append(successor)
    dataset.constituencies[:] = [
        dataclasses.replace(c, current_member_id=successor.id if successor else None)
        if c.current_member_id == member_id
        else c
        for c in dataset.constituencies
    ]
    dataset.reindex()


def change_address(dataset, member_id: int, email: str) -> None:
    i = next(i for i, m in enumerate(dataset.members) if m.id == member_id)
    dataset.members[i] = dataclasses.replace(dataset.members[i], email=email)
    dataset.reindex()


def relay() -> dict:
    db.session.expire_all()
    results = relay_outbox_task.run()
    db.session.expire_all()
    return results


def assert_held_unsent(letter_id, recipient, smtp_server, seat_name):
    letter = db.session.get(Letter, letter_id)
    assert letter.status == "held"
    assert letter.hold_reason == f"not sent: {recipient.name} is no longer the MP for {seat_name}"
    kinds = {m.kind: m.status for m in letter.messages}
    assert kinds == {"mp": "held"}  # no receipt: nothing was delivered
    assert letter.mp_message().last_error == letter.hold_reason
    assert smtp_server.wait_for(1, timeout=1) == []


def test_a_letter_to_an_mp_who_left_a_now_vacant_seat_is_held(
    app, live_campaign, members_dataset, smtp_server
):
    letter_id, recipient = waiting_letter(live_campaign)
    leave_seat(members_dataset, recipient.member_id)
    resync(app)
    assert db.session.get(Member, recipient.member_id).is_current is False

    assert relay() == {"mp:held": 1}
    assert_held_unsent(letter_id, recipient, smtp_server, recipient.constituency_name)


def test_a_letter_to_an_mp_replaced_by_another_is_held_not_sent_to_either(
    app, live_campaign, members_dataset, smtp_server
):
    letter_id, recipient = waiting_letter(live_campaign)
    before = members_dataset.member(recipient.member_id)
    successor = dataclasses.replace(
        before, id=99001, name_display_as="Pat Newcomer", name_list_as="Newcomer, Pat",
        name_full_title="Pat Newcomer MP", name_address_as="Pat Newcomer",
        email="pat.newcomer.mp@parliament.uk",
    )  # fmt: skip
    leave_seat(members_dataset, recipient.member_id, successor)
    resync(app)

    db.session.expire_all()
    assert send_letter_task.run(letter_id) == {"mp:held": 1}
    assert_held_unsent(letter_id, recipient, smtp_server, recipient.constituency_name)


def test_releasing_it_is_refused_while_the_mp_has_left_and_rejecting_it_works(
    app, live_campaign, members_dataset, smtp_server
):
    letter_id, recipient = waiting_letter(live_campaign)
    leave_seat(members_dataset, recipient.member_id)
    resync(app)
    relay()

    with pytest.raises(held_letters.OutboxError, match=r"is no longer the MP for .*reject it"):
        held_letters.release(letter_id)
    db.session.rollback()
    held_letters.reject(letter_id)
    db.session.commit()
    assert relay() == {}
    letter = db.session.get(Letter, letter_id)
    assert letter.status == "rejected" and letter.mp_message().status == "cancelled"
    assert smtp_server.received == []


@pytest.mark.parametrize("how", ["sync", "staff override"])
def test_a_new_address_of_the_same_mp_is_used_and_recorded(
    app, live_campaign, members_dataset, smtp_server, how
):
    letter_id, recipient = waiting_letter(live_campaign)
    if how == "sync":
        change_address(members_dataset, recipient.member_id, NEW_ADDRESS)
        resync(app)
    else:
        member = db.session.get(Member, recipient.member_id)
        with app.test_request_context():
            directory_admin.set_email_override(member, NEW_ADDRESS, "their office wrote to us")
        db.session.commit()
        registry_of(app).clear_caches()

    assert relay() == {"mp:sent": 1, "receipt:sent": 1}
    to_mp, receipt = smtp_server.wait_for(2)
    assert to_mp.rcpt_tos == [NEW_ADDRESS]
    assert to_mp.message["To"].addresses[0].addr_spec == NEW_ADDRESS
    assert receipt.rcpt_tos == ["sam@example.org"]
    letter = db.session.get(Letter, letter_id)
    assert letter.recipient_email == NEW_ADDRESS  # where it went, for staff and the export
    assert letter.recipient_name == recipient.name


def test_an_unchanged_directory_sends_as_before(app, live_campaign, members_dataset, smtp_server):
    letter_id, recipient = waiting_letter(live_campaign)
    resync(app)
    assert relay() == {"mp:sent": 1, "receipt:sent": 1}
    to_mp, _ = smtp_server.wait_for(2)
    assert to_mp.rcpt_tos == [recipient.email]
    letter = db.session.get(Letter, letter_id)
    assert letter.status == "confirmed" and letter.recipient_email == recipient.email
    assert (
        db.session.scalar(select(OutboundMessage.status).where(OutboundMessage.kind == "receipt"))
        == "sent"
    )


def test_a_fixed_recipient_is_not_the_seats_mp_so_a_vacancy_changes_nothing(
    app, live_campaign, members_dataset, smtp_server
):
    set_campaign(target={"type": "fixed", **MINISTER})
    _, recipient = waiting_letter(live_campaign)
    assert recipient.member_id is None
    seat = next(s for s in list_seats() if s.id == recipient.constituency_id)
    leave_seat(members_dataset, seat.member.id)
    resync(app)
    assert next(s for s in list_seats() if s.id == seat.id).vacant

    assert relay() == {"mp:sent": 1, "receipt:sent": 1}
    assert smtp_server.wait_for(2)[0].rcpt_tos == [MINISTER["email"]]


def test_a_staff_test_send_goes_to_the_editor_whoever_sits_now(
    app, live_campaign, members_dataset, smtp_server
):
    editor = StaffUser(email="editor@example.org", role="editor")
    db.session.add(editor)
    seat = list_seats()[0]
    letter_id = queue_test_letter(live_campaign, seat, sample_supporter(), editor)
    db.session.commit()
    leave_seat(members_dataset, seat.member.id)
    resync(app)

    assert relay() == {"mp:test_sent": 1}
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["editor@example.org"]
    assert db.session.get(Letter, letter_id).recipient_email == "editor@example.org"
