"""Who sees what: organisers their own campaigns only, nobody else anything, admins the opt-ins."""

from __future__ import annotations

import csv
import io

import pytest

from action_app.extensions import db
from action_app.models.types import utcnow
from action_app.services.people import erase_person
from tests.fakes import EXAMPLE_POSTCODES
from tests.staff import sign_in
from tests.stats.helpers import deliver_all, write_and_send

PAGES = [
    "/stats/",
    "/stats/test-campaign",
    "/stats/test-campaign/live.json",
    "/stats/test-campaign/charts/nations.svg",
    "/stats/test-campaign/export/constituencies.csv",
    "/stats/test-campaign/opt-ins/friends.csv",
    "/stats/tokens",
]


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_visitor_gets_nothing(app, campaign, path):
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 302 and "/staff/sign-in" in page.location
    live = client.get(path, headers={"Accept": "application/json"})
    assert live.status_code in (302, 401)
    assert b"Save the test library" not in page.data and b"Letters" not in page.data


def test_an_organiser_cannot_see_another_campaign(app, campaign, staff):
    client = app.test_client()
    sign_in(client, "outsider@example.org")
    for path in [*PAGES[1:5], "/stats/test-campaign/mp/1"]:
        assert client.get(path).status_code == 404, path
    listing = client.get("/stats/").get_data(as_text=True)
    assert "Another cause" in listing and "Save the test library" not in listing
    assert client.get("/stats/other").status_code == 200


def test_organisers_and_editors_never_get_supporters_details(app, campaign, staff):
    write_and_send(app, EXAMPLE_POSTCODES["england"], "ann@example.com", opt_ins=("friends",))
    for who in ("org@example.org", "editor@example.org"):
        client = app.test_client()
        sign_in(client, who)
        assert client.get("/stats/test-campaign/opt-ins/friends.csv").status_code == 403
        assert client.get("/stats/tokens").status_code == 403


def test_admins_export_only_the_supporters_who_opted_in_with_their_words_and_time(
    app, campaign, staff
):
    england, wales = EXAMPLE_POSTCODES["england"], EXAMPLE_POSTCODES["wales"]
    write_and_send(app, england, "ann@example.com", opt_ins=("friends",), name="=HYPERLINK(1)")
    write_and_send(app, wales, "bob@example.com", name="Bob Jones")
    deliver_all()
    client = app.test_client()
    sign_in(client, "admin@example.org")
    response = client.get("/stats/test-campaign/opt-ins/friends.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    (row,) = rows
    assert row["email"] == "ann@example.com"
    assert row["name"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert row["wording"] == "Email me news."
    assert row["organisation_name"] == "Friends of the Library"
    assert row["opted_in_at_utc"].endswith("Z") and "T" in row["opted_in_at_utc"]
    assert "bob@example.com" not in response.get_data(as_text=True)
    assert client.get("/stats/test-campaign/opt-ins/strangers.csv").status_code == 404
    # Once Ann's details are removed there is no one to contact: no row, not an empty one.
    erase_person("ann@example.com", None, utcnow())
    db.session.commit()
    after = client.get("/stats/test-campaign/opt-ins/friends.csv").get_data(as_text=True)
    assert list(csv.DictReader(io.StringIO(after))) == []
