"""Small counts never reveal a person: what few supporters did beyond writing is withheld, on
every page, CSV and API answer, and cannot be worked out from the totals beside it."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Constituency, StatsCounter
from action_app.stats import disclosure
from action_app.stats.counting import CONSTITUENCY, SOURCE
from action_app.stats.figures import Row, _group, _nation, _party, _region, protect
from action_app.stats.tokens import issue_token
from tests.html import text
from tests.staff import sign_in
from tests.stats.test_api import _validate

K = disclosure.SMALLEST_GROUP


def _seat(key: str, queued: int, personalised: int, party: str = "A", nation: str = "England",
          region: str = "London"):  # fmt: skip
    return Row(key, key, queued=queued, sent=queued, personalised=personalised, party=party,
               nation=nation, region=region if nation == "England" else "")  # fmt: skip


def _total(rows: list[Row]) -> Row:
    total = Row("all", "All")
    for row in rows:
        total.add(row)
    return total


def _protected(seats: list[Row]) -> dict[str, Row]:
    """Every row a campaign with these seats shows, withheld as read_figures withholds them."""
    total = _total(seats)
    nations, parties = _group(seats, _nation), _group(seats, _party)
    regions = _group([r for r in seats if r.nation == "England"], _region)
    protect(total, seats, nations, regions, parties, [])
    named = {"all": total, **{f"party {r.key}": r for r in parties}}
    named.update({f"nation {r.key}": r for r in nations})
    named.update({f"region {r.key}": r for r in regions})
    return named | {r.key: r for r in seats}


def test_a_small_group_is_withheld_and_so_is_the_next_smallest_beside_it():
    seats = [_seat("big", 40, 10), _seat("mid", 7, 3), _seat("small", 2, 1), _seat("none", 0, 0)]
    shown = {key: row.personalised for key, row in _protected(seats).items()}
    # "small" (2 people) is withheld; alone, its party's total minus the others would give it
    # back, so the next smallest ("mid") goes with it; a seat with no letters hides no one
    assert {k: shown[k] for k in ("big", "mid", "small", "none")} == {
        "big": 10, "mid": None, "small": None, "none": 0
    }  # fmt: skip
    assert shown["all"] == shown["party A"] == 14  # 49 letters: shown
    assert shown["all"] - 10 - 0 == 4  # all a reader can work out: 4 of 9 people


def test_a_campaign_with_too_few_letters_shows_none_of_these_figures():
    rows = _protected([_seat("one", 1, 1), _seat("two", 3, 0)])
    assert rows["all"].personalised is None and rows["all"].personalised_share is None
    assert rows["one"].personalised is None and rows["two"].personalised is None


def test_replies_are_withheld_by_the_number_who_answered():
    seat = Row("s", "s", queued=50, sent=50, personalised=20, replied=2, not_yet=1, party="A")
    _protected([seat])
    assert (seat.replied, seat.not_yet, seat.acknowledgement, seat.answered) == (None,) * 4
    assert seat.reply_rate is None
    assert seat.personalised == 20  # 50 letters: enough to show


def test_nations_and_regions_never_show_them_however_many_write():
    rows = _protected([_seat("e", 400, 100), _seat("w", 300, 50, nation="Wales")])
    assert rows["party A"].personalised == 150 and rows["e"].personalised == 100
    for key in ("nation England", "nation Wales", "region London"):
        assert rows[key].personalised is None and rows[key].answered is None
        assert rows[key].sent in (400, 300)  # their letter counts are shown


def test_a_figure_worked_out_from_one_total_cannot_be_used_against_another():
    # Scotland: two seats of 2 letters (party A) and one of 8 (party B, its only seat); Wales:
    # one seat of 6 (party A). Were Scotland shown, the campaign minus party A is party B, the
    # 8-letter seat, and Scotland minus that seat is the two 2-letter seats: 4 supporters.
    rows = _protected(
        [
            _seat("s0", 2, 2, "A", "Scotland"),
            _seat("s1", 6, 6, "A", "Wales"),
            _seat("s2", 8, 0, "B", "Scotland"),
            _seat("s3", 2, 2, "A", "Scotland"),
        ]
    )
    assert rows["nation Scotland"].personalised is None
    assert rows["s0"].personalised is None and rows["s3"].personalised is None


def _rank(matrix: list[list[int]]) -> int:
    """Rank over the rationals, by elimination."""
    rows, rank = [[Fraction(x) for x in row] for row in matrix], 0
    for column in range(len(rows[0]) if rows else 0):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column]:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


SEATS = st.tuples(
    st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 12, 30]),  # letters
    st.integers(0, 30),  # personalised (capped at letters)
    st.sampled_from("AB"),
    st.sampled_from(["England", "England", "Wales", "Scotland", ""]),
    st.sampled_from(["R1", "R2", ""]),
)


@settings(max_examples=250, deadline=None)
@given(st.lists(SEATS, min_size=1, max_size=8))
def test_nothing_shown_pins_down_fewer_than_k_people(drawn):
    """An attacker's view, exactly: every row shown (campaign, parties, nations, regions, seats)
    is a known sum of seats' figures; with linear algebra on all of them at once, no set of
    withheld seats holding 1 to K-1 people has a figure that can be worked out."""
    seats = [_seat(f"s{i}", n, min(p, n), party, nation, region)
             for i, (n, p, party, nation, region) in enumerate(drawn)]  # fmt: skip
    people = {r.key: r.queued for r in seats}
    members = {"all": seats}
    for prefix, key in (("party", _party), ("nation", _nation), ("region", _region)):
        for seat in seats:
            if prefix != "region" or seat.nation == "England":
                members.setdefault(f"{prefix} {key(seat)}", []).append(seat)
    rows = _protected(seats)
    for seat in seats:  # every small seat is withheld
        assert seat.personalised is None or not disclosure.too_few(people[seat.key])
    hidden = [r.key for r in seats if r.personalised is None]
    known = [
        [int(any(s.key == key for s in members[name])) for key in hidden]
        for name, row in rows.items()
        if name in members and row.personalised is not None
    ]
    known = [row for row in known if any(row)]
    if not known:
        return
    rank = _rank(known)
    for size in (1, 2, 3, 4):
        for group in combinations(hidden, size):
            if not disclosure.too_few(sum(people[k] for k in group)):
                continue
            rest = [i for i, key in enumerate(hidden) if key not in group]
            # The group's sum can be worked out exactly when dropping its columns loses rank
            left = _rank([[row[i] for i in rest] for row in known]) if rest else 0
            assert left == rank, f"{group}: {sum(people[k] for k in group)} people pinned down"


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
    return (
        app.test_client()
        .get("/api/v1/campaigns/test-campaign/stats", headers={"Authorization": f"Bearer {token}"})
        .get_json()
    )


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
    # Labour's total minus Wales's would give the one English supporter: nations show none
    assert wales["personalised"] is None and wales["withheld"] == ["personalised", "replies"]
    assert labour["personalised"] is None or seats[str(welsh)]["personalised"] is None


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
    assert england["personalised"] is None  # nations and regions show none of it
    assert all(r["personalised"] is None for r in answer["regions"])
