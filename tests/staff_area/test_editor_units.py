"""The editor's form ↔ document mapping keeps every field, and staff pages never enter the
shared response cache."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from action_app.memo import TtlLru
from action_app.response_cache import SharedCacheMiddleware
from action_app.services.campaign_editor import document_from_form, form_values

TYPED = {
    "title": "T",
    "slug": "Not A Slug",
    "status": "paused",
    "summary": "S",
    "intro_markdown": "I",
    "debate_at": "2026-12-10T14:30",
    "closes_at": "2026-12-09T09:00",
    "reopens_at": "2026-12-01T09:00",
    "target_type": "fixed",
    "target_name": "The Minister",
    "target_email": "not an email",
    "nations": ["Wales", "Scotland"],
    "exclude": "12 x 7",
    "subject_template": "{{ broken",
    "subject_alternatives": "one\ntwo",
    "body_template": "B",
    "alternative_subject": "AS",
    "alternative_body": "AB",
    "personal_prompt": "P",
    "body_editable": True,
    "require_confirmation": False,
    "thank_you_text": "Ty",
    "share_text": "Sh",
    "organisations": "a | A | stmt | https://example.org/p\nb | B",
}


def test_every_field_typed_comes_back_as_typed():
    form = MultiDict()
    for name, value in TYPED.items():
        if isinstance(value, list):
            for item in value:
                form.add(name, item)
        elif isinstance(value, bool):
            if value:
                form.add(name, "y")
        else:
            form.add(name, value)
    values = form_values(document_from_form(form))
    assert {name: values[name] for name in TYPED} == TYPED


def test_a_staff_page_is_never_kept_by_the_shared_cache_whatever_its_headers():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Cache-Control", "public, max-age=60")])
        return [b"secret staff page"]

    middleware = SharedCacheMiddleware(app, TtlLru(max_entries=10, ttl_seconds=60))
    for path in ("/staff/outbox", "/staff/outbox", "/c/x", "/c/x"):
        list(middleware({"REQUEST_METHOD": "GET", "PATH_INFO": path}, lambda *a: None))
    assert calls == ["/staff/outbox", "/staff/outbox", "/c/x"]
