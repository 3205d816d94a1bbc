"""Fake postcodes.io (release 18.0.1 behaviour, as described in shared/API-NOTES.md).

Routes: GET /postcodes/{pc}, GET /postcodes/{pc}/validate, GET /terminated_postcodes/{pc},
POST /postcodes (bulk), GET /postcodes?q= (prefix search), OPTIONS (CORS preflight).
Every answer is JSON with Access-Control-Allow-Origin: * and a weak ETag; a GET whose
If-None-Match matches a 200 answer gets 304.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from .dataset import FakePostcode, postcode_key
from .server import JSON_TYPE, FakeServer, Request, Response, json_response

SERVER_ERROR = (
    "500 Server Error.\nFor an urgent fix email support@ideal-postcodes.co.uk. \n"
    "Alternatively submit an issue at https://github.com/ideal-postcodes/postcodes.io/issues\n"
)
_JSON_HINT = (
    "You need to submit a JSON object with an array of postcodes or geolocation objects.\n"
    "Also ensure that Content-Type is set to application/json\n"
)
INVALID_JSON = "Invalid JSON submitted.\n" + _JSON_HINT
INVALID_JSON_QUERY = "Invalid JSON query submitted. \n" + _JSON_HINT
JSON_ARRAY_REQUIRED = "Invalid data submitted. You need to provide a JSON array"
TOO_MANY_POSTCODES = (
    "Too many postcodes submitted. Up to 100 postcodes can be bulk requested at a time"
)
TOO_MANY_LOCATIONS = (
    "Too many locations submitted. Up to 100 locations can be bulk requested at a time"
)
QUERY_REQUIRED = "No postcode query submitted. Remember to include query parameter"
MAX_BULK = 100
MAX_BODY = 100 * 1024  # body-parser's "100kb"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class _ServerError(Exception):
    """Answer 500 with postcodes.io's default message."""


def _error(status: int, message: str, **extra: object) -> Response:
    return json_response(status, {"status": status, "error": message, **extra})


def _ok(result: object) -> Response:
    return json_response(200, {"status": 200, "result": result})


def _decode_segment(raw: str) -> str:
    """decodeURIComponent: '+' stays '+'; bad escapes and invalid UTF-8 are errors."""
    if _BAD_ESCAPE.search(raw):
        raise _ServerError
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise _ServerError from None


def _grid(lat: float | None, lon: float | None) -> tuple[int | None, int | None]:
    """Very rough OSGB eastings/northings - plausible numbers, not a real projection."""
    if lat is None or lon is None:
        return None, None
    east = 400000 + (lon + 2) * 111320 * math.cos(math.radians(lat))
    north = -100000 + (lat - 49) * 111200
    return round(east), round(north)


def _coords(pc: FakePostcode) -> tuple[float | None, float | None]:
    if pc.location is None or pc.quality == 9:
        return None, None
    return pc.location


def postcode_result(pc: FakePostcode) -> dict[str, object]:
    """The `result` object of GET /postcodes/{pc} for a live postcode."""
    lat, lon = _coords(pc)
    east, north = _grid(lat, lon)
    district = pc.admin_district
    h = zlib.crc32(pc.postcode.encode())
    lsoa = f"{district} {h % 200 + 1:03d}{'ABCDE'[h % 5]}" if district else None
    msoa = f"{district} {h % 200 + 1:03d}" if district else None
    uk_nation = pc.country in ("Scotland", "Wales", "Northern Ireland")
    return {
        "postcode": pc.postcode,
        "quality": pc.quality,
        "eastings": east,
        "northings": north,
        "country": pc.country,
        "nhs_ha": None,
        "longitude": lon,
        "latitude": lat,
        "european_electoral_region": pc.region or (pc.country if uk_nation else None),
        "primary_care_trust": None,
        "region": pc.region,
        "lsoa": lsoa,
        "msoa": msoa,
        "incode": pc.incode,
        "outcode": pc.outcode,
        "parliamentary_constituency": pc.constituency_name,
        "parliamentary_constituency_2024": pc.constituency_name,
        "admin_district": district,
        "parish": f"{district}, unparished area" if district and pc.region else None,
        "admin_county": None,
        "admin_ward": None,
        "ced": None,
        "ccg": None,
        "nuts": None,
        "pfa": None,
        "codes": {
            "admin_district": None,
            "admin_county": None,
            "admin_ward": None,
            "parish": None,
            "parliamentary_constituency": pc.constituency_code,
            "parliamentary_constituency_2024": pc.constituency_code,
            "ccg": None,
            "ccg_id": None,
            "ced": None,
            "nuts": None,
            "lsoa": None,
            "msoa": None,
            "lau2": None,
            "pfa": None,
        },
    }


def terminated_result(pc: FakePostcode) -> dict[str, object]:
    lat, lon = _coords(pc)
    year, month = pc.terminated or (None, None)
    return {
        "postcode": pc.postcode,
        "year_terminated": year,
        "month_terminated": month,
        "longitude": lon,
        "latitude": lat,
    }


def _js_truthy(value: object) -> bool:
    if value is None or value is False or value == "":
        return False
    return not (isinstance(value, int | float) and value == 0)


def _reject_constant(name: str) -> object:
    raise ValueError(f"invalid JSON constant {name}")


def _etag(body: bytes) -> str:
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()[:27]
    return f'W/"{len(body):x}-{digest}"'


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    bare = etag.removeprefix("W/")
    return any(t == "*" or t.removeprefix("W/") == bare for t in tags)


class FakePostcodesIO(FakeServer):
    name = "postcodes.io"

    def error_payload(self, status: int) -> tuple[object, str]:
        if status == 500:
            message = SERVER_ERROR
        else:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error"
        return {"status": status, "error": message}, JSON_TYPE

    def finalize(self, req: Request, resp: Response) -> Response:
        resp.headers.append(("Access-Control-Allow-Origin", "*"))
        if resp.body:
            etag = _etag(resp.body)
            resp.headers.append(("ETag", etag))
            inm = req.headers.get("If-None-Match")
            if (
                inm
                and resp.status == 200
                and req.method in ("GET", "HEAD")
                and _etag_matches(inm, etag)
            ):
                return Response(304, b"", None, resp.headers)
        return resp

    def handle_api(self, req: Request) -> Response:
        try:
            return self._route(req)
        except _ServerError:
            return _error(500, SERVER_ERROR)

    def _route(self, req: Request) -> Response:
        method = "GET" if req.method == "HEAD" else req.method
        if method == "OPTIONS":
            return Response(
                204,
                b"",
                None,
                [
                    ("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE"),
                    (
                        "Access-Control-Allow-Headers",
                        req.headers.get("Access-Control-Request-Headers") or "Content-Type",
                    ),
                ],
            )
        path = req.path[:-1] if len(req.path) > 1 and req.path.endswith("/") else req.path
        parts = path.split("/")[1:]
        if parts == ["postcodes"]:
            if method == "POST":
                return self._bulk(req)
            if method == "GET":
                return self._search(req)
        elif method == "GET" and len(parts) == 2 and parts[0] == "postcodes":
            return self._show(_decode_segment(parts[1]))
        elif method == "GET" and len(parts) == 3 and parts[::2] == ["postcodes", "validate"]:
            return _ok(self.dataset.live_postcode(_decode_segment(parts[1])) is not None)
        elif method == "GET" and len(parts) == 2 and parts[0] == "terminated_postcodes":
            return self._terminated(_decode_segment(parts[1]))
        return _error(404, "Resource not found")

    def _show(self, text: str) -> Response:
        if postcode_key(text) is None:
            return _error(404, "Invalid postcode")
        pc = self.dataset.postcode(text)
        if pc is None:
            return _error(404, "Postcode not found")
        if pc.terminated is not None:
            return _error(404, "Postcode not found", terminated=terminated_result(pc))
        return _ok(postcode_result(pc))

    def _terminated(self, text: str) -> Response:
        if postcode_key(text) is None:
            return _error(404, "Invalid postcode")
        pc = self.dataset.terminated_postcode(text)
        if pc is None:
            return _error(404, "Terminated postcode not found")
        return _ok(terminated_result(pc))

    def _search(self, req: Request) -> Response:
        params = req.params()
        query = params.get("q") or params.get("query") or ""
        if not query.strip():
            return _error(400, QUERY_REQUIRED)
        try:
            limit = min(max(int(params.get("limit") or 10), 1), 100)
        except ValueError:
            limit = 10
        prefix = query.strip().upper()
        hits = sorted(
            (
                p
                for p in self.dataset.live_postcodes()
                if p.postcode.startswith(prefix) or p.key.startswith(prefix)
            ),
            key=lambda p: p.postcode,
        )[:limit]
        return _ok([postcode_result(p) for p in hits] or None)

    def _bulk(self, req: Request) -> Response:
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json" or len(req.body) > MAX_BODY:
            return _error(500, SERVER_ERROR)
        try:
            text = req.body.decode("utf-8").strip()
            data = json.loads(text, parse_constant=_reject_constant) if text else {}
            if not isinstance(data, dict | list):
                raise ValueError("body-parser strict mode accepts objects and arrays only")
        except ValueError:
            return _error(400, INVALID_JSON)
        if not isinstance(data, dict):
            return _error(400, INVALID_JSON_QUERY)
        postcodes = data.get("postcodes")
        if _js_truthy(postcodes):
            if not isinstance(postcodes, list):
                return _error(400, JSON_ARRAY_REQUIRED)
            if len(postcodes) > MAX_BULK:
                return _error(400, TOO_MANY_POSTCODES)
            results = []
            for query in postcodes:
                if not isinstance(query, str):
                    continue  # silently dropped, as the real service does
                pc = self.dataset.live_postcode(query)
                results.append(
                    {"query": query, "result": None if pc is None else postcode_result(pc)}
                )
            return _ok(results)
        geolocations = data.get("geolocations")
        if _js_truthy(geolocations):
            # Reverse geocoding is not faked: every location answers null.
            if not isinstance(geolocations, list):
                return _error(400, JSON_ARRAY_REQUIRED)
            if len(geolocations) > MAX_BULK:
                return _error(400, TOO_MANY_LOCATIONS)
            keep = ("limit", "longitude", "latitude", "radius", "widesearch")
            return _ok(
                [
                    {
                        "query": {k: v for k, v in g.items() if k.lower() in keep}
                        if isinstance(g, dict)
                        else {},
                        "result": None,
                    }
                    for g in geolocations
                ]
            )
        return _error(400, INVALID_JSON_QUERY)
