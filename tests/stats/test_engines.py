"""The counters work the same in embedded mode (SQLite) and production (PostgreSQL)."""

from __future__ import annotations

from action_app.extensions import db
from action_app.services.campaign_cache import cached_campaign
from action_app.stats.figures import read_figures
from action_app.stats.serialise import stats_document
from tests.conftest import prepare_journey
from tests.fakes import EXAMPLE_POSTCODES
from tests.stats.helpers import write_and_send


def test_letters_are_counted_on_both_engines(any_app, fake_members, every_count_shown):
    prepare_journey(any_app)
    write_and_send(any_app, EXAMPLE_POSTCODES["england"], "ann@example.com",
                   personal="Mine.", opt_ins=("friends",), source="partner-a")  # fmt: skip
    write_and_send(any_app, EXAMPLE_POSTCODES["wales"], "bob@example.com")
    db.session.remove()
    figures = read_figures(cached_campaign("test-campaign"))
    h = figures.headline
    assert (h.accepted, h.queued, h.pending, h.personalised) == (2, 2, 2, 1)
    assert figures.opt_ins[0][2] == 1
    assert {r.key: r.queued for r in figures.sources} == {"partner-a": 1, "": 1}
    assert stats_document(figures)["headline"]["accepted"] == 2
