"""The process's services and caches, in one typed object built by ``create_app``.

Code reaches a client, the store or a cache as ``current_registry().postcodes_io`` and so on,
never by a string key. Each cache is listed in ``caches()``, so ``clear_caches`` forgets every
one of them; docs/architecture.md lists their lifetimes and what invalidates each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from flask import Flask, current_app

if TYPE_CHECKING:
    from celery import Celery
    from sqlalchemy import Engine

    from action_app.clients.members_api import MembersApiClient
    from action_app.clients.postcodes_io import PostcodesIoClient
    from action_app.config import Settings
    from action_app.kv import KeyValueStore
    from action_app.mail import MailTransport
    from action_app.memo import TtlLru
    from action_app.rate_limits import RateLimits
    from action_app.services.campaign_cache import CampaignCache
    from action_app.services.participation import LocalTotals
    from action_app.services.seats import SnapshotHolder
    from action_app.stats.figures import FiguresCache


class Clearable(Protocol):
    def clear(self) -> None: ...


@dataclass(eq=False)
class Registry:
    """Every long-lived object a process shares between requests or tasks."""

    settings: Settings
    # Outside services and stores.
    postcodes_io: PostcodesIoClient
    store: KeyValueStore  # Redis in production, the cache table when embedded
    mail_transport: MailTransport  # one SMTP connection per process, opened lazily
    # In-process caches (lifetimes in docs/architecture.md).
    response_cache: TtlLru  # whole public responses, 2 s (SharedCacheMiddleware)
    page_cache: TtlLru  # rendered public pages, 60 s; keys carry every version they show
    campaign_cache: CampaignCache  # campaign snapshots by slug and id, 10 s
    local_totals: LocalTotals  # participation totals, 2 s
    postcode_memo: TtlLru  # postcode → constituency, 1 h
    photo_members: TtlLru  # the ids of MPs whose photo we hold, 60 s
    directory_snapshot: SnapshotHolder  # seats and MPs, version checked every 30 s
    stats_figures: FiguresCache  # organisers' figures per campaign, 2 s (stats/figures.py)
    # Set for 30 s when the worker's postcode check finds postcodes.io down (seat_check.py).
    lookup_pause: TtlLru
    celery: Celery | None = field(default=None)  # set by tasking.celery_init_app
    rate_limits: RateLimits | None = field(default=None)  # set by rate_limits.init_app

    def members_api(self) -> MembersApiClient:
        """A new Members API client (the caller closes it): a sync is rare and long, so it
        gets a connection pool of its own rather than sharing one."""
        from action_app.clients.members_api import MembersApiClient

        settings = self.settings
        return MembersApiClient(
            settings.members_api_url,
            concurrency=settings.members_api_concurrency,
            **settings.http_timeouts(),
        )

    def caches(self) -> dict[str, Clearable]:
        """Every in-process cache, by the attribute that holds it."""
        return {
            "response_cache": self.response_cache,
            "page_cache": self.page_cache,
            "campaign_cache": self.campaign_cache,
            "local_totals": self.local_totals,
            "postcode_memo": self.postcode_memo,
            "photo_members": self.photo_members,
            "directory_snapshot": self.directory_snapshot,
            "stats_figures": self.stats_figures,
            "lookup_pause": self.lookup_pause,
        }

    def clear_caches(self) -> None:
        """Forget every in-process copy, so the next request reads afresh; each would expire
        on its own within its lifetime anyway."""
        for cache in self.caches().values():
            cache.clear()

    def close(self) -> None:
        """Close the outside connections this process holds (tests, shutdown)."""
        self.postcodes_io.close()
        self.mail_transport.close()
        self.store.close()


def build_registry(settings: Settings, engine: Engine) -> Registry:
    """The registry for one app: every client, store and cache, built once here."""
    from action_app.clients.postcodes_io import PostcodesIoClient
    from action_app.kv import DatabaseStore, RedisStore
    from action_app.mail import transport_for
    from action_app.memo import TtlLru
    from action_app.services.campaign_cache import CampaignCache
    from action_app.services.participation import LocalTotals
    from action_app.services.seats import SnapshotHolder
    from action_app.stats.figures import FiguresCache

    return Registry(
        settings=settings,
        postcodes_io=PostcodesIoClient(settings.postcodes_io_url, **settings.http_timeouts()),
        store=RedisStore(settings.redis_url) if settings.redis_url else DatabaseStore(engine),
        mail_transport=transport_for(settings.mail, settings.smtp_timeout_seconds),
        response_cache=TtlLru(max_entries=500, ttl_seconds=2.0),
        page_cache=TtlLru(max_entries=2_000, ttl_seconds=60),
        campaign_cache=CampaignCache(ttl_seconds=10.0),
        local_totals=LocalTotals(),
        # A constituency changes only at a boundary review, so an hour here is safe (the
        # shared cache keeps postcodes for LOOKUP_CACHE_DAYS).
        postcode_memo=TtlLru(max_entries=20_000, ttl_seconds=3600),
        photo_members=TtlLru(max_entries=1, ttl_seconds=60),
        directory_snapshot=SnapshotHolder(check_every=30.0),
        stats_figures=FiguresCache(),
        lookup_pause=TtlLru(max_entries=1, ttl_seconds=30.0),
    )


class ActionApp(Flask):
    """The Flask app, with its registry as a typed attribute."""

    registry: Registry


def registry_of(app: Flask) -> Registry:
    """The registry of this app."""
    return cast(ActionApp, app).registry


def current_registry() -> Registry:
    """The registry of the app in the current context (a request, a task or a command)."""
    return registry_of(current_app._get_current_object())
