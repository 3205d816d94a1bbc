"""The small hand-written dataset the fakes serve by default.

Real public facts: 2024 constituency names and GSS codes as postcodes.io spells them, the MPs'
Members API ids, names, parties and Parliamentary emails (early-2026 snapshot), except where a
comment says a value is invented.  Postcodes marked (seed) come from postcodes.io's own ONSPD test
extract; the others are well-known public addresses (town halls, parliaments, stadiums) written
from general knowledge - their constituency assignment is believed right but was not checked
against ONSPD here.  Coordinates are rough seat centroids, not postcode positions.

Tricky cases covered (names of the postcodes in EXAMPLE_POSTCODES):
* all four nations; NI seats have MPs; Channel Islands / Isle of Man have records but no seat;
* spellings that differ between the two APIs (SPELLING_VARIANTS);
* a vacant seat (Runcorn and Helsby, vacant as in spring 2025): its constituency has no
  currentRepresentation and no member appears in Members/Search;
* MPs with no Parliamentary office email (Begley, Hendrick) and one whose only contact entry is a
  Constituency office (Powell); accented names; an independent; the Speaker;
* terminated postcodes (seed rows with doterm), well-formed unknown postcodes.
"""

from __future__ import annotations

from .dataset import (
    Dataset,
    FakeConstituency,
    FakeMember,
    FakeParty,
    FakePostcode,
    constituency_id_for_gss,
)

# Party ids are the Members API's; colours as it sends them (hex without '#').
LAB = FakeParty(15, "Labour", "Lab", "d50000", "ffffff")
LAB_COOP = FakeParty(23, "Labour (Co-op)", "Lab", "d50000", "ffffff")
CON = FakeParty(4, "Conservative", "Con", "0063ba", "ffffff")
LD = FakeParty(17, "Liberal Democrat", "LD", "fc7d0b", "ffffff")
SNP = FakeParty(29, "Scottish National Party", "SNP", "fff685", "000000")
PC = FakeParty(22, "Plaid Cymru", "PC", "348837", "ffffff")
GREEN = FakeParty(44, "Green Party", "Green", "78b82a", "ffffff")
SF = FakeParty(30, "Sinn Féin", "SF", "02665f", "ffffff")
DUP = FakeParty(7, "Democratic Unionist Party", "DUP", "d46a4c", "ffffff")
SDLP = FakeParty(31, "Social Democratic & Labour Party", "SDLP", "4ea268", "000000")
IND = FakeParty(8, "Independent", "Ind", "909090", "ffffff", is_independent=True)
SPEAKER = FakeParty(47, "Speaker", "Spk", "4d4d4d", "ffffff")

# GSS code -> (postcodes.io spelling, Members API spelling) for every seat in this fixture whose
# names differ.  The first two are real differences between the services; the last three are
# INVENTED (the real Members API spells them like postcodes.io) so that the app's name join is
# tested against hyphen/space, "St."/"St" and "&"/"and" differences too.
SPELLING_VARIANTS: dict[str, tuple[str, str]] = {
    "E14001127": ("Bridlington and The Wolds", "Bridlington and the Wolds"),  # real (case)
    "W07000102": ("Montgomeryshire and Glyndwr", "Montgomeryshire and Glyndŵr"),  # real (accent)
    "E14001520": ("Stoke-on-Trent Central", "Stoke on Trent Central"),  # invented: hyphens
    "E14001507": ("St Albans", "St. Albans"),  # invented: full stop
    "E14001528": ("Stretford and Urmston", "Stretford & Urmston"),  # invented: ampersand
}

VACANT_SEAT_CODE = "E14001455"  # Runcorn and Helsby
VACANT_SEAT_ID = constituency_id_for_gss(VACANT_SEAT_CODE)

# Named postcodes for tests; every one is in the fixture except "not_found" / "invalid".
EXAMPLE_POSTCODES: dict[str, str] = {
    "england": "SW1A 1AA",  # Cities of London and Westminster, Rachel Blake
    "scotland": "AB10 1AB",  # Aberdeen South (seed)
    "wales": "LL77 7TW",  # Ynys Môn
    "northern_ireland": "BT1 5GS",  # Belfast South and Mid Down
    "no_email_mp": "BT79 7BL",  # West Tyrone, Órfhlaith Begley: Parliamentary office, no email
    "constituency_office_only": "M1 1AD",  # Manchester Central, Lucy Powell (seed)
    "speaker": "PR7 1DP",  # Chorley
    "independent": "N5 1BU",  # Islington North, Jeremy Corbyn
    "spelling_case": "YO16 4LP",  # Bridlington and The Wolds / the Wolds
    "spelling_accent": "SY21 8RF",  # Montgomeryshire and Glyndwr / Glyndŵr
    "vacant_seat": "WA7 5TD",  # Runcorn and Helsby, no MP
    "terminated": "SE1 9ZZ",  # withdrawn 1998-12 (seed)
    "channel_islands": "JE2 4WD",  # Jersey (seed): L99999999, no seat
    "guernsey": "GY1 1FH",
    "isle_of_man": "IM1 3PW",  # M99999999, no seat
    "not_found": "ZZ9 9ZZ",  # well formed, unknown
    "invalid": "NOT A POSTCODE",
}

_E, _S, _W, _N = "England", "Scotland", "Wales", "Northern Ireland"
_MP = "@parliament.uk"

# (gss, postcodes.io name, country, region, admin district, (lat, lon), live postcodes,
#  terminated postcodes as (postcode, year, month, quality))
_SEATS = [
    (
        "E14001172",
        "Cities of London and Westminster",
        _E,
        "London",
        "Westminster",
        (51.507, -0.135),
        ["SW1A 1AA", "SW1A 0AA", "SW1A 2AA", "EC2R 8AH"],
        [],
    ),
    (
        "E14001085",
        "Bermondsey and Old Southwark",
        _E,
        "London",
        "Southwark",
        (51.497, -0.085),
        ["SE1 2DL", "SE1P 5ZZ"],
        [("SE1 9ZZ", 1998, 12, 6)],
    ),  # (seed)
    (
        "E14001290",
        "Holborn and St Pancras",
        _E,
        "London",
        "Camden",
        (51.530, -0.125),
        ["WC1B 3DG", "NW1 2DB"],
        [],
    ),
    ("E14001305", "Islington North", _E, "London", "Islington", (51.560, -0.110), ["N5 1BU"], []),
    (
        "E14001170",
        "Chorley",
        _E,
        "North West",
        "Chorley",
        (53.653, -2.632),
        ["PR7 1DP", "PR7 1NP"],
        [],
    ),
    (
        "E14001433",
        "Preston",
        _E,
        "North West",
        "Preston",
        (53.759, -2.699),
        ["PR1 8XJ", "PR1 2PP"],
        [],
    ),
    (
        "E14001352",
        "Manchester Central",
        _E,
        "North West",
        "Manchester",
        (53.478, -2.240),
        ["M1 1AD", "M11 1AA"],
        [],
    ),  # (seed)
    (
        "E14001528",
        "Stretford and Urmston",
        _E,
        "North West",
        "Trafford",
        (53.456, -2.300),
        ["M16 0RA", "M16 0PX"],
        [],
    ),
    (
        "E14001127",
        "Bridlington and The Wolds",
        _E,
        "Yorkshire and The Humber",
        "East Riding of Yorkshire",
        (54.083, -0.192),
        ["YO16 4LP", "YO15 1EA"],
        [],
    ),
    (
        "E14001130",
        "Brighton Pavilion",
        _E,
        "South East",
        "Brighton and Hove",
        (50.829, -0.140),
        ["BN1 1EE", "BN1 3XP"],
        [],
    ),
    (
        "E14001258",
        "Guildford",
        _E,
        "South East",
        "Guildford",
        (51.236, -0.580),
        ["GU2 7UP", "GU2 7XH"],
        [],
    ),
    (
        "E14001520",
        "Stoke-on-Trent Central",
        _E,
        "West Midlands",
        "Stoke-on-Trent",
        (53.010, -2.180),
        ["ST4 2AA", "ST4 1HH"],
        [],
    ),
    (
        "E14001507",
        "St Albans",
        _E,
        "East of England",
        "St Albans",
        (51.752, -0.336),
        ["AL1 1BY", "AL3 5DJ"],
        [],
    ),
    (
        "E14001455",
        "Runcorn and Helsby",
        _E,
        "North West",
        "Halton",
        (53.330, -2.700),
        ["WA7 5TD", "WA7 1SX"],
        [],
    ),
    (
        "S14000060",
        "Aberdeen North",
        _S,
        None,
        "Aberdeen City",
        (57.170, -2.120),
        ["AB15 5HQ", "AB16 5SG"],
        [],
    ),  # (seed)
    (
        "S14000061",
        "Aberdeen South",
        _S,
        None,
        "Aberdeen City",
        (57.130, -2.120),
        ["AB10 1AB", "AB11 9QB", "AB12 5HJ"],  # (seed)
        [("AB1 0AA", 1996, 6, 1), ("AB1 0AF", 1992, 7, 8)],
    ),
    (
        "S14000111",
        "West Aberdeenshire and Kincardine",
        _S,
        None,
        "Aberdeenshire",
        (57.050, -2.500),
        ["AB12 4NN", "AB12 4TR"],
        [("AB1 0AE", 1996, 6, 8)],
    ),  # (seed)
    (
        "S14000078",
        "Edinburgh East and Musselburgh",
        _S,
        None,
        "City of Edinburgh",
        (55.950, -3.120),
        ["EH99 1SP", "EH8 8DX"],
        [],
    ),
    (
        "W07000112",
        "Ynys Môn",
        _W,
        None,
        "Isle of Anglesey",
        (53.270, -4.350),
        ["LL77 7TW", "LL58 8AP"],
        [],
    ),
    (
        "W07000102",
        "Montgomeryshire and Glyndwr",
        _W,
        None,
        "Powys",
        (52.660, -3.230),
        ["SY21 8RF"],
        [],
    ),
    (
        "W07000091",
        "Cardiff South and Penarth",
        _W,
        None,
        "Cardiff",
        (51.465, -3.170),
        ["CF99 1SN", "CF10 5AL"],
        [],
    ),
    (
        "N05000018",
        "West Tyrone",
        _N,
        None,
        "Fermanagh and Omagh",
        (54.600, -7.300),
        ["BT79 7BL", "BT82 8DY"],
        [],
    ),
    ("N05000001", "Belfast East", _N, None, "Belfast", (54.595, -5.860), ["BT4 3XX"], []),
    (
        "N05000003",
        "Belfast South and Mid Down",
        _N,
        None,
        "Belfast",
        (54.580, -5.930),
        ["BT1 5GS", "BT7 1NN"],
        [],
    ),
    (
        "N05000011",
        "Newry and Armagh",
        _N,
        None,
        "Newry, Mourne and Down",
        (54.250, -6.500),
        ["BT35 8DJ", "BT60 4EL"],
        [],
    ),
]

# Postcodes with a record but no constituency (pseudo codes, quality 9, no coordinates).
_NO_SEAT = [
    ("JE2 4WD", "Channel Islands", "L99999999"),  # (seed)
    ("GY1 1FH", "Channel Islands", "L99999999"),
    ("IM1 3PW", "Isle of Man", "M99999999"),
]

# (id, display as, list as, full title, address as, gender, party, start date, Parliamentary
#  email, extra FakeMember fields, GSS code of the seat)
_MEMBERS = [
    (
        5257,
        "Rachel Blake",
        "Blake, Rachel",
        "Rachel Blake MP",
        None,
        "F",
        LAB_COOP,
        "2024-07-04",
        "rachel.blake.mp" + _MP,
        {},
        "E14001172",
    ),
    (
        4368,
        "Neil Coyle",
        "Coyle, Neil",
        "Neil Coyle MP",
        None,
        "M",
        LAB,
        "2015-05-07",
        "neil.coyle.mp" + _MP,
        {"constituency_office": True},
        "E14001085",
    ),
    (
        4514,
        "Sir Keir Starmer",
        "Starmer, Sir Keir",
        "Rt Hon Sir Keir Starmer MP",
        "Sir Keir",
        "M",
        LAB,
        "2015-05-07",
        "keir.starmer.mp" + _MP,
        {"website": "https://keir-starmer.example.org"},
        "E14001290",
    ),  # invented site
    (
        185,
        "Jeremy Corbyn",
        "Corbyn, Jeremy",
        "Rt Hon Jeremy Corbyn MP",
        "Mr Corbyn",
        "M",
        IND,
        "1983-06-09",
        "jeremy.corbyn.mp" + _MP,
        {"constituency_office": True},
        "E14001305",
    ),
    (
        467,
        "Sir Lindsay Hoyle",
        "Hoyle, Sir Lindsay",
        "Rt Hon Sir Lindsay Hoyle MP",
        "Mr Speaker",
        "M",
        SPEAKER,
        "1997-05-01",
        "lindsay.hoyle.mp" + _MP,
        {},
        "E14001170",
    ),
    (
        473,
        "Sir Mark Hendrick",
        "Hendrick, Sir Mark",
        "Sir Mark Hendrick MP",
        "Sir Mark",
        "M",
        LAB_COOP,
        "2000-11-23",
        None,
        {"constituency_office": True},
        "E14001433",
    ),
    (
        4263,
        "Lucy Powell",
        "Powell, Lucy",
        "Rt Hon Lucy Powell MP",
        None,
        "F",
        LAB_COOP,
        "2012-11-15",
        None,
        {
            "parliamentary_office": False,
            "constituency_office": True,
            "constituency_office_email": "contact@lucypowell.org.uk",
        },
        "E14001352",
    ),
    (
        4979,
        "Andrew Western",
        "Western, Andrew",
        "Andrew Western MP",
        None,
        "M",
        LAB,
        "2022-12-15",
        "andrew.western.mp" + _MP,
        {},
        "E14001528",
    ),
    (
        5169,
        "Charlie Dewhirst",
        "Dewhirst, Charlie",
        "Charlie Dewhirst MP",
        None,
        "M",
        CON,
        "2024-07-04",
        "charlie.dewhirst.mp" + _MP,
        {},
        "E14001127",
    ),
    (
        5314,
        "Siân Berry",
        "Berry, Siân",
        "Siân Berry MP",
        "Ms Berry",
        "F",
        GREEN,
        "2024-07-04",
        "sian.berry.mp" + _MP,
        {"website": "https://sian-berry.example.org"},
        "E14001130",
    ),
    (
        5313,
        "Zöe Franklin",
        "Franklin, Zöe",
        "Zöe Franklin MP",
        None,
        "F",
        LD,
        "2024-07-04",
        "zoe.franklin.mp" + _MP,
        {},
        "E14001258",
    ),
    (
        4595,
        "Gareth Snell",
        "Snell, Gareth",
        "Gareth Snell MP",
        None,
        "M",
        LAB_COOP,
        "2024-07-04",
        "gareth.snell.mp" + _MP,
        {},
        "E14001520",
    ),
    (
        4769,
        "Daisy Cooper",
        "Cooper, Daisy",
        "Daisy Cooper MP",
        None,
        "F",
        LD,
        "2019-12-12",
        "daisy.cooper.mp" + _MP,
        {"constituency_office": True},
        "E14001507",
    ),
    (
        4357,
        "Kirsty Blackman",
        "Blackman, Kirsty",
        "Kirsty Blackman MP",
        None,
        "F",
        SNP,
        "2015-05-07",
        "kirsty.blackman.mp" + _MP,
        {},
        "S14000060",
    ),
    (
        4735,
        "Stephen Flynn",
        "Flynn, Stephen",
        "Stephen Flynn MP",
        None,
        "M",
        SNP,
        "2019-12-12",
        "stephen.flynn.mp" + _MP,
        {},
        "S14000061",
    ),
    (
        4601,
        "Andrew Bowie",
        "Bowie, Andrew",
        "Andrew Bowie MP",
        None,
        "M",
        CON,
        "2017-06-08",
        "andrew.bowie.mp" + _MP,
        {},
        "S14000111",
    ),
    (
        5245,
        "Chris Murray",
        "Murray, Chris",
        "Chris Murray MP",
        None,
        "M",
        LAB,
        "2024-07-04",
        "chris.murray.mp" + _MP,
        {},
        "S14000078",
    ),
    (
        5085,
        "Llinos Medi",
        "Medi, Llinos",
        "Llinos Medi MP",
        None,
        "F",
        PC,
        "2024-07-04",
        "llinos.medi.mp" + _MP,
        {"constituency_office": True},
        "W07000112",
    ),
    (
        5221,
        "Steve Witherden",
        "Witherden, Steve",
        "Steve Witherden MP",
        None,
        "M",
        LAB,
        "2024-07-04",
        "steve.witherden.mp" + _MP,
        {},
        "W07000102",
    ),
    (
        4264,
        "Stephen Doughty",
        "Doughty, Stephen",
        "Stephen Doughty MP",
        None,
        "M",
        LAB_COOP,
        "2012-11-15",
        "stephen.doughty.mp" + _MP,
        {},
        "W07000091",
    ),
    (
        4697,
        "Órfhlaith Begley",
        "Begley, Órfhlaith",
        "Órfhlaith Begley MP",
        None,
        "F",
        SF,
        "2018-05-03",
        None,
        {},
        "N05000018",
    ),
    (
        4360,
        "Gavin Robinson",
        "Robinson, Gavin",
        "Rt Hon Gavin Robinson MP",
        None,
        "M",
        DUP,
        "2015-05-07",
        "gavin.robinson.mp" + _MP,
        {},
        "N05000001",
    ),
    (
        4827,
        "Claire Hanna",
        "Hanna, Claire",
        "Claire Hanna MP",
        None,
        "F",
        SDLP,
        "2019-12-12",
        "claire.hanna.mp" + _MP,
        {},
        "N05000003",
    ),
    (
        5292,
        "Dáire Hughes",
        "Hughes, Dáire",
        "Dáire Hughes MP",
        None,
        "M",
        SF,
        "2024-07-04",
        "daire.hughes.mp" + _MP,
        {},
        "N05000011",
    ),
]


def _jitter(lat_lon: tuple[float, float], i: int) -> tuple[float, float]:
    lat, lon = lat_lon
    return (round(lat + 0.0013 * (i % 5), 6), round(lon + 0.0017 * (i % 7), 6))


def build_default_dataset() -> Dataset:
    postcodes: list[FakePostcode] = []
    seats: list[FakeConstituency] = []
    members_by_seat = {row[-1]: row for row in _MEMBERS}
    members: list[FakeMember] = []
    for code, pio_name, country, region, district, centre, live, dead in _SEATS:
        for i, pc in enumerate(live):
            postcodes.append(
                FakePostcode(
                    pc,
                    country,
                    region,
                    pio_name,
                    code,
                    admin_district=district,
                    location=_jitter(centre, i),
                )
            )
        for pc, year, month, quality in dead:
            postcodes.append(
                FakePostcode(
                    pc,
                    country,
                    region,
                    pio_name,
                    code,
                    (year, month),
                    admin_district=district,
                    location=_jitter(centre, 3),
                    quality=quality,
                )
            )
        seat_id = constituency_id_for_gss(code)
        members_name = SPELLING_VARIANTS.get(code, (pio_name, pio_name))[1]
        row = members_by_seat.get(code)
        seats.append(
            FakeConstituency(
                seat_id,
                members_name,
                "2024-07-04T00:00:00",
                None if row is None else row[0],
                gss_code=code,
            )
        )
        if row is None:
            continue
        mid, display, list_as, title, address, gender, party, start, email, extra, _ = row
        members.append(
            FakeMember(
                mid,
                display,
                list_as,
                title,
                address,
                gender,
                party,
                members_name,
                seat_id,
                start + "T00:00:00",
                email,
                **extra,
            )
        )
    for pc, country, code in _NO_SEAT:
        postcodes.append(FakePostcode(pc, country, None, None, code, quality=9))
    return Dataset(postcodes=postcodes, members=members, constituencies=seats)
