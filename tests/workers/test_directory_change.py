"""A letter waiting in the outbox goes to whoever sits for its seat when it is sent: a new
address of the same MP is used; an MP who has left the seat (vacant, or another member) gets
nothing, and the letter is held for a person with the reason, with no receipt."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, Member, OutboundMessage, StaffUser
from action_app.registry import registry_of
from action_app.services import directory_admin, held_letters, lookup
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.letters import recipient_for
from action_app.services.lookup import list_seats
from action_app.services.seat_check import real_mp_token
from action_app.services.staff_preview import sample_supporter
from action_app.services.submissions import find_letter, submit_draft
from action_app.services.test_send import queue_test_letter
from tests.conftest import sync_directory
from tests.drafts import recipients, write_draft
from tests.html import post_form, text, title
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


def assert_held_unsent(letter_id, recipient, smtp_server, seat_name) -> str:
    """Held, no receipt, nothing to any MP: only the notice to the supporter, whose link it
    gives back."""
    letter = db.session.get(Letter, letter_id)
    assert letter.status == "held"
    assert letter.hold_reason == f"not sent: {recipient.name} is no longer the MP for {seat_name}"
    kinds = {m.kind: m.status for m in letter.messages}
    assert kinds == {"mp": "held", "mp_left": "sent"}  # no receipt: nothing was delivered
    assert letter.mp_message().last_error == letter.hold_reason
    (notice,) = smtp_server.wait_for(1)
    assert smtp_server.wait_for(2, timeout=1) == [notice]
    assert notice.rcpt_tos == ["sam@example.org"]
    assert notice.message["Subject"] == (
        f"Your letter has not been sent: {recipient.name} is no longer the MP for {seat_name}"
    )
    content = notice.message.get_content()
    assert "so we have not sent it" in content
    return re.search(r"https://write\.example\.org(/c/test-campaign/real-mp/\S+)", content)[1]


def test_a_letter_to_an_mp_who_left_a_now_vacant_seat_is_held(
    app, live_campaign, members_dataset, smtp_server
):
    letter_id, recipient = waiting_letter(live_campaign)
    leave_seat(members_dataset, recipient.member_id)
    resync(app)
    assert db.session.get(Member, recipient.member_id).is_current is False

    assert relay() == {"mp:held": 1, "mp_left:sent": 1}
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
    assert send_letter_task.run(letter_id) == {"mp:held": 1, "mp_left:sent": 1}
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
    assert _headline()[:3] == (1, 1, 1)  # accepted, queued, waiting to be sent
    held_letters.reject(letter_id)
    db.session.commit()
    assert relay() == {}
    letter = db.session.get(Letter, letter_id)
    assert letter.status == "rejected" and letter.mp_message().status == "cancelled"
    assert [m.rcpt_tos for m in smtp_server.received] == [["sam@example.org"]]  # the notice
    # It was written and sent on its way, so it stays counted; but nothing waits for it now
    assert _headline() == (1, 1, 0, 0, 0)


def test_scrubbing_a_letter_held_because_its_mp_left_stops_it_waiting_in_the_figures(
    app, live_campaign, members_dataset, smtp_server
):
    from action_app.models.types import utcnow
    from action_app.services.scrub import scrub_letters

    letter_id, recipient = waiting_letter(live_campaign)
    leave_seat(members_dataset, recipient.member_id)
    resync(app)
    relay()
    assert _headline()[:3] == (1, 1, 1)
    scrub_letters([letter_id], utcnow())
    db.session.commit()
    assert db.session.get(Letter, letter_id).status == "rejected"
    assert _headline() == (1, 1, 0, 0, 0)


def _headline() -> tuple[int, ...]:
    """accepted, queued, waiting to be sent, sent, failed: as organisers read them."""
    from action_app.services.campaign_cache import cached_campaign
    from action_app.stats.figures import read_figures

    h = read_figures(cached_campaign("test-campaign")).headline
    return h.accepted, h.queued, h.pending, h.sent, h.failed


def successor_of(dataset, member_id: int):
    before = dataset.member(member_id)
    return dataclasses.replace(
        before, id=99002, name_display_as="Robin Successor", name_list_as="Successor, Robin",
        name_full_title="Robin Successor MP", name_address_as="Robin Successor",
        email="robin.successor.mp@parliament.uk",
    )  # fmt: skip


def letter_from_the_seat(app, campaign_row, members_dataset) -> tuple[int, object, str]:
    """A waiting letter to the MP for SW1A 1AA (the postcode the test letters give), who is
    addressed by a title, not their name; and that title."""
    found = lookup.find_mp_for_postcode("SW1A 1AA")
    i = next(i for i, m in enumerate(members_dataset.members) if m.id == found.seat.member.id)
    members_dataset.members[i] = dataclasses.replace(
        members_dataset.members[i], name_address_as="The Member for the Test Seat"
    )
    members_dataset.reindex()
    resync(app)
    campaign = campaign_snapshot(campaign_row)
    recipient = recipient_for(campaign, lookup.find_mp_for_postcode("SW1A 1AA").seat)
    public_id = write_draft(campaign, recipient, "mp-left-1")
    letter = find_letter(public_id, campaign.id)
    submit_draft(letter, require_confirmation=False)
    db.session.commit()
    called = db.session.get(Member, recipient.member_id).address_as
    assert called == "The Member for the Test Seat"
    assert f"Dear {called}," in letter.body_before  # as the campaign's letter opens
    return letter.id, recipient, called


def test_the_supporter_is_told_and_can_send_it_to_the_seats_new_mp_instead(
    app, live_campaign, members_dataset, smtp_server
):
    letter_id, recipient, called = letter_from_the_seat(app, live_campaign, members_dataset)
    leave_seat(
        members_dataset, recipient.member_id, successor_of(members_dataset, recipient.member_id)
    )
    resync(app)
    assert relay() == {"mp:held": 1, "mp_left:sent": 1}
    link = assert_held_unsent(letter_id, recipient, smtp_server, recipient.constituency_name)

    browser = app.test_client()  # the supporter's mail app opens it anywhere
    offer = browser.get(link)
    assert title(offer).startswith("Send your letter to Robin Successor")
    assert "The letter you wrote to " + recipient.name + " has not been sent" in text(offer)
    form = post_form(offer)
    check = browser.post(form["action"], data=form["fields"])
    check_page = browser.get(check.headers["Location"])
    words = text(check_page)
    assert "Robin Successor robin.successor.mp@parliament.uk" in words
    assert "1 Road" in words  # the supporter's details came with it
    assert recipient.name not in words and f"Dear {called}" not in words
    done = post_form(check_page)
    browser.post(done["action"], data=done["fields"])
    assert relay() == {"mp:sent": 1, "receipt:sent": 1}
    assert smtp_server.wait_for(3)[1].rcpt_tos == ["robin.successor.mp@parliament.uk"]
    assert db.session.get(Letter, letter_id).status == "withdrawn"
    assert title(browser.get(link)).startswith("This letter has been dealt with")


def test_a_vacant_seat_says_so_behind_the_link_and_writes_nothing(
    app, live_campaign, members_dataset, smtp_server
):
    letter_id, recipient, _ = letter_from_the_seat(app, live_campaign, members_dataset)
    leave_seat(members_dataset, recipient.member_id)
    resync(app)
    relay()
    link = assert_held_unsent(letter_id, recipient, smtp_server, recipient.constituency_name)
    page = app.test_client().get(link)
    assert title(page).startswith("We cannot send your letter to your MP")
    assert "which has no MP at the moment" in text(page)
    form_posted = app.test_client().post(link, data={})
    assert form_posted.status_code in (200, 400)
    assert db.session.scalar(select(Letter).where(Letter.id > letter_id)) is None
    assert db.session.get(Letter, letter_id).status == "held"


def test_only_a_letter_held_because_its_mp_left_can_be_redirected(
    app, live_campaign, members_dataset, smtp_server
):
    """A letter held for another reason (here: the MP has no address now, for staff to mend)
    gets no notice, and a link made for it anyway changes nothing."""
    letter_id, recipient, _ = letter_from_the_seat(app, live_campaign, members_dataset)
    change_address(members_dataset, recipient.member_id, "")
    resync(app)
    assert relay() == {"mp:held": 1}
    assert smtp_server.wait_for(1, timeout=1) == []
    letter = db.session.get(Letter, letter_id)
    page = app.test_client().get(f"/c/test-campaign/real-mp/{real_mp_token(letter)}")
    assert_still_held_for_staff(page, recipient)


def assert_still_held_for_staff(page, recipient) -> None:
    """The real-MP page of a letter that is still held, but not for its link to mend: it has
    not been sent, staff will look at it, and the supporter need do nothing; never that it was
    dealt with, and no button."""
    assert page.status_code == 200
    assert title(page).startswith("Your letter has not been sent yet")
    words = text(page)
    assert f"A member of the campaign team will look at your letter to {recipient.name}" in words
    assert "a copy will come to sam@example.org" in words
    assert "dealt with" not in words
    assert 'method="post"' not in page.get_data(as_text=True)  # nothing to press


def test_a_held_letter_whose_mp_came_back_is_not_said_to_be_dealt_with(
    app, live_campaign, members_dataset, smtp_server
):
    """The MP left and the supporter was told; the MP is back for the seat (a by-election,
    or the directory mended) before they open the link. The letter is still held for staff,
    so the page says it has not been sent yet, in English and in Welsh, and pressing a
    button that is not there writes nothing."""
    letter_id, recipient = waiting_letter(live_campaign)
    members, seats = list(members_dataset.members), list(members_dataset.constituencies)
    leave_seat(members_dataset, recipient.member_id)
    resync(app)
    assert relay() == {"mp:held": 1, "mp_left:sent": 1}
    link = assert_held_unsent(letter_id, recipient, smtp_server, recipient.constituency_name)
    members_dataset.members[:], members_dataset.constituencies[:] = members, seats
    members_dataset.reindex()
    resync(app)
    assert db.session.get(Member, recipient.member_id).is_current is True

    browser = app.test_client()
    assert_still_held_for_staff(browser.get(link), recipient)
    welsh = browser.get(link + "?lang=cy")
    assert title(welsh).startswith("Nid yw eich llythyr wedi cael ei anfon eto")
    browser.post(link, data={})
    assert db.session.scalar(select(Letter).where(Letter.id > letter_id)) is None
    db.session.expire_all()
    assert db.session.get(Letter, letter_id).status == "held"


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
