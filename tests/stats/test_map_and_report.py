"""The hex map (when a layout is configured) and the per-MP report."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Constituency
from action_app.registry import registry_of
from action_app.stats import hexmap
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import text
from tests.staff import sign_in
from tests.stats.helpers import deliver_all, write_and_send

ENGLAND, SCOTLAND = EXAMPLE_POSTCODES["england"], EXAMPLE_POSTCODES["scotland"]


def _layout(tmp_path, codes) -> str:
    """A small HexJSON file of the test's own: one row of hexes."""
    hexes = {code: {"n": name, "q": i, "r": 0} for i, (code, name) in enumerate(codes)}
    path = tmp_path / "seats.hexjson"
    path.write_text(json.dumps({"layout": "odd-r", "hexes": hexes}))
    return str(path)


def _use_layout(app, monkeypatch, path: str) -> None:
    """HEXMAP_PATH as if it were set in the environment."""
    registry = registry_of(app)
    settings = dataclasses.replace(registry.settings, hexmap_path=path)
    monkeypatch.setattr(registry, "settings", settings)


@pytest.fixture
def organiser(app, staff):
    write_and_send(app, ENGLAND, "ann@example.com", personal="It matters to me.")
    write_and_send(app, SCOTLAND, "bob@example.com")
    deliver_all()
    client = app.test_client()
    sign_in(client, "org@example.org")
    return client


def _seats():
    return [(c.gss_code, c.name) for c in db.session.scalars(
        select(Constituency).where(Constituency.gss_code.is_not(None)).order_by(Constituency.id)
    )]  # fmt: skip


def test_the_map_shades_each_seat_and_names_its_figure(app, organiser, tmp_path, monkeypatch):
    path = _layout(tmp_path, [*_seats(), ("E14999999", "Nowhere Central")])
    _use_layout(app, monkeypatch, path)
    html = organiser.get("/stats/test-campaign").get_data(as_text=True)
    assert 'class="hexmap" role="img" aria-labelledby="hexmap-title"' in html
    assert html.count("<polygon") == len(_seats()) + 1
    assert "Cities of London and Westminster: 1 letter sent</title>" in html
    assert "Nowhere Central: 0 letters sent</title>" in html
    assert "No letters yet" in html  # the legend says in words what each shade means


def test_without_a_layout_or_with_a_broken_one_the_map_is_left_out(
    app, organiser, tmp_path, monkeypatch
):
    assert "hexmap" not in organiser.get("/stats/test-campaign").get_data(as_text=True)
    broken = tmp_path / "broken.hexjson"
    broken.write_text("{not json")
    for path in (str(broken), str(tmp_path / "missing.hexjson")):
        _use_layout(app, monkeypatch, path)
        page = organiser.get("/stats/test-campaign")
        assert page.status_code == 200 and 'class="hexmap"' not in page.get_data(as_text=True)


def test_steps_cover_every_figure_from_one_to_the_largest():
    for largest in (1, 2, 5, 7, 100, 12345):
        ranges = hexmap.steps(largest)
        assert ranges[0][0] == 1 and ranges[-1][1] == largest
        for (_, high), (low, _) in pairwise(ranges):
            assert low == high + 1


def test_the_report_gives_one_mps_figures_and_no_supporter(app, organiser):
    dashboard = organiser.get("/stats/test-campaign").get_data(as_text=True)
    seat = next(r for r in _figures_rows(organiser) if r["nation"] == "England")
    assert f"/stats/test-campaign/mp/{seat['gss_code']}" in dashboard
    page = organiser.get(f"/stats/test-campaign/mp/{seat['gss_code']}")
    assert page.status_code == 200
    words = text(page)
    assert seat["mp"] in words and "Letters sent to this MP 1" in words
    assert "Ask your MP to save it." in words  # the campaign's ask
    # One constituent: whether they personalised their letter is theirs alone to know
    assert "Personalised by the constituent withheld (of 1)" in words
    assert "withheld for any group of fewer than 5 supporters" in words
    html = page.get_data(as_text=True)
    for personal in ("ann@example.com", "Jane Smith", "12 High Street", "It matters to me"):
        assert personal not in html
    assert "stats.css" in html and "@media print" in _css(app)
    report = organiser.get(f"/stats/test-campaign/mp/{seat['gss_code']}.csv")
    rows = dict(csv.reader(io.StringIO(report.get_data(as_text=True))))
    assert rows["sent"] == "1" and rows["mp"] == seat["mp"]
    assert rows["personalised"] == rows["personalised_share"] == "withheld"
    assert rows["withheld"] == "personalised"  # no answers yet: nothing to withhold
    assert "ann@example.com" not in report.get_data(as_text=True)
    assert organiser.get("/stats/test-campaign/mp/E99999999").status_code == 404
    assert organiser.get("/stats/test-campaign/mp/0").status_code == 404


def _figures_rows(client):
    response = client.get("/stats/test-campaign/export/constituencies.csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _css(app) -> str:
    return (Path(app.static_folder) / "stats.css").read_text()
