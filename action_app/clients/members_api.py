"""The UK Parliament Members API: current Commons members, their office emails, constituencies.

Pages are at most 20 long (the API's own limit). The contact calls, about 650 of them, run on a
small thread pool so that no more than ``concurrency`` requests are ever in flight at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from action_app.clients.http import JsonHttpClient, RetryPolicy, ServiceUnavailable

PAGE_SIZE = 20
COMMONS = 1
PARLIAMENTARY_OFFICE = "parliamentary office"
MAX_PAGES = 100  # a guard: the Commons is about 33 pages


class MembersApiError(Exception):
    """The Members API answered, but not in the documented shape."""


class MembersApiUnavailable(MembersApiError):
    """The Members API could not be reached or kept failing."""


@dataclass(frozen=True)
class ApiMember:
    id: int
    display_name: str
    list_name: str | None
    full_title: str
    address_as: str | None
    party_name: str | None
    party_abbreviation: str | None
    party_colour: str | None
    constituency_name: str
    constituency_id: int | None
    thumbnail_url: str | None


@dataclass(frozen=True)
class ApiConstituency:
    id: int
    name: str
    current_member: ApiMember | None
    ended: bool = False  # abolished at a boundary review: the API keeps old seats


PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_PHOTO_BYTES = 512 * 1024


class MembersApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
    ):
        self.concurrency = max(1, concurrency)
        self.http = JsonHttpClient(
            "Members API",
            base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry or RetryPolicy(attempts=4, backoff_seconds=0.5, max_backoff_seconds=8.0),
            pool_size=self.concurrency,
        )

    def list_current_commons_members(
        self, on_page: Callable[[int, int], None] | None = None
    ) -> list[ApiMember]:
        """Every current MP, page by page; ``on_page(done, total)`` reports progress."""
        params = {"House": COMMONS, "IsCurrentMember": "true"}
        members = []
        for item, total in self._pages("/api/Members/Search", params):
            members.append(_member(item))
            if on_page:
                on_page(len(members), total)
        return members

    def fetch_parliamentary_email(self, member_id: int) -> str | None:
        """The email of the member's Parliamentary office entry, or None if they publish none."""
        status, body = self._get(f"/api/Members/{int(member_id)}/Contact")
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise MembersApiError(f"Contact for member {member_id}: HTTP {status}")
        return parliamentary_email(body.get("value") or [])

    def fetch_emails(
        self, member_ids: Iterable[int], on_done: Callable[[int], None] | None = None
    ) -> dict[int, str | None]:
        """Emails for many members, at most ``concurrency`` requests in flight."""
        ids = list(member_ids)
        emails: dict[int, str | None] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            answers = pool.map(self.fetch_parliamentary_email, ids)
            for member_id, email in zip(ids, answers, strict=True):
                emails[member_id] = email
                if on_done:
                    on_done(len(emails))
        return emails

    def fetch_thumbnail(self, member_id: int) -> tuple[str, bytes] | None:
        """The member's photo as (content type, bytes), or None if there is none to use (best
        effort: a missing, odd or oversized answer is no photo, not an error)."""
        try:
            response = self.http.request(
                "GET", f"/api/Members/{int(member_id)}/Thumbnail", headers={"Accept": "image/*"}
            )
        except ServiceUnavailable:
            return None
        kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body = response.content
        if response.status_code != 200 or kind not in PHOTO_TYPES or len(body) > MAX_PHOTO_BYTES:
            return None
        return kind, body

    def search_constituencies(self, text: str = "") -> list[ApiConstituency]:
        """Constituencies whose name contains ``text`` (all of them for an empty text)."""
        params = {"searchText": text}
        return [
            _constituency(item)
            for item, _ in self._pages("/api/Location/Constituency/Search", params)
        ]

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        try:
            return self.http.get_json(path, params=params)
        except ServiceUnavailable as exc:
            raise MembersApiUnavailable(str(exc)) from exc

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[tuple[dict, int]]:
        """Every item of a paged search, in order. The first page gives the total; the rest are
        fetched on the pool, so at most ``concurrency`` requests are in flight."""
        first = self._page(path, params, 0)
        total = int(first.get("totalResults") or 0)
        items = first.get("items") or []
        for item in items:
            yield (item.get("value") or {}), total
        if not items or len(items) >= total:
            return
        skips = list(range(len(items), total, PAGE_SIZE))
        if len(skips) > MAX_PAGES:
            raise MembersApiError(f"{path}: {total} results is more than {MAX_PAGES} pages")
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for page in pool.map(lambda skip: self._page(path, params, skip), skips):
                for item in page.get("items") or []:
                    yield (item.get("value") or {}), total

    def _page(self, path: str, params: dict[str, Any], skip: int) -> dict:
        status, body = self._get(path, {**params, "skip": skip, "take": PAGE_SIZE})
        if status != 200 or not isinstance(body, dict):
            raise MembersApiError(f"{path} skip={skip}: HTTP {status}")
        return body


def parliamentary_email(entries: list[dict]) -> str | None:
    """Pick the Parliamentary office email; never a constituency office's street address."""
    for entry in entries:
        kind = str(entry.get("type") or entry.get("typeDescription") or "").strip().lower()
        email = (entry.get("email") or "").strip()
        if kind == PARLIAMENTARY_OFFICE and email:
            return email
    return None


def _colour(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lstrip("#")
    if len(value) in (3, 6) and all(ch in "0123456789abcdefABCDEF" for ch in value):
        return "#" + value.lower()
    return None


def _member(value: dict) -> ApiMember:
    try:
        member_id = int(value["id"])
        display_name = str(value["nameDisplayAs"]).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise MembersApiError(f"member without id or name: {exc}") from None
    party = value.get("latestParty") or {}
    membership = value.get("latestHouseMembership") or {}
    from_id = membership.get("membershipFromId")
    return ApiMember(
        id=member_id,
        display_name=display_name,
        list_name=value.get("nameListAs"),
        full_title=(value.get("nameFullTitle") or display_name).strip(),
        address_as=(value.get("nameAddressAs") or None),
        party_name=party.get("name"),
        party_abbreviation=party.get("abbreviation") or None,
        party_colour=_colour(party.get("backgroundColour")),
        constituency_name=str(membership.get("membershipFrom") or "").strip(),
        constituency_id=int(from_id) if from_id is not None else None,
        thumbnail_url=value.get("thumbnailUrl"),
    )


def _constituency(value: dict) -> ApiConstituency:
    representation = value.get("currentRepresentation") or {}
    member_value = (representation.get("member") or {}).get("value")
    try:
        return ApiConstituency(
            id=int(value["id"]),
            name=str(value["name"]).strip(),
            current_member=_member(member_value) if member_value else None,
            ended=bool(value.get("endDate")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MembersApiError(f"constituency without id or name: {exc}") from None
