"""The figures follow the letters: counted as they are sent, confirmed, delivered and answered."""

from __future__ import annotations

import csv
import io

from action_app.extensions import db
from action_app.services.campaign_cache import cached_campaign
from action_app.stats.figures import read_figures
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import text
from tests.public.conftest import set_campaign
from tests.staff import sign_in
from tests.stats.helpers import deliver_all, write_and_send

ENGLAND, SCOTLAND, WALES = (EXAMPLE_POSTCODES[n] for n in ("england", "scotland", "wales"))


def _figures():
    db.session.remove()
    return read_figures(cached_campaign("test-campaign"))


def _three_letters(app):
    write_and_send(app, ENGLAND, "ann@example.com", personal="The library taught me to read.",
                   opt_ins=("friends",), source="partner-a")  # fmt: skip
    write_and_send(app, SCOTLAND, "bob@example.com", source="partner-a")
    write_and_send(app, WALES, "cat@example.com")


def test_letters_are_counted_when_sent_and_again_when_delivered(app, campaign, every_count_shown):
    _three_letters(app)
    before = _figures().headline
    assert (before.accepted, before.queued, before.pending, before.sent) == (3, 3, 3, 0)
    assert before.personalised == 1 and before.held == 0 and before.confirmed is None

    deliver_all()
    figures = _figures()
    h = figures.headline
    assert (h.accepted, h.pending, h.sent, h.failed) == (3, 0, 3, 0)
    assert h.constituencies_reached == 3
    assert round(h.personalised_share, 4) == round(1 / 3, 4)
    assert figures.opt_ins == [("friends", "Friends of the Library", 1)]
    assert {r.label: r.sent for r in figures.nations} == {"England": 1, "Scotland": 1, "Wales": 1}
    assert {r.key: r.sent for r in figures.sources} == {"partner-a": 2, "": 1}
    assert sum(v for _, v in figures.hourly) == 3
    assert figures.daily[0][1] == 3 and sum(v for _, v in figures.daily) == 3
    # The days run on to the debate (within a month), so its day is on the chart already.
    assert figures.daily[-1][0].date() == figures.debate_at.date()
    england = next(r for r in figures.constituencies if r.nation == "England")
    assert england.mp and england.party and england.region
    assert {r.label for r in figures.regions} == {england.region}


def test_a_letter_kept_back_for_confirmation_is_held_until_confirmed(app, campaign):
    set_campaign(require_confirmation=True)
    write_and_send(app, ENGLAND, "ann@example.com")
    h = _figures().headline
    assert (h.accepted, h.held, h.queued, h.confirmed) == (1, 1, 0, 0)


def test_an_unedited_letter_is_not_personalised_but_an_edited_one_is(
    app, campaign, every_count_shown
):
    write_and_send(app, ENGLAND, "ann@example.com")
    assert _figures().headline.personalised == 0
    write_and_send(app, SCOTLAND, "bob@example.com", body_before="My own opening words.")
    assert _figures().headline.personalised == 1


def test_the_dashboard_shows_the_figures_and_no_supporter(app, campaign, staff):
    _three_letters(app)
    deliver_all()
    client = app.test_client()
    sign_in(client, "org@example.org")
    page = client.get("/stats/test-campaign")
    assert page.status_code == 200
    words = text(page)
    assert "Letters accepted 3" in words and "Sent to MPs 3" in words
    assert "Constituencies reached 3 of 650" in words
    assert "Friends of the Library 1" in words
    for personal in ("ann@example.com", "Jane Smith", "12 High Street", "library taught me"):
        assert personal not in page.get_data(as_text=True)
    assert "Download supporters" not in words  # organisers never get supporters' details
    assert page.headers["Cache-Control"].startswith("no-store")


def test_every_chart_is_an_svg_image_with_a_text_alternative(app, campaign, staff):
    _three_letters(app)
    deliver_all()
    client = app.test_client()
    sign_in(client, "org@example.org")
    html = client.get("/stats/test-campaign").get_data(as_text=True)
    for name in ("hourly", "daily", "nations", "regions", "parties", "sources", "constituencies"):
        assert f'/stats/test-campaign/charts/{name}.svg" alt="' in html
        chart = client.get(f"/stats/test-campaign/charts/{name}.svg")
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        assert b"<script" not in chart.data
        assert "style-src 'unsafe-inline'" in chart.headers["Content-Security-Policy"]
        assert "script-src" not in chart.headers["Content-Security-Policy"]
        # Staff-only, like every staff answer: no other site may frame it.
        assert "frame-ancestors 'none'" in chart.headers["Content-Security-Policy"]
        assert chart.headers["X-Frame-Options"] == "DENY"
    assert client.get("/stats/test-campaign/charts/nope.svg").status_code == 404


def test_tables_sort_by_the_column_asked_for_without_javascript(app, campaign, staff):
    _three_letters(app)
    write_and_send(app, ENGLAND, "dan@example.com")
    deliver_all()
    client = app.test_client()
    sign_in(client, "org@example.org")
    ascending = client.get("/stats/test-campaign?sort_nations=sent&dir_nations=asc")
    html = ascending.get_data(as_text=True)
    table = html[html.index('id="nations-table"') :]
    assert table.index("Scotland") < table.index("England")
    assert 'aria-sort="ascending"' in table[: table.index("</thead>")]
    descending = client.get("/stats/test-campaign?sort_nations=sent&dir_nations=desc")
    table = descending.get_data(as_text=True)
    table = table[table.index('id="nations-table"') :]
    assert table.index("England") < table.index("Scotland")
    nonsense = client.get("/stats/test-campaign?sort_nations=%3Cscript%3E&dir_nations=sideways")
    assert nonsense.status_code == 200


def test_every_breakdown_downloads_as_csv_with_the_dashboards_figures(app, campaign, staff):
    _three_letters(app)
    deliver_all()
    client = app.test_client()
    sign_in(client, "org@example.org")
    rows = _csv(client, "nations")
    assert {r["label"]: int(r["sent"]) for r in rows} == {"England": 1, "Scotland": 1, "Wales": 1}
    seats = _csv(client, "constituencies")
    assert sum(int(r["sent"]) for r in seats) == 3 and all(r["mp"] for r in seats)
    headline = {r["figure"]: r["value"] for r in _csv(client, "headline")}
    assert headline["sent"] == "3" and headline["accepted"] == "3"
    for name in ("regions", "parties", "sources", "hourly", "daily", "opt-ins"):
        assert client.get(f"/stats/test-campaign/export/{name}.csv").status_code == 200
    assert client.get("/stats/test-campaign/export/secrets.csv").status_code == 404


def _csv(client, name):
    response = client.get(f"/stats/test-campaign/export/{name}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
