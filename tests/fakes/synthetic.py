"""A made-up dataset of any size, for benchmarks on machines without the reference data.

Seat names, GSS codes, MPs and postcodes are all invented (postcode areas "QA".."QZ" do not
exist), but every record has the shape the real services give, so a sync and a lookup do the
same work as with real data.
"""

from __future__ import annotations

import string

from .dataset import Dataset, FakeConstituency, FakeMember, FakeParty, FakePostcode

_PARTIES = [
    FakeParty(15, "Labour", "Lab", "d50000", "ffffff"),
    FakeParty(4, "Conservative", "Con", "0063ba", "ffffff"),
    FakeParty(17, "Liberal Democrat", "LD", "fc7d0b", "ffffff"),
    FakeParty(29, "Scottish National Party", "SNP", "fff685", "000000"),
    FakeParty(44, "Green Party", "Green", "78b82a", "ffffff"),
]
_NATIONS = [  # (share of seats, country, GSS prefix, region)
    (543, "England", "E1490", "London"),
    (57, "Scotland", "S1490", None),
    (32, "Wales", "W0790", None),
    (18, "Northern Ireland", "N0590", None),
]


def synthetic_dataset(seats: int = 650, postcodes_per_seat: int = 3) -> Dataset:
    """``seats`` constituencies, each with an MP (with an email) and some postcodes."""
    letters = string.ascii_uppercase
    constituencies, members, postcodes = [], [], []
    nations = [n for count, *n in _NATIONS for _ in range(count)]
    for i in range(seats):
        country, prefix, region = nations[i * len(nations) // seats]
        code = f"{prefix}{i:04d}"
        name = f"Synthetic {country} Seat {i + 1}"
        seat_id = 50000 + i
        member_id = 90000 + i
        party = _PARTIES[i % len(_PARTIES)]
        constituencies.append(
            FakeConstituency(seat_id, name, "2024-07-04T00:00:00", member_id, gss_code=code)
        )
        members.append(
            FakeMember(
                id=member_id,
                name_display_as=f"Member Number{i}",
                name_list_as=f"Number{i}, Member",
                name_full_title=f"Member Number{i} MP",
                name_address_as=None,
                gender="U",
                party=party,
                constituency_name=name,
                constituency_id=seat_id,
                membership_start="2024-07-04T00:00:00",
                email=f"member.number{i}.mp@parliament.example",
            )
        )
        area = "Q" + letters[i // 26 % 26]
        for j in range(postcodes_per_seat):
            district = i % 26 + 1
            postcode = f"{area}{district} {j}{letters[i % 26]}{letters[(i // 26 + j) % 26]}"
            postcodes.append(
                FakePostcode(
                    postcode=postcode,
                    country=country,
                    region=region if country == "England" else None,
                    constituency_name=name,
                    constituency_code=code,
                    location=(51.5, -0.1),
                )
            )
    return Dataset(postcodes=postcodes, members=members, constituencies=constituencies)
