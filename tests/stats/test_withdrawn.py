"""A letter its address's owner disowns ("I did not send this") leaves the organisers' figures
and the opt-in export: it is not waiting to be sent, nor held for a confirmation, and the
opt-in ticked in the owner's name is not theirs."""

from __future__ import annotations

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter
from action_app.models.types import utcnow
from action_app.services.campaign_cache import cached_campaign
from action_app.services.owner import not_me_token
from action_app.services.people import erase_person
from action_app.stats.exports import opt_in_csv
from action_app.stats.figures import read_figures
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form
from tests.public.conftest import set_campaign
from tests.stats.helpers import deliver_all, write_and_send

ENGLAND = EXAMPLE_POSTCODES["england"]


def _figures():
    db.session.remove()
    return read_figures(cached_campaign("test-campaign"))


def _disown(app) -> Letter:
    """The owner follows the link in the receipt (or confirmation) and presses the button."""
    token = not_me_token(db.session.scalar(select(Letter)))
    client = app.test_client()
    page = client.get(f"/c/test-campaign/not-me/{token}")
    assert client.post(page.request.path, data=post_form(page)["fields"]).status_code == 200
    db.session.remove()
    return db.session.scalar(select(Letter))


def test_withdrawn_before_it_was_sent_is_not_waiting_to_be_sent(app, campaign):
    write_and_send(app, ENGLAND, "ann@example.com")
    assert _figures().headline.pending == 1
    assert _disown(app).status == "withdrawn"
    deliver_all()  # nothing goes: its messages were cancelled
    headline = _figures().headline
    assert (headline.accepted, headline.queued, headline.sent) == (1, 1, 0)
    assert (headline.pending, headline.held) == (0, 0)


def test_withdrawn_while_awaiting_its_confirmation_is_not_held(app, campaign):
    set_campaign(require_confirmation=True)
    write_and_send(app, ENGLAND, "ann@example.com")
    assert _figures().headline.held == 1
    assert _disown(app).status == "withdrawn"
    headline = _figures().headline
    assert (headline.accepted, headline.held, headline.pending) == (1, 0, 0)


def test_a_disowned_letters_opt_in_is_neither_exported_nor_counted(app, campaign):
    write_and_send(app, ENGLAND, "victim@example.com", opt_ins=("friends",))
    deliver_all()
    campaign_id = cached_campaign("test-campaign").id
    assert "victim@example.com" in "".join(opt_in_csv(campaign_id, "friends"))
    assert dict((slug, n) for slug, _, n in _figures().opt_ins)["friends"] == 1
    assert _disown(app).status == "withdrawn"  # delivered already: the office is told
    assert "victim@example.com" not in "".join(opt_in_csv(campaign_id, "friends"))
    figures = _figures()
    assert dict((slug, n) for slug, _, n in figures.opt_ins)["friends"] == 0
    assert (figures.headline.sent, figures.headline.pending) == (1, 0)  # it was delivered


def test_an_unconfirmed_letter_erased_with_its_person_is_not_held(app, campaign):
    set_campaign(require_confirmation=True)
    write_and_send(app, ENGLAND, "ann@example.com")
    assert _figures().headline.held == 1
    erase_person("ann@example.com", None, utcnow())
    db.session.commit()
    assert db.session.scalar(select(Letter)) is None  # unconfirmed: deleted, not scrubbed
    headline = _figures().headline
    assert (headline.accepted, headline.held) == (1, 0)
