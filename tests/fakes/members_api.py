"""Fake UK Parliament Members API (the parts described in shared/API-NOTES.md).

Routes (paths case-insensitive, query names case-insensitive, as in ASP.NET):
  GET /api/Members/Search?House=&IsCurrentMember=&Name=&Location=&PartyId=&skip=&take=
  GET /api/Members/{id}
  GET /api/Members/{id}/Contact
  GET /api/Location/Constituency/Search?searchText=&skip=&take=
  GET /api/Location/Constituency/{id}
`take` must be 1..20 (default 20); a bad value answers 400 with an ASP.NET validation problem.
Unknown ids and paths answer 404 with an RFC 7807 problem body
{"type": ".../rfc7231#section-6.5.4", "title": "Not Found", "status": 404, "traceId": ...}.
"""

from __future__ import annotations

import secrets
import unicodedata
from http import HTTPStatus

from .dataset import FakeMember, postcode_key
from .members_json import constituency_json, contact_json, member_json, member_links
from .server import FakeServer, Request, Response, json_response

PROBLEM_TYPE = "application/problem+json; charset=utf-8"
MAX_TAKE = 20
_RFC = "https://tools.ietf.org/html/rfc7231#section-"
_PROBLEM_SECTIONS = {
    400: "6.5.1",
    404: "6.5.4",
    405: "6.5.5",
    429: "6.6",
    500: "6.6.1",
    503: "6.6.4",
}


def _trace_id() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def problem_body(status: int, title: str | None = None, **extra: object) -> dict[str, object]:
    if title is None:
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
    return {
        "type": _RFC + _PROBLEM_SECTIONS.get(status, "6.6.1"),
        "title": title,
        "status": status,
        "traceId": _trace_id(),
        **extra,
    }


def problem(status: int, title: str | None = None, **extra: object) -> Response:
    return json_response(status, problem_body(status, title, **extra), PROBLEM_TYPE)


def validation_problem(errors: dict[str, list[str]]) -> Response:
    return problem(400, "One or more validation errors occurred.", errors=errors)


class _Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _sort_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name.lower())
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Invalid({name: [f"The value '{raw}' is not valid."]}) from None
    if not low <= value <= high:
        raise _Invalid({name: [f"The field {name} must be between {low} and {high}."]})
    return value


def _paging(params: dict[str, str]) -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    skip = take = 0
    try:
        skip = _int_param(params, "skip", 0, 0, 2147483647)
    except _Invalid as exc:
        errors.update(exc.errors)
    try:
        take = _int_param(params, "take", MAX_TAKE, 1, MAX_TAKE)
    except _Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise _Invalid(errors)
    return skip, take


def _page_links(base: str, skip: int, take: int, total: int) -> list[dict[str, str]]:
    links = [{"rel": "self", "href": f"{base}?skip={skip}&take={take}", "method": "GET"}]
    if skip + take < total:
        links.append(
            {"rel": "page.next", "href": f"{base}?skip={skip + take}&take={take}", "method": "GET"}
        )
    if skip > 0:
        links.append(
            {
                "rel": "page.previous",
                "href": f"{base}?skip={max(skip - take, 0)}&take={take}",
                "method": "GET",
            }
        )
    return links


# An 8x8 grey PNG: every fake MP's photo.
THUMBNAIL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000008000000080800000000e164e1570000000e49444154789c63"
    "9809050c943100619326416f97a36d0000000049454e44ae426082"
)


class FakeMembersAPI(FakeServer):
    name = "members-api"

    def error_payload(self, status: int) -> tuple[object, str]:
        title = "An error occurred while processing your request." if status == 500 else None
        return problem_body(status, title), PROBLEM_TYPE

    def handle_api(self, req: Request) -> Response:
        method = "GET" if req.method == "HEAD" else req.method
        path = req.path.rstrip("/").lower()
        parts = path.split("/")[1:]
        if len(parts) < 3 or parts[0] != "api":
            return problem(404)
        if method != "GET":
            return Response(405, b"", None, [("Allow", "GET")])
        try:
            return self._route(parts[1:], req.params())
        except _Invalid as exc:
            return validation_problem(exc.errors)

    def _route(self, parts: list[str], params: dict[str, str]) -> Response:
        if parts == ["members", "search"]:
            return self._search_members(params)
        if parts[0] == "members" and parts[1].isdigit() and len(parts) in (2, 3):
            member = self.dataset.member(int(parts[1]))
            if member is None:
                return problem(404)
            if len(parts) == 2:
                return json_response(
                    200, {"value": member_json(member), "links": member_links(member.id)}
                )
            if parts[2] == "contact":
                return self._contact(member)
            if parts[2] == "thumbnail":
                return Response(200, THUMBNAIL_PNG, "image/png")
        if parts[:2] == ["location", "constituency"] and len(parts) == 3:
            if parts[2] == "search":
                return self._search_constituencies(params)
            if parts[2].isdigit():
                seat = self.dataset.constituency(int(parts[2]))
                if seat is None:
                    return problem(404)
                value = constituency_json(seat, self.dataset.current_member(seat))
                return json_response(200, {"value": value, "links": []})
        return problem(404)

    # -- /api/Members/... -----------------------------------------------------------------
    def _search_members(self, params: dict[str, str]) -> Response:
        skip, take = _paging(params)
        members = list(self.dataset.members)
        house = params.get("house", "").strip().lower()
        if house not in ("", "1", "commons", "2", "lords"):
            raise _Invalid({"House": [f"The value '{params['house']}' is not valid."]})
        if house in ("2", "lords"):
            members = []  # the fake knows only MPs
        current = params.get("iscurrentmember", "").strip().lower()
        if current not in ("", "true", "false"):
            raise _Invalid(
                {"IsCurrentMember": [f"The value '{params['iscurrentmember']}' is not valid."]}
            )
        if current == "false":
            members = []  # every fake member is current
        if params.get("partyid"):
            party = _int_param(params, "PartyId", 0, 0, 2147483647)
            members = [m for m in members if m.party.id == party]
        name = params.get("name", "").strip().casefold()
        if name:
            members = [
                m
                for m in members
                if any(
                    name in n.casefold()
                    for n in (m.name_display_as, m.name_list_as, m.name_full_title)
                )
            ]
        location = params.get("location", "").strip()
        if location:
            seat_ids = self._seats_for_location(location)
            members = [m for m in members if m.constituency_id in seat_ids]
        members.sort(key=lambda m: (_sort_key(m.name_list_as), m.id))
        page = members[skip : skip + take]
        return json_response(
            200,
            {
                "items": [{"value": member_json(m), "links": member_links(m.id)} for m in page],
                "totalResults": len(members),
                "resultContext": "Members",
                "skip": skip,
                "take": take,
                "links": _page_links("/Members/Search", skip, take, len(members)),
            },
        )

    def _seats_for_location(self, location: str) -> set[int]:
        """A postcode -> its seat (via the postcodes and the name join); else a name match."""
        if postcode_key(location) is not None:
            seat = self.dataset.constituency_for_postcode(location)
            return set() if seat is None else {seat.id}
        needle = location.casefold()
        return {c.id for c in self.dataset.constituencies if needle in c.name.casefold()}

    def _contact(self, member: FakeMember) -> Response:
        postcodes = self.dataset.postcodes_in(member.constituency_id)
        office = postcodes[0] if postcodes else None
        return json_response(
            200,
            {
                "value": contact_json(member, office),
                "links": [
                    {"rel": "self", "href": f"/Members/{member.id}/Contact", "method": "GET"}
                ],
            },
        )

    # -- /api/Location/Constituency/... ---------------------------------------------------
    def _search_constituencies(self, params: dict[str, str]) -> Response:
        skip, take = _paging(params)
        # Case-insensitive, accent-sensitive substring, like a SQL Server CI_AS collation.
        text = params.get("searchtext", "").strip().casefold()
        seats = [c for c in self.dataset.constituencies if text in c.name.casefold()]
        seats.sort(key=lambda c: (_sort_key(c.name), c.id))
        page = seats[skip : skip + take]
        items = [
            {"value": constituency_json(c, self.dataset.current_member(c)), "links": []}
            for c in page
        ]
        return json_response(
            200,
            {
                "items": items,
                "totalResults": len(seats),
                "resultContext": "Constituencies",
                "skip": skip,
                "take": take,
                "links": _page_links("/Location/Constituency/Search", skip, take, len(seats)),
            },
        )
