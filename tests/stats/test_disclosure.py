"""Small counts never reveal a person: what few supporters did beyond writing is withheld, on
every page, CSV and API answer, and cannot be worked out from the totals beside it."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Constituency, StatsCounter
from action_app.stats import disclosure
from action_app.stats.counting import CONSTITUENCY, SOURCE
from action_app.stats.figures import Row
from action_app.stats.tokens import issue_token
from tests.html import text
from tests.staff import sign_in
from tests.stats.test_api import _validate

K = disclosure.SMALLEST_GROUP


def _seat(key: str, queued: int, personalised: int, party: str = "A", nation: str = "England"):
    return Row(key, key, queued=queued, sent=queued, personalised=personalised, party=party,
               nation=nation, region="London" if nation == "England" else "")  # fmt: skip


def _total(rows: list[Row]) -> Row:
    total = Row("all", "All")
    for row in rows:
        total.add(row)
    return total


def test_a_small_group_is_withheld_and_so_is_the_next_smallest_beside_it():
    seats = [_seat("big", 40, 10), _seat("mid", 7, 3), _seat("small", 2, 1), _seat("none", 0, 0)]
    total = _total(seats)
    disclosure.protect([[total], seats], seats, ())
    shown = {r.key: r.personalised for r in seats}
    # "small" (2 people) is withheld; alone, the total minus the others would give it back,
    # so the next smallest ("mid") goes with it; a seat with no letters hides no one
    assert shown == {"big": 10, "mid": None, "small": None, "none": 0}
    assert total.personalised == 14  # 49 letters: the campaign's own figure is shown
    assert total.personalised - 10 - 0 == 4  # all a reader can work out: 4 of 9 people


def test_a_campaign_with_too_few_letters_shows_none_of_these_figures():
    seats = [_seat("one", 1, 1), _seat("two", 3, 0)]
    total = _total(seats)
    disclosure.protect([[total], seats], seats, ())
    assert total.personalised is None and total.personalised_share is None
    assert [r.personalised for r in seats] == [None, None]


def test_a_party_total_cannot_be_used_to_undo_a_seat_withheld_inside_it():
    # Party B: one seat of 30 letters and one of 2. Across the campaign enough seats are
    # withheld to hide the small one, but party B's total minus its big seat would give it.
    seats = [_seat("b-big", 30, 5, party="B"), _seat("b-small", 2, 2, party="B"),
             _seat("a1", 3, 1), _seat("a2", 3, 0), _seat("a3", 50, 9)]  # fmt: skip
    party_b, party_a = _total(seats[:2]), _total(seats[2:])
    total = _total(seats)
    disclosure.protect([[total], seats, [party_a, party_b]], seats, (lambda r: r.party,))
    assert seats[1].personalised is None and seats[0].personalised is None
    assert party_b.personalised == 7  # 32 people: shown, and it no longer gives anyone away


def test_replies_are_withheld_by_the_number_who_answered():
    seat = Row("s", "s", queued=50, sent=50, personalised=20, replied=2, not_yet=1)
    total = _total([seat])
    disclosure.protect([[total], [seat]], [seat], ())
    assert (seat.replied, seat.not_yet, seat.acknowledgement, seat.answered) == (None,) * 4
    assert seat.reply_rate is None
    assert seat.personalised == 20  # 50 letters: enough to show


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.sampled_from("ABC")),
        min_size=1,
        max_size=25,
    )
)
def test_no_shown_figure_can_be_subtracted_down_to_fewer_than_k_people(drawn):
    """An attacker's view: from any total shown, subtract every shown row inside it; what is
    left is about either nobody or at least K people."""
    seats = [
        _seat(f"s{i}", queued, min(personalised, queued), party=party)
        for i, (queued, personalised, party) in enumerate(drawn)
    ]
    people = {r.key: r.queued for r in seats}
    parties = {p: _total([r for r in seats if r.party == p]) for p in "ABC"}
    party_rows = [row for row in parties.values() if row.queued]
    total = _total(seats)
    disclosure.protect([[total], seats, party_rows], seats, (lambda r: r.party,))
    for row in seats:  # every small seat is withheld
        assert row.personalised is None or not disclosure.too_few(people[row.key])
    inside = [(total, seats)] + [(parties[p], [r for r in seats if r.party == p]) for p in "ABC"]
    for whole, rows in inside:
        if whole.personalised is None:
            continue
        left = sum(people[r.key] for r in rows if r.personalised is None)
        assert not disclosure.too_few(left), (whole.key, left)


def _counters(campaign_id: int, seats: list[tuple[int, int, int, int]]) -> None:
    """Counters as delivered letters leave them: (seat, letters, personalised, replied)."""
    for seat, letters, personalised, replied in seats:
        for metric, value in (
            ("accepted", letters),
            ("queued", letters),
            ("sent", letters),
            ("personalised", personalised),
            ("reply_replied", replied),
        ):
            db.session.add(StatsCounter(campaign_id=campaign_id, dimension=CONSTITUENCY,
                                        bucket=str(seat), metric=metric, value=value))  # fmt: skip
    total = sum(s[1] for s in seats)
    for metric, value in (("queued", total), ("sent", total)):
        db.session.add(StatsCounter(campaign_id=campaign_id, dimension=SOURCE, bucket="",
                                    metric=metric, value=value))  # fmt: skip
    db.session.commit()


def test_organisers_see_withheld_on_every_page_csv_and_api_answer(app, campaign, staff):
    seats = db.session.scalars(select(Constituency.id).order_by(Constituency.id)).all()
    many, few = seats[0], seats[1]
    # 20 letters to one seat (12 personalised, 6 say their MP replied), 2 to another (both
    # personalised, 1 answer)
    _counters(campaign.id, [(many, 20, 12, 6), (few, 2, 2, 1)])
    client = app.test_client()
    sign_in(client, "org@example.org")

    words = text(client.get("/stats/test-campaign"))
    assert "Personalised by the supporter 64%" in words  # 14 of 22
    assert "MPs replied, as supporters told us 100% of 7 answers" in words
    assert "withheld for any group of fewer than 5 supporters" in words

    rows = {r["key"]: r for r in _csv(client, "constituencies")}
    # The small seat alone would be given away by the campaign's total, so both are withheld
    for key in (str(many), str(few)):
        assert rows[key]["personalised"] == "withheld", rows[key]
        assert rows[key]["replied"] == rows[key]["reply_rate"] == "withheld"
        assert rows[key]["withheld"] == "personalised replies"
        assert rows[key]["sent"] in ("20", "2")  # letter counts are never withheld
    headline = dict(csv.reader(io.StringIO(_get(client, "headline"))))
    assert headline["personalised"] == "14" and headline["withheld"] == ""

    report = client.get(f"/stats/test-campaign/mp/{few}")
    assert "Personalised by the constituent withheld (of 2)" in text(report)
    assert "Constituents who told us this MP replied withheld" in text(report)
    assert "2 (100%" not in text(report)

    _, token = issue_token(staff["organiser"].id, "test", "admin@example.org")
    db.session.commit()
    answer = client.get(
        "/api/v1/campaigns/test-campaign/stats", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert answer["smallest_group"] == K
    seat_rows = {r["key"]: r for r in answer["breakdowns"]["constituencies"]}
    assert seat_rows[str(few)]["personalised"] is None
    assert seat_rows[str(few)]["withheld"] == ["personalised", "replies"]
    assert answer["headline"]["personalised"] == 14 and answer["headline"]["withheld"] == []
    _validate(app, "Stats", answer)


def test_a_campaign_with_three_letters_shows_no_share_anywhere(app, campaign, staff):
    seats = db.session.scalars(select(Constituency.id).order_by(Constituency.id)).all()
    _counters(campaign.id, [(seats[0], 3, 1, 1)])
    client = app.test_client()
    sign_in(client, "org@example.org")
    words = text(client.get("/stats/test-campaign"))
    assert "Personalised by the supporter withheld" in words
    assert "MPs replied, as supporters told us withheld (fewer than 5 answers)" in words
    live = client.get("/stats/test-campaign/live.json").get_json()
    assert live["headline"]["personalised_share"] is None
    assert live["headline"]["withheld"] == ["personalised", "replies"]
    for name in ("nations", "parties", "sources", "constituencies"):
        for row in _csv(client, name):
            assert row["personalised"] == "withheld", (name, row)


def _get(client, name: str) -> str:
    response = client.get(f"/stats/test-campaign/export/{name}.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _csv(client, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_get(client, name))))


def _place(seat_id: int, gss_code: str, region: str | None) -> None:
    from action_app.registry import current_registry
    from action_app.services.directory import record_seat_codes

    assert record_seat_codes(seat_id, gss_code, region)
    db.session.commit()
    current_registry().directory_snapshot.clear()


def _seats_of(party: str) -> list[int]:
    from action_app.registry import current_registry

    snapshot = current_registry().directory_snapshot.get()
    return sorted(
        sid for sid, seat in snapshot.by_id.items()
        if seat.member is not None and seat.member.party_name == party
    )  # fmt: skip


def _api(app, staff) -> dict:
    _, token = issue_token(staff["organiser"].id, "test", "admin@example.org")
    db.session.commit()
    return app.test_client().get(
        "/api/v1/campaigns/test-campaign/stats", headers={"Authorization": f"Bearer {token}"}
    ).get_json()


def test_a_one_seat_nation_row_does_not_give_back_a_seat_withheld_to_cover_another(
    app, campaign, staff
):
    # Labour: a Welsh seat with 30 letters and an English one with 1. The English seat is
    # withheld, and the Welsh one with it (Labour's total minus it would give it back). But the
    # Welsh seat is the only Welsh seat with letters: the Wales row is the same 30 people, so
    # Labour's total minus Wales's gave the one supporter's figure.
    welsh, english = _seats_of("Labour")[:2]
    big, big2 = _seats_of("Conservative")[:2]
    _place(welsh, "W07000041", None)
    for seat, code in ((english, "E14000530"), (big, "E14000531"), (big2, "E14000532")):
        _place(seat, code, "London")
    _counters(campaign.id, [(welsh, 30, 10, 0), (english, 1, 1, 0), (big, 40, 5, 0),
                            (big2, 40, 7, 0)])  # fmt: skip
    answer = _api(app, staff)["breakdowns"]
    seats = {r["key"]: r for r in answer["constituencies"]}
    assert seats[str(english)]["personalised"] is None
    labour = next(r for r in answer["parties"] if r["key"] == "Labour")
    wales = next(r for r in answer["nations"] if r["key"] == "Wales")
    if labour["personalised"] is not None and wales["personalised"] is not None:
        assert labour["personalised"] - wales["personalised"] != 1, "the English seat's 1"
    assert labour["personalised"] is None or wales["personalised"] is None


def test_english_seats_with_no_region_are_not_england_minus_its_regions(app, campaign, staff):
    # An English seat postcodes.io gave no region to (1 letter) is in England's row but in no
    # region's: England minus the regions shown gave it back.
    lonely = _seats_of("Labour")[0]
    big, big2 = _seats_of("Conservative")[:2]
    welsh = _seats_of("Labour")[1]
    _place(lonely, "E14000530", None)
    _place(big, "E14000531", "London")
    _place(big2, "E14000532", "London")
    _place(welsh, "W07000041", None)
    _counters(campaign.id, [(lonely, 1, 1, 0), (big, 40, 5, 0), (big2, 40, 7, 0),
                            (welsh, 30, 10, 0)])  # fmt: skip
    answer = _api(app, staff)["breakdowns"]
    seats = {r["key"]: r for r in answer["constituencies"]}
    assert seats[str(lonely)]["personalised"] is None
    england = next(r for r in answer["nations"] if r["key"] == "England")
    shown_regions = [r for r in answer["regions"] if r["personalised"] is not None]
    if england["personalised"] is not None and len(shown_regions) == len(answer["regions"]):
        left = england["personalised"] - sum(r["personalised"] for r in shown_regions)
        assert False, f"England minus its regions leaves the one regionless supporter: {left}"


@pytest.mark.xfail(strict=True, reason="not fixed: protect checks each total on its own, and a "
                   "row worked out from one total can be subtracted from another")
def test_a_figure_worked_out_from_one_total_cannot_be_used_against_another():
    # Scotland: two seats of 2 letters (party A) and one of 8 (party B, its only seat); Wales:
    # one seat of 6 (party A). Every seat is withheld and Wales and party B with them, but the
    # campaign minus party A is party B, which is the 8-letter seat, and Scotland minus that
    # seat is the two 2-letter seats: 4 supporters, all of whom personalised.
    from action_app.stats.figures import _group, _nation, _party, _region, protect

    seats = [_seat("s0", 2, 2, "A", "Scotland"), _seat("s1", 6, 6, "A", "Wales"),
             _seat("s2", 8, 0, "B", "Scotland"), _seat("s3", 2, 2, "A", "Scotland")]  # fmt: skip
    total = _total(seats)
    nations, parties = _group(seats, _nation), _group(seats, _party)
    regions = _group([r for r in seats if r.nation == "England"], _region)
    protect(total, seats, nations, regions, parties, [])
    shown = {r.key: r.personalised for r in [total, *nations, *parties]}
    if None not in (shown["all"], shown["A"], shown["Scotland"]):
        party_b = shown["all"] - shown["A"]  # = seat s2, 8 people: fine on its own
        two_small_seats = shown["Scotland"] - party_b
        assert False, f"4 supporters' figure worked out: {two_small_seats}"
