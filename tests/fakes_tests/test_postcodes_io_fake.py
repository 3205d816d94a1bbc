"""The fake postcodes.io answers in the formats shared/API-NOTES.md documents."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.fakes import EXAMPLE_POSTCODES

from .helpers import raw_get

RESULT_KEYS = {
    "postcode",
    "quality",
    "eastings",
    "northings",
    "country",
    "nhs_ha",
    "longitude",
    "latitude",
    "european_electoral_region",
    "primary_care_trust",
    "region",
    "lsoa",
    "msoa",
    "incode",
    "outcode",
    "parliamentary_constituency",
    "parliamentary_constituency_2024",
    "admin_district",
    "parish",
    "admin_county",
    "admin_ward",
    "ced",
    "ccg",
    "nuts",
    "pfa",
    "codes",
}
CODE_KEYS = {
    "admin_district",
    "admin_county",
    "admin_ward",
    "parish",
    "parliamentary_constituency",
    "parliamentary_constituency_2024",
    "ccg",
    "ccg_id",
    "ced",
    "nuts",
    "lsoa",
    "msoa",
    "lau2",
    "pfa",
}


def lookup(http, pio, text: str):
    return http.get(f"{pio.url}/postcodes/{quote(text, safe='')}", timeout=5)


def test_live_postcode_has_the_documented_shape(http, pio):
    resp = lookup(http, pio, "SW1A 1AA")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["ETag"].startswith('W/"')
    assert "Cache-Control" not in resp.headers
    body = resp.json()
    assert body["status"] == 200
    result = body["result"]
    assert set(result) >= RESULT_KEYS
    assert set(result["codes"]) >= CODE_KEYS
    assert result["postcode"] == "SW1A 1AA"
    assert (result["outcode"], result["incode"]) == ("SW1A", "1AA")
    assert result["country"] == "England"
    assert result["region"] == "London"
    assert result["parliamentary_constituency"] == "Cities of London and Westminster"
    assert result["parliamentary_constituency_2024"] == result["parliamentary_constituency"]
    assert result["codes"]["parliamentary_constituency"] == "E14001172"
    assert result["quality"] == 1
    assert isinstance(result["latitude"], float) and isinstance(result["eastings"], int)


@pytest.mark.parametrize(
    "spelling",
    [
        "sw1a1aa",
        " SW1A  1AA ",
        "SW1A\t1AA",
        "SW1A\u00a01AA",
        "sW1a 1aA",
        "SW1A\u20031AA",
        "\u00a0SW1A1AA\t",
    ],
)
def test_whitespace_and_case_variants_match(http, pio, spelling):
    resp = lookup(http, pio, spelling)
    assert resp.status_code == 200, spelling
    assert resp.json()["result"]["postcode"] == "SW1A 1AA"


@pytest.mark.parametrize(
    "text",
    [
        "NOT A POSTCODE",
        "GIR 0AA",
        "BFPO 123",
        "SW1A 1A",
        "12345",
        "SW1A_1AA",
        "SW1A-1AA",
        "SW1A+1AA",
        "S\u212a1 1AA",
        "SW\u0661A 1AA",
        " ",
    ],
)
def test_format_failures_are_invalid_postcode(http, pio, text):
    resp = lookup(http, pio, text)
    assert resp.status_code == 404
    assert resp.json() == {"status": 404, "error": "Invalid postcode"}


def test_plus_in_the_path_is_not_a_space(http, pio):
    resp = http.get(f"{pio.url}/postcodes/SW1A+1AA", timeout=5)
    assert resp.status_code == 404
    assert resp.json()["error"] == "Invalid postcode"
    assert http.get(f"{pio.url}/postcodes/SW1A%201AA", timeout=5).status_code == 200


@pytest.mark.parametrize("text", ["ZZ9 9ZZ", "BF1 3AA", "SW1A 9ZZ"])
def test_well_formed_unknown_is_not_found(http, pio, text):
    resp = lookup(http, pio, text)
    assert resp.status_code == 404
    assert resp.json() == {"status": 404, "error": "Postcode not found"}


def test_terminated_postcode_is_not_found_with_details(http, pio):
    resp = lookup(http, pio, "se19zz")
    assert resp.status_code == 404
    body = resp.json()
    assert body["error"] == "Postcode not found"
    term = body["terminated"]
    assert set(term) == {"postcode", "year_terminated", "month_terminated", "longitude", "latitude"}
    assert (term["postcode"], term["year_terminated"], term["month_terminated"]) == (
        "SE1 9ZZ",
        1998,
        12,
    )


@pytest.mark.parametrize(
    ("postcode", "country", "prefix"),
    [
        ("AB10 1AB", "Scotland", "S14"),
        ("LL77 7TW", "Wales", "W07"),
        ("BT79 7BL", "Northern Ireland", "N05"),
    ],
)
def test_devolved_nations_have_seats_and_no_region(http, pio, postcode, country, prefix):
    result = lookup(http, pio, postcode).json()["result"]
    assert result["country"] == country
    assert result["region"] is None
    assert result["parliamentary_constituency"]
    assert result["codes"]["parliamentary_constituency"].startswith(prefix)


def test_spelling_as_postcodes_io_spells_it(http, pio):
    result = lookup(http, pio, EXAMPLE_POSTCODES["spelling_accent"]).json()["result"]
    assert result["parliamentary_constituency"] == "Montgomeryshire and Glyndwr"
    result = lookup(http, pio, EXAMPLE_POSTCODES["spelling_case"]).json()["result"]
    assert result["parliamentary_constituency"] == "Bridlington and The Wolds"
    result = lookup(http, pio, EXAMPLE_POSTCODES["wales"]).json()["result"]
    assert result["parliamentary_constituency"] == "Ynys Môn"


@pytest.mark.parametrize(
    ("postcode", "country", "code"),
    [
        ("JE2 4WD", "Channel Islands", "L99999999"),
        ("GY1 1FH", "Channel Islands", "L99999999"),
        ("IM1 3PW", "Isle of Man", "M99999999"),
    ],
)
def test_crown_dependencies_exist_without_a_seat(http, pio, postcode, country, code):
    result = lookup(http, pio, postcode).json()["result"]
    assert result["country"] == country
    assert result["parliamentary_constituency"] is None
    assert result["codes"]["parliamentary_constituency"] == code
    assert result["quality"] == 9
    assert result["longitude"] is None and result["latitude"] is None


@pytest.mark.parametrize("path", ["/postcodes/", "/postcodes"])
def test_empty_postcode_is_400(http, pio, path):
    resp = http.get(pio.url + path, timeout=5)
    assert resp.status_code == 400
    assert resp.json() == {
        "status": 400,
        "error": "No postcode query submitted. Remember to include query parameter",
    }


@pytest.mark.parametrize(
    "raw",
    [
        "/postcodes/SW1A%2",
        "/postcodes/%ZZ1A1AA",
        "/postcodes/%FF%FE",
        "/postcodes/SW1A%C3/validate",
    ],
)
def test_malformed_escapes_and_bad_utf8_are_500(pio, raw):
    status, body = raw_get(pio.url, raw)
    assert status == 500
    assert body["status"] == 500 and body["error"].startswith("500 Server Error.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SW1A 1AA", True),
        ("sw1a1aa", True),
        ("SE1 9ZZ", False),
        ("ZZ9 9ZZ", False),
        ("nonsense", False),
    ],
)
def test_validate_is_always_200(http, pio, text, expected):
    resp = http.get(f"{pio.url}/postcodes/{quote(text, safe='')}/validate", timeout=5)
    assert resp.status_code == 200
    assert resp.json() == {"status": 200, "result": expected}


def test_terminated_postcodes_endpoint(http, pio):
    resp = http.get(f"{pio.url}/terminated_postcodes/AB1%200AF", timeout=5)
    assert resp.status_code == 200
    assert resp.json()["result"]["year_terminated"] == 1992
    assert resp.json()["result"]["month_terminated"] == 7
    live = http.get(f"{pio.url}/terminated_postcodes/SW1A%201AA", timeout=5)
    assert live.status_code == 404
    assert live.json()["error"] == "Terminated postcode not found"
    bad = http.get(f"{pio.url}/terminated_postcodes/nonsense", timeout=5)
    assert bad.json() == {"status": 404, "error": "Invalid postcode"}


def test_bulk_matches_by_query_and_drops_non_strings(http, pio):
    sent = [" sw1a1aa", "SE1 9ZZ", 42, "ZZ9 9ZZ", None, "nonsense", {"x": 1}, "BT79 7BL"]
    resp = http.post(f"{pio.url}/postcodes", json={"postcodes": sent}, timeout=5)
    assert resp.status_code == 200
    result = resp.json()["result"]
    assert [r["query"] for r in result] == [
        " sw1a1aa",
        "SE1 9ZZ",
        "ZZ9 9ZZ",
        "nonsense",
        "BT79 7BL",
    ]
    by_query = {r["query"]: r["result"] for r in result}
    assert by_query[" sw1a1aa"]["postcode"] == "SW1A 1AA"
    assert by_query["SE1 9ZZ"] is None and by_query["ZZ9 9ZZ"] is None
    assert by_query["nonsense"] is None
    assert by_query["BT79 7BL"]["parliamentary_constituency"] == "West Tyrone"


def test_bulk_limits(http, pio):
    ok = http.post(f"{pio.url}/postcodes", json={"postcodes": ["SW1A 1AA"] * 100}, timeout=5)
    assert ok.status_code == 200 and len(ok.json()["result"]) == 100
    too_many = http.post(f"{pio.url}/postcodes", json={"postcodes": ["SW1A 1AA"] * 101}, timeout=5)
    assert too_many.status_code == 400
    assert too_many.json()["error"].startswith("Too many postcodes submitted.")
    big = {"postcodes": ["SW1A 1AA"], "padding": "x" * 110_000}
    assert http.post(f"{pio.url}/postcodes", json=big, timeout=5).status_code == 500


def test_bulk_needs_the_json_content_type(http, pio):
    resp = http.post(
        f"{pio.url}/postcodes",
        data=json.dumps({"postcodes": ["SW1A 1AA"]}),
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert resp.status_code == 500
    assert resp.json()["error"].startswith("500 Server Error.")


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        ('{"postcodes": "SW1A 1AA"}', "Invalid data submitted. You need to provide a JSON array"),
        ('{"postcodes": {"a": 1}}', "Invalid data submitted."),
        ("{}", "Invalid JSON query submitted."),
        ('{"postcodes": ""}', "Invalid JSON query submitted."),
        ('["SW1A 1AA"]', "Invalid JSON query submitted."),
        ("not json {", "Invalid JSON submitted."),
        ('"SW1A 1AA"', "Invalid JSON submitted."),
    ],
)
def test_bulk_400_texts(http, pio, body, prefix):
    resp = http.post(
        f"{pio.url}/postcodes", data=body, headers={"Content-Type": "application/json"}, timeout=5
    )
    assert resp.status_code == 400
    assert resp.json()["status"] == 400
    assert resp.json()["error"].startswith(prefix)


def test_bulk_empty_list_is_an_empty_result(http, pio):
    resp = http.post(f"{pio.url}/postcodes", json={"postcodes": []}, timeout=5)
    assert resp.json() == {"status": 200, "result": []}


def test_etag_and_304(http, pio):
    first = lookup(http, pio, "SW1A 1AA")
    etag = first.headers["ETag"]
    again = http.get(f"{pio.url}/postcodes/SW1A%201AA", headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    other = http.get(f"{pio.url}/postcodes/SW1A%202AA", headers={"If-None-Match": etag}, timeout=5)
    assert other.status_code == 200
    missing = lookup(http, pio, "ZZ9 9ZZ")
    assert missing.headers["ETag"].startswith('W/"')
    still_404 = http.get(
        f"{pio.url}/postcodes/ZZ9%209ZZ",
        headers={"If-None-Match": missing.headers["ETag"]},
        timeout=5,
    )
    assert still_404.status_code == 404


def test_unknown_route_and_cors_preflight(http, pio):
    resp = http.get(f"{pio.url}/nowhere", timeout=5)
    assert resp.json() == {"status": 404, "error": "Resource not found"}
    pre = http.options(f"{pio.url}/postcodes", timeout=5)
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
