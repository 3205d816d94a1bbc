"""The fake Members API answers in the formats shared/API-NOTES.md documents."""

from __future__ import annotations

import pytest

from tests.fakes import (
    EXAMPLE_POSTCODES,
    SPELLING_VARIANTS,
    VACANT_SEAT_ID,
    constituency_id_for_gss,
    default_dataset,
)

SEARCH = "/api/Members/Search"
MEMBER_KEYS = {
    "id",
    "nameListAs",
    "nameDisplayAs",
    "nameFullTitle",
    "nameAddressAs",
    "latestParty",
    "gender",
    "latestHouseMembership",
    "thumbnailUrl",
}
PARTY_KEYS = {
    "id",
    "name",
    "abbreviation",
    "backgroundColour",
    "foregroundColour",
    "isLordsMainParty",
    "isLordsSpiritualParty",
    "governmentType",
    "isIndependentParty",
}
MEMBERSHIP_KEYS = {
    "membershipFrom",
    "membershipFromId",
    "house",
    "membershipStartDate",
    "membershipEndDate",
    "membershipEndReason",
    "membershipEndReasonNotes",
    "membershipEndReasonId",
    "membershipStatus",
}
STATUS_KEYS = {
    "statusIsActive",
    "statusDescription",
    "statusNotes",
    "statusId",
    "status",
    "statusStartDate",
}


def search(http, members, **params):
    return http.get(members.url + SEARCH, params=params, timeout=5)


def test_commons_search_pages_of_twenty(http, members):
    expected = len(default_dataset().members)
    assert 20 < expected <= 40
    first = search(http, members, House=1, IsCurrentMember="true", skip=0, take=20).json()
    second = search(http, members, House=1, IsCurrentMember="true", skip=20, take=20).json()
    assert first["totalResults"] == second["totalResults"] == expected
    assert (first["skip"], first["take"], second["skip"]) == (0, 20, 20)
    assert len(first["items"]) == 20
    assert len(second["items"]) == expected - 20
    ids = [i["value"]["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == expected
    names = [i["value"]["nameListAs"] for i in first["items"] + second["items"]]
    assert names == sorted(names, key=str.casefold)
    assert {link["rel"] for link in first["links"]} >= {"self", "page.next"}
    assert "resultContext" in first
    assert search(http, members, House=1, skip=40, take=20).json()["items"] == []


def test_take_defaults_to_twenty(http, members):
    body = search(http, members, House=1, IsCurrentMember="true").json()
    assert body["take"] == 20 and len(body["items"]) == 20


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"take": 21}, "take", "The field take must be between 1 and 20."),
        ({"take": 0}, "take", "The field take must be between 1 and 20."),
        ({"take": "ten"}, "take", "The value 'ten' is not valid."),
        ({"skip": -1}, "skip", "The field skip must be between 0 and 2147483647."),
    ],
)
def test_paging_validation_problem(http, members, params, field, message):
    resp = search(http, members, House=1, **params)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["title"] == "One or more validation errors occurred."
    assert body["status"] == 400 and body["type"].startswith("https://")
    assert body["errors"] == {field: [message]}


def test_member_shape(http, members):
    item = search(http, members, Name="Starmer").json()["items"][0]
    member = item["value"]
    assert set(member) >= MEMBER_KEYS
    assert set(member["latestParty"]) >= PARTY_KEYS
    assert set(member["latestHouseMembership"]) >= MEMBERSHIP_KEYS
    assert set(member["latestHouseMembership"]["membershipStatus"]) >= STATUS_KEYS
    assert member["id"] == 4514
    assert member["nameDisplayAs"] == "Sir Keir Starmer"
    assert member["nameListAs"] == "Starmer, Sir Keir"
    assert member["latestParty"]["name"] == "Labour"
    membership = member["latestHouseMembership"]
    assert membership["membershipFrom"] == "Holborn and St Pancras"
    assert membership["house"] == 1 and membership["membershipEndDate"] is None
    assert membership["membershipStatus"]["statusIsActive"] is True
    assert member["thumbnailUrl"].endswith("/Members/4514/Thumbnail")
    assert {"rel": "self", "href": "/Members/4514", "method": "GET"} in item["links"]


def test_name_address_as_may_be_null_and_names_keep_accents(http, members):
    member = search(http, members, Name="Begley").json()["items"][0]["value"]
    assert member["nameDisplayAs"] == "Órfhlaith Begley"
    assert member["nameAddressAs"] is None
    assert member["latestParty"]["name"] == "Sinn Féin"


def test_speaker_and_independent(http, members):
    speaker = http.get(f"{members.url}/api/Members/467", timeout=5).json()["value"]
    assert speaker["latestParty"]["name"] == "Speaker"
    independent = http.get(f"{members.url}/api/Members/185", timeout=5).json()["value"]
    assert independent["latestParty"]["isIndependentParty"] is True


@pytest.mark.parametrize(
    ("postcode", "member_id", "seat_name"),
    [
        ("YO16 4LP", 5169, "Bridlington and the Wolds"),
        ("yo164lp", 5169, "Bridlington and the Wolds"),
        ("SY21 8RF", 5221, "Montgomeryshire and Glyndŵr"),
        ("BT79 7BL", 4697, "West Tyrone"),
        ("AB12 5HJ", 4735, "Aberdeen South"),
        ("AB12 4NN", 4601, "West Aberdeenshire and Kincardine"),
    ],
)
def test_location_search_by_postcode(http, members, postcode, member_id, seat_name):
    body = search(http, members, Location=postcode, House=1, IsCurrentMember="true").json()
    assert body["totalResults"] == 1
    member = body["items"][0]["value"]
    assert member["id"] == member_id
    assert member["latestHouseMembership"]["membershipFrom"] == seat_name


@pytest.mark.parametrize(
    "key", ["vacant_seat", "channel_islands", "isle_of_man", "terminated", "not_found"]
)
def test_location_search_without_an_mp_is_empty(http, members, key):
    body = search(http, members, Location=EXAMPLE_POSTCODES[key], House=1).json()
    assert body["totalResults"] == 0 and body["items"] == []


def test_every_seated_postcode_finds_its_mp_except_the_vacant_seat(http, members):
    data = default_dataset()
    for pc in data.live_postcodes():
        seat = data.constituency_for_postcode(pc.postcode)
        body = search(http, members, Location=pc.postcode, House=1).json()
        if seat is None or seat.current_member_id is None:
            assert body["totalResults"] == 0, pc.postcode
        else:
            assert body["items"][0]["value"]["id"] == seat.current_member_id, pc.postcode


def test_contact_with_parliamentary_email(http, members):
    body = http.get(f"{members.url}/api/Members/4514/Contact", timeout=5).json()
    entries = body["value"]
    office = [e for e in entries if e["type"] == "Parliamentary office"]
    assert len(office) == 1
    assert office[0]["typeId"] == 1 and office[0]["email"] == "keir.starmer.mp@parliament.uk"
    assert {
        "typeDescription",
        "isPreferred",
        "isWebAddress",
        "line1",
        "line5",
        "postcode",
        "phone",
    } <= set(office[0])
    assert any(e["isWebAddress"] for e in entries)
    assert "links" in body


def test_contact_without_email(http, members):
    entries = http.get(f"{members.url}/api/Members/4697/Contact", timeout=5).json()["value"]
    office = [e for e in entries if e["typeId"] == 1]
    assert len(office) == 1 and office[0]["email"] is None


def test_contact_with_only_a_constituency_office(http, members):
    entries = http.get(f"{members.url}/api/Members/4263/Contact", timeout=5).json()["value"]
    assert [e["type"] for e in entries] == ["Constituency office"]
    assert entries[0]["typeId"] == 4
    assert entries[0]["line1"] and entries[0]["postcode"]
    assert entries[0]["email"] == "contact@lucypowell.org.uk"


@pytest.mark.parametrize(
    "path",
    [
        "/api/Members/999999/Contact",
        "/api/Members/999999",
        "/api/Location/Constituency/1",
        "/api/Nothing/Here",
    ],
)
def test_unknown_is_404_problem(http, members, path):
    resp = http.get(members.url + path, timeout=5)
    assert resp.status_code == 404
    assert resp.json()["status"] == 404 and resp.json()["title"] == "Not Found"


def test_routes_are_case_insensitive(http, members):
    resp = http.get(f"{members.url}/api/members/search?house=1&take=5", timeout=5)
    assert resp.status_code == 200 and len(resp.json()["items"]) == 5


def test_constituency_search_and_representation(http, members):
    body = http.get(
        f"{members.url}/api/Location/Constituency/Search",
        params={"searchText": "tyrone", "skip": 0, "take": 20},
        timeout=5,
    ).json()
    assert body["totalResults"] == 1
    seat = body["items"][0]["value"]
    assert {"id", "name", "startDate", "endDate", "currentRepresentation"} <= set(seat)
    assert seat["name"] == "West Tyrone" and seat["endDate"] is None
    rep = seat["currentRepresentation"]
    assert rep["member"]["value"]["id"] == 4697
    assert rep["representation"]["membershipFromId"] == seat["id"]
    assert rep["representation"]["house"] == 1


def test_vacant_constituency_has_no_representation(http, members):
    resp = http.get(f"{members.url}/api/Location/Constituency/{VACANT_SEAT_ID}", timeout=5)
    body = resp.json()
    assert body["value"]["name"] == "Runcorn and Helsby"
    assert body["value"]["currentRepresentation"] is None
    assert body["links"] == []
    found = http.get(
        f"{members.url}/api/Location/Constituency/Search",
        params={"searchText": "Runcorn"},
        timeout=5,
    ).json()
    assert found["items"][0]["value"]["currentRepresentation"] is None


def test_empty_search_text_lists_every_constituency(http, members):
    expected = len(default_dataset().constituencies)
    url = f"{members.url}/api/Location/Constituency/Search"
    first = http.get(url, params={"searchText": "", "take": 20}, timeout=5).json()
    second = http.get(url, params={"skip": 20, "take": 20}, timeout=5).json()
    assert first["totalResults"] == expected
    assert len(first["items"]) + len(second["items"]) == expected
    bad = http.get(url, params={"take": 50}, timeout=5)
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"take": ["The field take must be between 1 and 20."]}


def test_spelling_variants_are_served(http, members):
    for code, (_pio_name, members_name) in SPELLING_VARIANTS.items():
        seat_id = constituency_id_for_gss(code)
        body = http.get(f"{members.url}/api/Location/Constituency/{seat_id}", timeout=5).json()
        assert body["value"]["name"] == members_name
