"""postcodes.io: a postcode's country, region and Westminster constituency.

The format is checked here first, with the same rule the service applies, so text that cannot be a
postcode never leaves the machine. Every answer becomes a ``PostcodeLocation`` or one of the typed
errors below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from action_app.clients.http import JsonHttpClient, RetryPolicy, ServiceUnavailable

# One or two letters, a digit, an optional letter or digit, any white space (or none), a digit
# and two letters: the check postcodes.io itself makes, case-insensitively. Python's \s, like
# the service's, includes tabs and no-break spaces.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$", re.IGNORECASE)
MAX_INPUT_LENGTH = 40
NO_SEAT_CODES = frozenset({"L99999999", "M99999999"})


def normalise_postcode(text: str | None) -> str | None:
    """The canonical form ("SW1A 1AA") of text that can be a postcode, else None."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None
    match = _POSTCODE.match(text)
    if not match:
        return None
    return f"{match.group(1).upper()} {match.group(2).upper()}"


@dataclass(frozen=True)
class PostcodeLocation:
    postcode: str
    country: str
    region: str | None
    constituency_name: str
    constituency_code: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> PostcodeLocation:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


class PostcodeLookupError(Exception):
    """Base of every failed lookup; ``postcode`` is what was typed, normalised if it could be."""

    def __init__(self, postcode: str, detail: str = ""):
        super().__init__(detail or self.__class__.__name__)
        self.postcode = postcode


class InvalidPostcode(PostcodeLookupError):
    """The text is not in the format of a UK postcode."""


class PostcodeNotFound(PostcodeLookupError):
    """Well formed, but no such postcode exists."""


class PostcodeTerminated(PostcodeLookupError):
    """The postcode existed but is no longer in use."""

    def __init__(self, postcode: str, year: int | None, month: int | None):
        super().__init__(postcode, f"terminated {month}/{year}")
        self.year = year
        self.month = month


class NoWestminsterSeat(PostcodeLookupError):
    """The postcode is real but has no MP: Jersey, Guernsey, the Isle of Man."""

    def __init__(self, postcode: str, country: str | None):
        super().__init__(postcode, f"no Westminster seat ({country})")
        self.country = country


class LookupUnavailable(PostcodeLookupError):
    """postcodes.io timed out, refused the connection, or answered with a server error."""


class PostcodesIoClient:
    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 4.0,
        retry: RetryPolicy | None = None,
    ):
        self.http = JsonHttpClient(
            "postcodes.io",
            base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # A supporter is waiting: whatever postcodes.io does, they have an answer (or the
            # list of constituencies) within five seconds.
            retry=retry
            or RetryPolicy(
                attempts=2, backoff_seconds=0.2, max_backoff_seconds=1.0, total_seconds=4.5
            ),
        )

    def lookup(self, text: str) -> PostcodeLocation:
        """Look a postcode up; raise the typed error that says why there is no constituency."""
        postcode = normalise_postcode(text)
        if postcode is None:
            raise InvalidPostcode((text or "").strip())
        try:
            status, body = self.http.get_json("/postcodes/" + quote(postcode, safe=""))
        except ServiceUnavailable as exc:
            raise LookupUnavailable(postcode, exc.reason) from exc
        if not isinstance(body, dict):
            raise LookupUnavailable(postcode, f"HTTP {status} answer was not an object")
        if status == 200 and isinstance(body.get("result"), dict):
            return _location(postcode, body["result"])
        if status == 404:
            raise _not_found(postcode, body)
        if status == 400:
            raise InvalidPostcode(postcode)
        raise LookupUnavailable(postcode, f"unexpected HTTP {status}")

    def close(self) -> None:
        self.http.close()


def _location(postcode: str, result: dict) -> PostcodeLocation:
    codes = result.get("codes") or {}
    code = codes.get("parliamentary_constituency_2024") or codes.get("parliamentary_constituency")
    name = result.get("parliamentary_constituency_2024") or result.get("parliamentary_constituency")
    canonical = result.get("postcode") or postcode
    if not name or not code or code in NO_SEAT_CODES:
        raise NoWestminsterSeat(canonical, result.get("country"))
    return PostcodeLocation(
        postcode=canonical,
        country=result.get("country") or "",
        region=result.get("region"),
        constituency_name=name,
        constituency_code=code,
    )


def _not_found(postcode: str, body: dict) -> PostcodeLookupError:
    error = str(body.get("error") or "")
    terminated = body.get("terminated")
    if isinstance(terminated, dict):
        return PostcodeTerminated(
            terminated.get("postcode") or postcode,
            _as_int(terminated.get("year_terminated")),
            _as_int(terminated.get("month_terminated")),
        )
    if error.lower().startswith("invalid"):
        return InvalidPostcode(postcode)
    return PostcodeNotFound(postcode)


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
