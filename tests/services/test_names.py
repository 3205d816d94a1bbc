"""The constituency-name join between postcodes.io, the Members API and CSV files."""

import csv
import json

import pytest

from action_app.services.names import constituency_key, match_key
from tests.fakes import SPELLING_VARIANTS
from tests.reference_data import SHARED_DATA, shared_data_available

# Real spellings that differ between sources, and the kinds of difference seen elsewhere.
TRICKY_PAIRS = [
    ("Ynys Môn", "Ynys Mon"),
    ("Montgomeryshire and Glyndŵr", "Montgomeryshire and Glyndwr"),
    ("Bridlington and The Wolds", "Bridlington and the Wolds"),
    ("South Holland and The Deepings", "South Holland and the Deepings"),
    ("Weston-super-Mare", "Weston-Super-Mare"),
    ("Stoke-on-Trent Central", "Stoke on Trent Central"),
    ("St Helens North", "St. Helens North"),
    ("Stretford and Urmston", "Stretford & Urmston"),
    ("Na h-Eileanan an Iar", "Na h-Eileanan An Iar"),
    ("Ashton-under-Lyne", "Ashton under Lyne"),
    ("Queen\u2019s Park and Maida Vale", "Queen's Park and Maida Vale"),
    ("Belfast South and Mid Down", "  Belfast  South and Mid Down "),
]


@pytest.mark.parametrize(("one", "other"), TRICKY_PAIRS)
def test_spellings_of_one_seat_share_a_key(one, other):
    assert constituency_key(one) == constituency_key(other)


@pytest.mark.parametrize(("postcodes_io", "members_api"), list(SPELLING_VARIANTS.values()))
def test_fake_services_spellings_join(postcodes_io, members_api):
    assert constituency_key(postcodes_io) == constituency_key(members_api)


def test_different_seats_keep_different_keys():
    names = [
        "Hackney North and Stoke Newington",
        "Hackney South and Shoreditch",
        "Stoke-on-Trent North",
    ]
    assert len({constituency_key(n) for n in names}) == 3


def test_word_order_is_matched_only_when_one_seat_fits():
    known = {constituency_key("South Holland and The Deepings"), constituency_key("Bath")}
    assert match_key("The Deepings and South Holland", known) == constituency_key(
        "South Holland and The Deepings"
    )
    assert match_key("Nowhere at all", known) is None


def test_an_ambiguous_word_set_matches_nothing():
    known = {"north east somerset", "somerset north east"}
    assert match_key("East Somerset North", known) is None


@pytest.mark.skipif(
    not shared_data_available("postcodesio_constituencies_2024.json", "dfe_mp_lookup.csv"),
    reason="the team's reference data (../shared/data) is not on this machine",
)
def test_all_650_real_seats_join_one_to_one():
    """Local check against the real names: postcodes.io's spellings against the DfE's (the
    Members API's, via MNIS) for every seat."""
    postcodes_io = json.loads((SHARED_DATA / "postcodesio_constituencies_2024.json").read_text())
    with (SHARED_DATA / "dfe_mp_lookup.csv").open(encoding="utf-8-sig") as handle:
        members_api = {row["pcon_code"]: row["pcon_name"] for row in csv.DictReader(handle)}
    keys = {constituency_key(name): code for code, name in members_api.items()}
    assert len(keys) == 650
    for code, name in postcodes_io.items():
        assert keys[match_key(name, keys)] == code, name
