"""What the organisers' figures say after a failed staff test send, and after a staff retry of
a failed letter or copy: the relay runs here, against a mail server that answers as told."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.mail import PermanentMailError
from action_app.models import Campaign, MessageKind, MessageStatus, OutboundMessage, StatsCounter
from action_app.registry import registry_of
from action_app.services import outbox
from action_app.services.campaign_cache import cached_campaign, campaign_snapshot
from action_app.services.lookup import list_seats
from action_app.services.submissions import LetterInput, find_letter, submit_draft
from action_app.services.test_send import queue_test_letter
from action_app.stats.figures import read_figures
from tests.conftest import prepare_journey
from tests.drafts import recipients, write_draft
from tests.public.conftest import set_campaign
from workers.tasks import relay_outbox_task


class Answers:
    """The mail server: answers each send with the next of ``answers`` (None takes the
    message, an exception refuses it), then takes everything."""

    def __init__(self, *answers):
        self.answers = list(answers)

    def send(self, mail):
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer

    def close(self):
        pass


@pytest.fixture
def mail_server(app, monkeypatch):
    def answer(*errors):
        monkeypatch.setattr(registry_of(app), "mail_transport", Answers(*errors))

    return answer


def _counters(campaign_id: int) -> list[tuple]:
    return sorted(
        db.session.execute(
            select(StatsCounter.dimension, StatsCounter.metric, StatsCounter.value).where(
                StatsCounter.campaign_id == campaign_id, StatsCounter.value != 0
            )
        ).all()
    )


def test_a_failed_staff_test_send_is_not_counted(app, mail_server):
    campaign = prepare_journey(app)
    campaign_id = campaign.id
    snapshot = campaign_snapshot(campaign)
    seat = next(s for s in list_seats() if s.member and s.member.email)
    editor = SimpleNamespace(email="editor@example.org")
    typed = LetterInput(name="Sam", email="sam@example.org", address_line_1="1 Road", town="T")
    queue_test_letter(db.session.get(Campaign, campaign_id), seat, typed, editor)
    db.session.commit()
    mail_server(PermanentMailError("550 no such mailbox"))
    relay_outbox_task.run()
    db.session.expire_all()
    status = db.session.scalar(select(OutboundMessage.status).where(OutboundMessage.kind == "mp"))
    assert status == MessageStatus.FAILED  # it did fail
    assert _counters(campaign_id) == []
    assert read_figures(snapshot).headline.failed == 0


MINISTER = {"name": "Minister for Libraries", "email": "minister@dcms.example.gov.uk"}


@pytest.mark.parametrize("kind", [MessageKind.MP, MessageKind.COPY])
def test_a_failed_message_retried_and_delivered_is_counted_once_as_sent(app, mail_server, kind):
    """Staff retry a failed letter (or copy) and it gets through: one delivered letter, not
    also a failed one, in every figure."""
    prepare_journey(app)
    if kind == MessageKind.COPY:
        set_campaign(target={"type": "constituency_mp", "also": MINISTER})
    campaign = cached_campaign("test-campaign")
    letter = find_letter(write_draft(campaign, recipients(campaign)[0], "retry-1"), campaign.id)
    submit_draft(letter, require_confirmation=False)
    db.session.commit()
    refused = PermanentMailError("550 mailbox full")
    # The letter to the MP is sent first, then its copy.
    mail_server(*([refused] if kind == MessageKind.MP else [None, refused]))
    relay_outbox_task.run()
    failed = db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.kind == kind, OutboundMessage.status == MessageStatus.FAILED
        )
    ).one()
    failed_id = failed.id
    outbox.retry(failed)  # staff press Retry in the outbox
    db.session.commit()
    mail_server()
    relay_outbox_task.run()
    db.session.expire_all()
    assert db.session.get(OutboundMessage, failed_id).status == MessageStatus.SENT
    figures = read_figures(campaign)
    if kind == MessageKind.MP:
        assert (figures.headline.sent, figures.headline.failed) == (1, 0)
        assert all(row.failed == 0 for row in figures.constituencies + figures.sources)
    else:
        assert [(c.sent, c.failed) for c in figures.copies] == [(1, 0)]


def test_the_tasks_time_running_out_mid_send_never_fails_the_letter(app, mail_server):
    """Celery's soft time limit is an ordinary exception raised wherever the task is: during
    a send it must not count as the letter's failure (no failure notice to the supporter).
    The message stays claimed, as if the worker had died, for its lease to bring it back."""
    from celery.exceptions import SoftTimeLimitExceeded

    campaign = campaign_snapshot(prepare_journey(app))
    letter = find_letter(write_draft(campaign, recipients(campaign)[0], "slow-1"), campaign.id)
    submit_draft(letter, require_confirmation=False)
    db.session.commit()
    mail_server(SoftTimeLimitExceeded())
    with pytest.raises(SoftTimeLimitExceeded):
        relay_outbox_task.run()
    db.session.rollback()
    db.session.expire_all()
    messages = db.session.execute(select(OutboundMessage.kind, OutboundMessage.status)).all()
    assert messages == [("mp", "sending")]  # claimed, leased; no failure, no notice
