"""Rate limits, per client address, normalised email, postcode and MP per campaign.

The ``limits`` package (the one Flask-Limiter is built on) holds the storage (Redis in
production, this process's memory when embedded) and the moving-window strategy; the views ask
``check`` with the identifiers they know at that step (the email and postcode only exist once a
letter is written), so the limits are applied by hand rather than by route decorators, and no
Flask extension hooks into every request. When Redis cannot be reached, each process counts in
its own memory for a while (logged) and letters are still taken: a limit must never stop the site.
A person's client address, email and postcode are counted under a keyed hash of them
(``unnamed``), never by name.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from action_app.kv import run_script
from action_app.registry import current_registry

log = logging.getLogger(__name__)

RETRY_REDIS_AFTER = 30.0  # seconds counting in memory before Redis is tried again

# Several moving-window limits in one round trip to Redis, exactly as the limits package's own
# acquire_moving_window.lua takes one (a list of entry times per key, newest first, trimmed to
# the limit): each in turn takes an entry if it has room; the first one full stops the rest, so
# a refused try uses up none of the limits after it. Returns 0, or the (1-based) full one.
# As a Lua function of the limits' keys, the time, and each limit's size and window in seconds
# (in turn), for this module's script and for a script of another module that counts a try in
# the same round trip as its own work (``Try``, ``parked_drafts``).
CHAIN_FUNCTION = """
local function chain(keys, now, sizes)
  for i, key in ipairs(keys) do
    local limit = tonumber(sizes[2 * i - 1])
    local expiry = tonumber(sizes[2 * i])
    if limit < 1 then return i end
    local oldest = redis.call('lindex', key, limit - 1)
    if oldest and tonumber(oldest) >= now - expiry then return i end
    redis.call('lpush', key, now)
    redis.call('ltrim', key, 0, limit - 1)
    redis.call('expire', key, expiry)
  end
  return 0
end
"""
# KEYS: the limits' keys; ARGV: the time, then each limit's size and window in seconds.
CHAIN_SCRIPT = CHAIN_FUNCTION + "return chain(KEYS, tonumber(ARGV[1]), {unpack(ARGV, 2)})\n"


@dataclass(frozen=True)
class Refusal:
    """A limit was reached: which one (for the page's wording) and when to try again."""

    scope: str  # address, email, postcode, mp
    retry_after: int  # seconds
    resets_at: float  # epoch seconds


def client_address() -> str:
    """The client's address: ProxyFix (TRUSTED_PROXY_HOPS) has already put the real one here."""
    return request.remote_addr or "unknown"


IPV6_CLIENT_PREFIX = 64


def client_network(address: str) -> str:
    """Who a per-address limit counts: an IPv4 address as it is, an IPv6 one by its /64. A
    home or mobile connection is given a whole /64 and may use any address in it, so counting
    each address alone would give one client a fresh allowance for every address it moved to.
    (An IPv4 address written as IPv6, ``::ffff:a.b.c.d``, is the IPv4 address.)"""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))


class RateLimits:
    """One per app: the moving-window strategy on the shared storage, with a memory fallback."""

    def __init__(self, redis_url: str | None):
        storage = (
            storage_from_string(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
            if redis_url
            else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        self._chain = None
        if isinstance(storage, RedisStorage):
            client = storage.get_connection()
            script = client.register_script(CHAIN_SCRIPT)
            # Sent on a pooled connection directly (kv.run_script): a Continue's one round trip.
            self._chain = lambda keys, args: run_script(client, script, keys, args)
        self._lock = threading.Lock()
        self._redis_down_until = 0.0

    def _strategy(self):
        if time.monotonic() < self._redis_down_until:
            return self.fallback
        return self.limiter

    def _storage_failed(self, exc: Exception) -> None:
        with self._lock:
            if time.monotonic() >= self._redis_down_until:
                log.warning(
                    "Rate limit storage unreachable (%s); counting in this process's memory "
                    "for %ss",
                    exc,
                    RETRY_REDIS_AFTER,
                )
            self._redis_down_until = time.monotonic() + RETRY_REDIS_AFTER

    def hit(self, scope: str, limits: str, *identifiers: str) -> Refusal | None:
        """Count one try against every limit in ``limits`` (e.g. "5 per hour;20 per day") for
        these identifiers, in turn and in one round trip; a Refusal if any is already used up."""
        return self.hit_in_turn((scope, limits, identifiers))

    def hit_in_turn(self, *checks: tuple[str, str, tuple[str, ...]]) -> Refusal | None:
        """``hit(scope, limits, *identifiers)`` for each check in turn, stopping at the first
        Refusal, as separate calls would; with Redis, in one round trip rather than one each."""
        items = _items(*checks)
        parts = self._chain_parts(items)
        if parts is None:
            return self._hit_each(items)
        keys, args = parts
        try:
            full = int(self._chain(keys=keys, args=args))
            if not full:
                return None
            scope, item, identifiers = items[full - 1]
            stats = self.limiter.get_window_stats(item, *identifiers)
        except Exception as exc:  # redis errors of every kind
            self._storage_failed(exc)
            return self._hit_each(items)
        return _refusal(scope, stats)

    def chain_parts(self, *checks: tuple[str, str, tuple[str, ...]]) -> tuple[list, list] | None:
        """What the chain (``CHAIN_FUNCTION``) counts these checks with in Redis: the limits'
        keys, and the time with each limit's size and window. None when they are not counted in
        Redis now (embedded, or counting in memory since Redis failed)."""
        return self._chain_parts(_items(*checks))

    def _chain_parts(self, items: list) -> tuple[list, list] | None:
        if self._chain is None or self._strategy() is self.fallback:
            return None
        storage = self.limiter.storage
        keys = [storage.prefixed_key(item.key_for(*ids)) for _, item, ids in items]
        args = [time.time()] + [n for _, item, _ in items for n in (item.amount, item.get_expiry())]
        return keys, args

    def refusal_at(self, full: int, *checks: tuple[str, str, tuple[str, ...]]) -> Refusal:
        """The Refusal of the check the chain found full (its 1-based place, as it answered)."""
        scope, item, identifiers = _items(*checks)[full - 1]
        try:
            stats = self.limiter.get_window_stats(item, *identifiers)
        except Exception as exc:  # redis errors of every kind
            self._storage_failed(exc)
            stats = self.fallback.get_window_stats(item, *identifiers)
        return _refusal(scope, stats)

    def _hit_each(self, items) -> Refusal | None:
        """The limits one call each, in turn (without the script: embedded, or when Redis has
        just failed)."""
        for scope, item, keys in items:
            refused = self._hit_one(scope, item, keys)
            if refused is not None:
                return refused
        return None

    def _hit_one(self, scope: str, item: RateLimitItem, keys) -> Refusal | None:
        strategy = self._strategy()
        try:
            allowed = strategy.hit(item, *keys)
            stats = None if allowed else strategy.get_window_stats(item, *keys)
        except Exception as exc:  # redis errors of every kind
            self._storage_failed(exc)
            strategy = self.fallback
            allowed = strategy.hit(item, *keys)
            stats = None if allowed else strategy.get_window_stats(item, *keys)
        return None if allowed else _refusal(scope, stats)


def _items(*checks: tuple[str, str, tuple[str, ...]]) -> list:
    """Each limit of each (scope, limits, identifiers) check, with the keys it counts under."""
    return [
        (scope, item, (scope, *identifiers))
        for scope, limits, identifiers in checks
        for item in _parsed(limits)
    ]


@lru_cache(maxsize=64)
def _parsed(limits: str) -> tuple[RateLimitItem, ...]:
    """The limits a setting names ("30 per minute;300 per hour"): settings are read once, so
    each is parsed once, not on every Continue and Send."""
    return tuple(parse_many(limits))


def _refusal(scope: str, stats) -> Refusal:
    wait = max(1, math.ceil(stats.reset_time - time.time()))
    return Refusal(scope=scope, retry_after=wait, resets_at=stats.reset_time)


def init_app(app: Flask, redis_url: str | None) -> None:
    """Give the app its limits (called once by create_app)."""
    app.registry.rate_limits = RateLimits(redis_url)


def rate_limits() -> RateLimits:
    """This app's limits."""
    return current_registry().rate_limits


def unnamed(value: str) -> str:
    """A person's identifier (their client address, email or postcode) as a limit's key holds
    it: a keyed hash, so the limit store never names anyone. ``people erase`` cannot reach
    these keys (they expire with their windows, a day at most by default), and need not."""
    secret = current_registry().settings.secret_key.encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]


def _address_key() -> str:
    return unnamed(client_network(client_address()))


def check_address(step: str) -> Refusal | None:
    """The per-address limit for one step of the journey (lookups, continue, send)."""
    return rate_limits().hit_in_turn(_address_check(step))


def _address_check(step: str) -> tuple[str, str, tuple[str, ...]]:
    """The per-address limit's check for a step, as ``hit_in_turn`` takes checks."""
    limits = current_registry().settings.rate_limit_per_address
    return ("address", limits, (step, _address_key()))


class Refused(Exception):
    """A try a limit refused, raised from deep in a step (``Try.refuse_if_over``)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.scope)
        self.refusal = refusal


class Try:
    """One try at a step of the journey, counted against the per-address limit exactly once:
    alone (``count``), or by a script of the step's own that runs the chain first, in the
    same round trip as the step's own work (``chain_parts``, then ``counted``): Continue's
    parked draft (``parked_drafts.park``). The limits and the store share one Redis."""

    def __init__(self, step: str):
        self.step = step
        self._checks: tuple | None = None
        self._counted = False
        self._refusal: Refusal | None = None

    def checks(self) -> tuple:
        if self._checks is None:
            self._checks = (_address_check(self.step),)
        return self._checks

    def count(self) -> Refusal | None:
        """Count the try now, unless it has been; the Refusal if the limit refused it."""
        if not self._counted:
            self._refusal, self._counted = rate_limits().hit_in_turn(*self.checks()), True
        return self._refusal

    def refuse_if_over(self) -> None:
        """``count``, raising ``Refused`` if the limit refused it."""
        if (refusal := self.count()) is not None:
            raise Refused(refusal)

    def chain_parts(self) -> tuple[list, list] | None:
        """The chain's keys and arguments for a script that counts the try itself; None if it
        is counted already or the limits are not in Redis now (then ``count`` it)."""
        return None if self._counted else rate_limits().chain_parts(*self.checks())

    def counted(self, full: int) -> Refusal | None:
        """The script counted it and answered ``full`` (0, or the full limit's place)."""
        self._counted = True
        self._refusal = rate_limits().refusal_at(full, *self.checks()) if full else None
        return self._refusal


def check_letter(campaign_id: int, recipient_key: str, email_key: str, postcode: str):
    """The limits a letter meets when it is sent: per address, postcode and MP, then per email.

    The per-email limit is checked last, and a Refusal with scope "email" does not refuse the
    letter: anyone can type someone else's address, so a limit that refused would let them
    lock its owner out. The caller lets such a letter wait for the owner's confirmation."""
    settings = current_registry().settings
    return rate_limits().hit_in_turn(
        ("address", settings.rate_limit_per_address, ("send", _address_key())),
        ("postcode", settings.rate_limit_per_postcode, (unnamed(postcode.replace(" ", "")),)),
        ("mp", settings.rate_limit_per_mp, (str(campaign_id), recipient_key)),
        ("email", settings.rate_limit_per_email, (unnamed(email_key),)),
    )


def may_email_owner(email_key: str) -> bool:
    """Whether one more confirmation email may go to this address, for a letter over its
    per-email limit (counts it if so): the platform must not be a way to flood an inbox."""
    settings = current_registry().settings
    limits = settings.rate_limit_owner_emails
    return rate_limits().hit("owner_email", limits, unnamed(email_key)) is None
