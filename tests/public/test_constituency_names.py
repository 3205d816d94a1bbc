"""One spelling of every constituency: the Members API's (the official 2024 names, as the
Boundary Commission spells them), wherever a name is shown. The fake postcodes.io spells
E14001528 "Stretford and Urmston" and the fake Members API "Stretford & Urmston" (fixture.py's
SPELLING_VARIANTS), so any place that showed postcodes.io's spelling would be caught here."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Constituency
from action_app.registry import registry_of
from action_app.services.members_import import import_members_csv
from action_app.stats import hexmap
from action_app.stats.figures import Row, _label_seats
from tests.conftest import sync_directory
from tests.fakes import SPELLING_VARIANTS
from tests.html import text
from tests.journey import open_letter, write_letter

CODE = "E14001528"
POSTCODES_IO, OFFICIAL = SPELLING_VARIANTS[CODE]
POSTCODE = "M16 0RA"
URL = "/c/test-campaign"
CSV_HEADER = (
    '"pcon_name","pcon_code","member_id","full_title","display_as","party_text",'
    '"member_email","region_name","country_name"\n'
)


def shows_only_the_official_spelling(page_text: str) -> None:
    assert OFFICIAL in page_text
    assert POSTCODES_IO not in page_text


def test_the_two_sources_really_differ():
    assert (POSTCODES_IO, OFFICIAL) == ("Stretford and Urmston", "Stretford & Urmston")


def test_every_page_and_the_letter_use_the_official_spelling(journey):
    mp_page = journey.get(f"{URL}/your-mp", query_string={"postcode": POSTCODE})
    shows_only_the_official_spelling(text(mp_page))
    # The list (and the autocomplete, which is built on its options).
    chooser = journey.get(f"{URL}/choose-constituency").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", chooser)
    assert any(OFFICIAL.replace("&", "&amp;") in o for o in options)
    assert not any(POSTCODES_IO in o for o in options)
    # The letter: its subject names the constituency.
    letter_page = open_letter(journey, POSTCODE)
    shows_only_the_official_spelling(text(letter_page))
    check = journey.get(write_letter(journey, POSTCODE).headers["Location"])
    assert f"A constituent in {OFFICIAL} on the library" in text(check)
    shows_only_the_official_spelling(text(check))


def test_stats_and_the_hex_map_use_the_official_spelling(journey, tmp_path):
    journey.get(f"{URL}/your-mp", query_string={"postcode": POSTCODE})  # learns the GSS code
    db.session.commit()
    registry_of(journey.application).clear_caches()
    seat = db.session.scalar(select(Constituency).where(Constituency.gss_code == CODE))
    (row,) = _label_seats({str(seat.id): Row(str(seat.id), "", sent=3)})
    assert row.label == OFFICIAL
    layout = tmp_path / "hexes.json"
    layout.write_text(json.dumps({"layout": "odd-r", "hexes": {
        CODE: {"n": POSTCODES_IO, "q": 0, "r": 0},
    }}))  # fmt: skip
    svg = str(hexmap.render(str(layout), [row], "t"))
    assert "Stretford &amp; Urmston: 3 letters sent" in svg and POSTCODES_IO not in svg


def test_a_csv_import_never_undoes_the_official_spelling(any_app, fake_members):
    row = (
        f'"{POSTCODES_IO}","{CODE}","4874","Andrew Western MP","Andrew Western","Labour",'
        '"andrew.western.mp@parliament.uk","North West","England"\n'
    )
    # Imported first, the seat carries the CSV's spelling (the only one known)...
    import_members_csv(io.StringIO(CSV_HEADER + row))
    db.session.commit()
    assert db.session.scalar(select(Constituency.name).where(Constituency.gss_code == CODE)) == (
        POSTCODES_IO
    )
    # ...until the Members API names it; a later import keeps that name.
    sync_directory(any_app)
    names = db.session.scalars(select(Constituency.name).where(Constituency.gss_code == CODE))
    assert list(names) == [OFFICIAL]
    import_members_csv(io.StringIO(CSV_HEADER + row))
    db.session.commit()
    assert db.session.scalar(select(Constituency.name).where(Constituency.gss_code == CODE)) == (
        OFFICIAL
    )
