"""Targeting in the campaign document: several subject lines, excluded MPs and the alternative
letter their constituents send, and a paused campaign's reopening time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Member
from action_app.services.campaigns import CampaignInvalid, export_campaign, import_campaign
from action_app.services.staff_preview import preview_email, sample_supporter, seat_of_member
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey
from tests.html import text

THANKS = {
    "subject_template": "Thank you from {{ constituency.name }}",
    "body_template": (
        "Dear {{ mp.address_as }},\n\nThank you for backing us.\n\n{{ supporter.name }}"
    ),
}


def _members(count: int) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member).where(Member.is_current, Member.email.is_not(None)).order_by(Member.id)
        )
    )[:count]


def test_each_letter_gets_one_of_the_subject_lines_at_random(app):
    campaign = prepare_journey(
        app, subject_alternatives=["Second subject for {{ constituency.name }}"]
    )
    member = _members(1)[0]
    seat = seat_of_member(member.id)
    subjects = [
        dict(preview_email(campaign, seat, sample_supporter()).headers)["Subject"]
        for _ in range(40)
    ]
    seen = {"Second subject" in subject for subject in subjects}
    assert seen == {True, False}  # both lines turn up (a miss has odds of 2 ** -39)


def test_excluded_mps_constituents_get_the_alternative_letter(app, client):
    prepare_journey(app)
    excluded, other = _members(2)
    campaign = import_campaign(
        {
            **CAMPAIGN_DOCUMENT,
            "target": {"type": "constituency_mp", "exclude": [excluded.id]},
            "alternative": THANKS,
        },
        "tests",
    ).campaign
    db.session.commit()
    thanks = preview_email(campaign, seat_of_member(excluded.id), sample_supporter())
    assert "Thank you for backing us." in thanks.body
    assert dict(thanks.headers)["Subject"].endswith(f"Thank you from {excluded.constituency.name}")
    usual = preview_email(campaign, seat_of_member(other.id), sample_supporter())
    assert "Please save the library." in usual.body
    document = export_campaign(campaign)
    assert document["target"]["exclude"] == [excluded.id]
    assert document["alternative"] == THANKS


def test_exclusions_need_an_alternative_and_its_templates_are_checked(app):
    with pytest.raises(CampaignInvalid) as missing:
        import_campaign(
            {**CAMPAIGN_DOCUMENT, "target": {"type": "constituency_mp", "exclude": [1]}}, "t"
        )
    assert "alternative" in missing.value.by_field
    bad = {**THANKS, "body_template": "Dear {{ mp.address_as }},\n{{ mp.expenses }}"}
    with pytest.raises(CampaignInvalid) as refused:
        import_campaign(
            {
                **CAMPAIGN_DOCUMENT,
                "target": {"type": "constituency_mp", "exclude": [1]},
                "alternative": bad,
                "subject_alternatives": ["{{ supporter.password }}"],
            },
            "t",
        )
    problems = " ".join(refused.value.problems)
    assert "alternative body_template: line 2: unknown placeholder mp.expenses" in problems
    assert "subject_alternatives 1: line 1: unknown placeholder supporter.password" in problems
    with pytest.raises(CampaignInvalid):
        import_campaign({**CAMPAIGN_DOCUMENT, "target": {"type": "constituency_mp",
                                                          "exclude": ["x"]}}, "t")  # fmt: skip


def test_a_paused_campaign_says_when_it_reopens(app, client):
    prepare_journey(app, status="paused", reopens_at="2026-12-01T09:00")
    page = client.get("/c/test-campaign")
    assert "This campaign is paused for the moment." in text(page)
    assert "It reopens on Tuesday 1 December 2026 at 9am" in text(page)
    assert "Find your MP" not in text(page)
