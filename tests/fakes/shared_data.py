"""Build a full Dataset from the reference files in ../shared/data, from the project root (never
copied here; see tests/reference_data.py).

Used for local experiments and benchmarks only; the project's tests must not need it.

* seats: the 650 codes of postcodesio_constituencies_2024.json (postcodes.io spellings);
  Members API spellings = dfe_mp_lookup.csv `pcon_name`; ids from constituency_id_for_gss();
* members: dfe `member_id`, `display_as`, `full_title`, `party_text`, `member_email`
  ("No email found" -> None; "Vacant" -> vacant seat); gender, start date and party colours
  from oi_current_mps.csv (gender/start only when its member id agrees with dfe); party ids
  from ge2024_winners.csv; `nameListAs` / `nameAddressAs` derived from the display name;
* postcodes: postcodesio_seed_postcodes.csv including terminated rows (doterm YYYYMM) and the
  pseudo-code rows; countries/regions named per postcodesio_countries/regions.json.
"""

from __future__ import annotations

import csv
import json
import zlib
from pathlib import Path

from .dataset import (
    Dataset,
    FakeConstituency,
    FakeMember,
    FakeParty,
    FakePostcode,
    constituency_id_for_gss,
)

# Members API ids for parties that won no seat at the 2024 election as such.
KNOWN_PARTY_IDS = {"Independent": 8, "Speaker": 47, "Labour (Co-op)": 23}
TITLES = {"Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame", "Lord", "Lady", "Prof"}

# Rough centres used to give seed postcodes plausible coordinates (not real positions).
_CENTRES = {
    "E12000001": (54.97, -1.61),
    "E12000002": (53.48, -2.24),
    "E12000003": (53.80, -1.55),
    "E12000004": (52.95, -1.15),
    "E12000005": (52.48, -1.90),
    "E12000006": (52.20, 0.12),
    "E12000007": (51.50, -0.12),
    "E12000008": (51.45, -0.97),
    "E12000009": (50.72, -3.53),
    "S92000003": (57.15, -2.11),
    "W92000004": (51.48, -3.18),
    "N92000002": (54.60, -5.93),
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _split_name(display: str) -> tuple[str | None, str, str]:
    """'Sir Keir Starmer' -> ('Sir', 'Keir', 'Starmer'); surname = last word (approximate)."""
    words = display.split()
    title = words[0] if len(words) > 2 and words[0] in TITLES else None
    rest = words[1:] if title else words
    return title, " ".join(rest[:-1]), rest[-1]


def _names(display: str) -> tuple[str, str | None]:
    title, given, surname = _split_name(display)
    list_as = f"{surname}, {title + ' ' if title else ''}{given}".rstrip()
    if title in ("Sir", "Dame"):
        address_as = f"{title} {given.split()[0]}" if given else None
    elif title:
        address_as = f"{title} {surname}"
    else:
        address_as = None
    return list_as, address_as


def _party_table(data_dir: Path, oi_rows: list[dict[str, str]]) -> dict[str, FakeParty]:
    ids = dict(KNOWN_PARTY_IDS)
    for row in _read_csv(data_dir / "ge2024_winners.csv"):
        if row["party_name"] and row["party_mnis_id"].isdigit():
            ids[row["party_name"]] = int(row["party_mnis_id"])
    parties: dict[str, FakeParty] = {}
    for row in oi_rows:
        name = row["Party name"]
        if name in parties:
            continue
        # Invented but stable id for parties we have no real id for.
        pid = ids.get(name, 90000 + zlib.crc32(name.encode()) % 10000)
        parties[name] = FakeParty(
            pid,
            name,
            row["Party"] or None,
            row["Party bg"].lstrip("#").lower(),
            row["Party fg"].lstrip("#").lower(),
            is_independent=name == "Independent",
        )
    return parties


def _location(pcds: str, area: str) -> tuple[float, float] | None:
    centre = _CENTRES.get(area)
    if centre is None:
        return None
    h = zlib.crc32(pcds.encode())
    lat = centre[0] + (h % 1000) / 20000
    lon = centre[1] + (h // 1000 % 1000) / 20000
    return (round(lat, 6), round(lon, 6))


def build_shared_dataset(data_dir: Path) -> Dataset:
    pio_names: dict[str, str] = json.loads(
        (data_dir / "postcodesio_constituencies_2024.json").read_text(encoding="utf-8")
    )
    countries = json.loads((data_dir / "postcodesio_countries.json").read_text(encoding="utf-8"))
    regions = json.loads((data_dir / "postcodesio_regions.json").read_text(encoding="utf-8"))
    dfe = {r["pcon_code"]: r for r in _read_csv(data_dir / "dfe_mp_lookup.csv")}
    oi_rows = _read_csv(data_dir / "oi_current_mps.csv")
    oi = {r["PCON24CD"]: r for r in oi_rows}
    parties = _party_table(data_dir, oi_rows)

    seats: list[FakeConstituency] = []
    members: list[FakeMember] = []
    districts: dict[str, str] = {}
    for code in sorted(pio_names):
        row = dfe.get(code)
        seat_id = constituency_id_for_gss(code)
        name = row["pcon_name"] if row else pio_names[code]
        member_id = int(row["member_id"]) if row and row["member_id"].isdigit() else None
        seats.append(
            FakeConstituency(seat_id, name, "2024-07-04T00:00:00", member_id, gss_code=code)
        )
        if row and " / " not in row["lad_names"]:
            districts[code] = row["lad_names"]
        if row is None or member_id is None:
            continue
        oi_row = oi.get(code, {})
        same_person = oi_row.get("ID") == row["member_id"]
        title = _split_name(row["display_as"])[0]
        gender = (
            oi_row["Gender"]
            if same_person
            else (
                "M"
                if title in ("Mr", "Sir", "Lord")
                else "F"
                if title in ("Mrs", "Ms", "Miss", "Dame", "Lady")
                else "U"
            )
        )
        party = parties.get(row["party_text"]) or FakeParty(
            90000 + zlib.crc32(row["party_text"].encode()) % 10000,
            row["party_text"],
            None,
            "909090",
            "ffffff",
            is_independent=row["party_text"] == "Independent",
        )
        list_as, address_as = _names(row["display_as"])
        email = row["member_email"].strip()
        members.append(
            FakeMember(
                member_id,
                row["display_as"],
                list_as,
                row["full_title"],
                address_as,
                gender,
                party,
                name,
                seat_id,
                oi_row["Start date"] if same_person else "2024-07-04T00:00:00",
                None if not email or email == "No email found" else email,
                constituency_office=member_id % 3 == 0,
            )
        )

    postcodes: list[FakePostcode] = []
    for r in _read_csv(data_dir / "postcodesio_seed_postcodes.csv"):
        quality = int(r["osgrdind"]) if r["osgrdind"].isdigit() else 1
        doterm = r["doterm"].strip()
        postcodes.append(
            FakePostcode(
                postcode=r["pcds"],
                country=countries.get(r["ctry"], r["ctry"]),
                region=regions.get(r["rgn"]),
                constituency_name=pio_names.get(r["pcon"]),
                constituency_code=r["pcon"],
                terminated=(int(doterm[:4]), int(doterm[4:6])) if doterm else None,
                admin_district=districts.get(r["pcon"]),
                location=None
                if quality == 9
                else _location(r["pcds"], r["rgn"] if r["rgn"] in _CENTRES else r["ctry"]),
                quality=quality,
            )
        )
    return Dataset(postcodes=postcodes, members=members, constituencies=seats)
