"""End to end with a real worker: the dashboard, its CSVs and the stats API agree with each other
and with the letters actually delivered."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Constituency, Letter, OutboundMessage
from action_app.stats.tokens import issue_token
from tests.html import text
from tests.journey import send, write_letter
from tests.staff import create_staff, sign_in
from tests.workers.conftest import sendable_postcodes

SOURCES = ["partner-a", None, "newsletter"]


def test_dashboard_csv_and_api_agree_with_the_letters_delivered(
    app, live_campaign, fake_postcodes, smtp_server, start_worker
):
    campaign_id = live_campaign.id
    start_worker(app)
    pairs = sendable_postcodes(fake_postcodes.dataset)
    for i in range(24):
        postcode, _ = pairs[i % len(pairs)]
        browser = app.test_client()
        source = SOURCES[i % 3]
        changes = {
            "name": f"Supporter Number{i}",
            "email": f"supporter{i}@example.org",
            "personal_paragraph": "My own words." if i % 4 == 0 else "",
            "opt_ins": ["friends"] if i % 2 else [],
        }
        params = {"source": source} if source else {}
        response = send(browser, write_letter(browser, postcode, params=params, **changes))
        assert "/sent/" in response.headers["Location"], text(response)
    smtp_server.wait_for(48, timeout=90)

    truth = _delivered()
    assert sum(truth.values()) == 24
    organiser = create_staff(app, "org@example.org", "organiser", campaigns=[campaign_id])
    client = app.test_client()
    sign_in(client, "org@example.org")
    page = text(client.get("/stats/test-campaign"))
    assert "Sent to MPs 24" in page and "Letters accepted 24" in page
    assert f"Constituencies reached {len(truth)} of 650" in page

    seats_csv = {r["label"]: int(r["sent"]) for r in _csv(client, "constituencies")}
    assert seats_csv == truth
    sources_csv = {r["key"]: int(r["sent"]) for r in _csv(client, "sources")}
    assert sources_csv == {"partner-a": 8, "": 8, "newsletter": 8}
    headline = {r["figure"]: r["value"] for r in _csv(client, "headline")}
    assert (headline["sent"], headline["personalised"]) == ("24", "6")

    _, token = issue_token(organiser.id, "test", "tests")
    db.session.commit()
    api = (
        app.test_client()
        .get("/api/v1/campaigns/test-campaign/stats", headers={"Authorization": f"Bearer {token}"})
        .get_json()
    )
    assert {r["label"]: r["sent"] for r in api["breakdowns"]["constituencies"]} == truth
    assert {r["key"]: r["sent"] for r in api["breakdowns"]["sources"]} == sources_csv
    assert api["headline"]["sent"] == 24 and api["headline"]["personalised"] == 6
    assert api["opt_ins"] == [{"organisation": "friends", "name": "Friends of the Library",
                               "supporters": 12}]  # fmt: skip
    nations = {r["label"]: r["sent"] for r in api["breakdowns"]["nations"]}
    assert nations == {r["label"]: int(r["sent"]) for r in _csv(client, "nations")}
    assert sum(nations.values()) == 24
    live = client.get("/stats/test-campaign/live.json").get_json()
    assert live["headline"] == {k: v for k, v in api["headline"].items()}
    count = app.test_client().get("/api/v1/campaigns/test-campaign/count").get_json()
    assert count["sent"] == api["headline"]["sent"]
    assert re.search(r"Letters sent each day.*?24", page)


def _delivered() -> dict[str, int]:
    """Letters whose MP email was accepted by the SMTP server, per constituency: the truth."""
    db.session.remove()
    rows = db.session.execute(
        select(Constituency.name, func.count())
        .select_from(OutboundMessage)
        .join(Letter, Letter.id == OutboundMessage.letter_id)
        .join(Constituency, Constituency.id == Letter.constituency_id)
        .where(OutboundMessage.kind == "mp", OutboundMessage.status == "sent")
        .group_by(Constituency.name)
    )
    return dict(Counter({name: n for name, n in rows}))


def _csv(client, name):
    response = client.get(f"/stats/test-campaign/export/{name}.csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
