"""Helpers that walk the public journey as a browser would (no JavaScript needed)."""

from __future__ import annotations

import re
from html import unescape

from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form

SUPPORTER = {
    "name": "Jane Smith",
    "email": "jane.smith@example.com",
    "address_line_1": "12 High Street",
    "address_line_2": "",
    "town": "London",
    "consent": ["y"],
}


def open_letter(client, postcode=EXAMPLE_POSTCODES["england"], slug="test-campaign", **params):
    """Campaign → postcode → your MP → Continue: the letter page."""
    mp_page = client.get(f"/c/{slug}/your-mp", query_string={"postcode": postcode, **params})
    link = re.search(rf'href="(/c/{slug}/write\?[^"]+)"', mp_page.get_data(as_text=True))
    assert link, f"no Continue link for {postcode}"
    return client.get(unescape(link[1]))


def fill(page, **changes):
    """The letter form with the supporter's details typed in; None removes a field."""
    form = post_form(page)
    fields = {**form["fields"], **SUPPORTER, **changes}
    return unescape(form["action"]), {k: v for k, v in fields.items() if v is not None}


def write_letter(client, postcode=EXAMPLE_POSTCODES["england"], params=None, **changes):
    """Fill the letter page and press Continue; returns the response (a redirect to check)."""
    page = open_letter(client, postcode, **(params or {}))
    action, fields = fill(page, **changes)
    return client.post(action, data=fields)


def send(client, check_response):
    """From the redirect to the check page: press Send letter."""
    check_page = client.get(check_response.headers["Location"])
    form = post_form(check_page)
    return client.post(form["action"], data=form["fields"])


def redis_keys(app) -> list[str]:
    """Every key in the app's Redis (none when embedded)."""
    from action_app.kv import RedisStore
    from action_app.registry import registry_of

    store = registry_of(app).store
    return list(store.client.scan_iter("*")) if isinstance(store, RedisStore) else []
