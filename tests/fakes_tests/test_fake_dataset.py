"""The fixture covers the tricky cases; the shared-data loader builds the full set."""

from __future__ import annotations

import pytest
import requests

from tests.fakes import (
    EXAMPLE_POSTCODES,
    SPELLING_VARIANTS,
    VACANT_SEAT_CODE,
    FakeMembersAPI,
    FakePostcodesIO,
    default_dataset,
    load_shared_dataset,
    normalise_name,
    postcode_key,
)
from tests.reference_data import SHARED_DATA, shared_data_available


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("SW1A 1AA", "SW1A1AA"),
        (" sw1a\u00a0 1aa\t", "SW1A1AA"),
        ("M11AA", "M11AA"),
        ("SE1P 5ZZ", "SE1P5ZZ"),
        ("GIR 0AA", None),
        ("SW1A+1AA", None),
        ("", None),
        ("BF1 3AA", "BF13AA"),
    ],
)
def test_postcode_key(text, key):
    assert postcode_key(text) == key


def test_normalise_name_joins_the_spelling_variants():
    for pio_name, members_name in SPELLING_VARIANTS.values():
        assert pio_name != members_name
        assert normalise_name(pio_name) == normalise_name(members_name)
    assert normalise_name("Ynys Môn") == normalise_name("Ynys Mon") == "ynys mon"


def test_fixture_covers_the_tricky_cases():
    data = default_dataset()
    assert 20 <= len(data.constituencies) <= 30 and 20 < len(data.members) <= 30
    by_country: dict[str, set[str]] = {}
    for pc in data.live_postcodes():
        by_country.setdefault(pc.country, set()).add(pc.constituency_code)
    assert len(by_country["England"]) >= 5
    assert len(by_country["Scotland"]) >= 2
    assert {"W07000112", "W07000102"} <= by_country["Wales"]
    assert "N05000018" in by_country["Northern Ireland"]
    assert len(by_country["Northern Ireland"]) >= 2
    assert by_country["Channel Islands"] == {"L99999999"}
    assert by_country["Isle of Man"] == {"M99999999"}
    for pc in data.postcodes:
        assert postcode_key(pc.postcode) == pc.key and pc.postcode == pc.postcode.upper()
    assert len(data.terminated_postcodes()) >= 3
    assert all(
        pc.terminated and 1980 < pc.terminated[0] < 2030 for pc in data.terminated_postcodes()
    )
    # every seat has live postcodes; every member sits for an existing seat
    for seat in data.constituencies:
        assert data.postcodes_in(seat.id), seat.name
    for member in data.members:
        seat = data.constituency(member.constituency_id)
        assert seat is not None and seat.current_member_id == member.id
        assert seat.name == member.constituency_name
    vacant = [s for s in data.constituencies if s.current_member_id is None]
    assert [s.gss_code for s in vacant] == [VACANT_SEAT_CODE]
    no_email = [m for m in data.members if m.email is None]
    assert len(no_email) >= 3
    assert any(not m.parliamentary_office and m.constituency_office for m in no_email)
    begley = data.member_for_postcode("BT79 7BL")
    assert begley is not None and begley.name_display_as == "Órfhlaith Begley"
    assert begley.email is None and begley.party.name == "Sinn Féin"
    assert any(m.party.is_independent for m in data.members)
    assert any(m.party.name == "Speaker" for m in data.members)
    for key, postcode in EXAMPLE_POSTCODES.items():
        if key not in ("not_found", "invalid"):
            assert data.postcode(postcode) is not None, key


@pytest.fixture(scope="module")
def shared():
    if not shared_data_available("postcodesio_seed_postcodes.csv"):
        pytest.skip("the team's reference data (../shared/data) is not on this machine")
    return load_shared_dataset(SHARED_DATA)


def test_shared_dataset_has_every_seat_and_joins_by_name(shared):
    assert len(shared.constituencies) == 650
    assert 640 <= len(shared.members) <= 650
    seat_names = {normalise_name(s.name) for s in shared.constituencies}
    assert len(seat_names) == 650
    codes = {s.gss_code[:3] for s in shared.constituencies}
    assert codes == {"E14", "S14", "W07", "N05"}
    by_code = {s.gss_code: s for s in shared.constituencies}
    assert by_code["E14001127"].name == "Bridlington and the Wolds"
    assert by_code["W07000102"].name == "Montgomeryshire and Glyndŵr"


def test_shared_dataset_postcodes(shared):
    assert len(shared.terminated_postcodes()) >= 100
    se1 = shared.postcode("SE1 9ZZ")
    assert se1 is not None and se1.terminated == (1998, 12)
    jersey = shared.postcode("JE2 4WD")
    assert jersey is not None and jersey.country == "Channel Islands"
    assert jersey.constituency_code == "L99999999" and jersey.constituency_name is None
    manc = shared.postcode("M1 1AD")
    assert manc is not None and manc.region == "North West"
    aberdeen = shared.postcode("AB10 1AB")
    assert aberdeen is not None and aberdeen.region is None and aberdeen.country == "Scotland"
    begley = shared.member(4697)
    assert begley is not None and begley.email is None
    assert shared.member_for_postcode("AB10 1AB") is not None


def test_fakes_serve_the_shared_dataset(shared):
    with FakePostcodesIO(shared) as pio, FakeMembersAPI(shared) as members:
        result = requests.get(pio.url + "/postcodes/AB101AB", timeout=5).json()["result"]
        assert result["parliamentary_constituency"] == "Aberdeen South"
        body = requests.get(
            members.url + "/api/Members/Search",
            params={"House": 1, "IsCurrentMember": "true", "take": 20},
            timeout=5,
        ).json()
        assert body["totalResults"] == len(shared.members)
        found = requests.get(
            members.url + "/api/Members/Search", params={"Location": "AB10 1AB"}, timeout=5
        ).json()
        assert found["totalResults"] == 1
