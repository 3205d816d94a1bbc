"""Issue 8 §1: a letter's headers cannot be forged, on any Python. Each attacker's input from the
issue is refused with a clear message, nothing is stored, and nothing is sent."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus
from tests.drafts import write_parked_drafts
from tests.html import text
from tests.journey import fill, open_letter, send, write_letter
from tests.public.conftest import set_campaign

HTML_INJECTION = (
    "=?utf-8?q?A=0AMIME-Version:1.0=0AContent-Type:text/html=0A=0A"
    "<a_href=3Dhttp://e.vil>Click</a>?="
)
SUBJECT_INJECTION = "=?utf-8?q?Hello=0AX-Injected:_yes?="


def letters() -> int:
    """Letters stored, drafts parked in Redis too (written into the database to be counted)."""
    write_parked_drafts()
    return db.session.scalar(select(func.count()).select_from(Letter))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", HTML_INJECTION, "Your name must not contain the characters =? followed later"),
        ("subject", SUBJECT_INJECTION, "The subject must not contain the characters =?"),
        ("email", "=?utf-8?q?x=0AX-Injected:_yes?=@example.com", "Your email address must not"),
        ("town", "=?utf-8?b?QQpYLUluamVjdGVkOiB5ZXM=?=", "Town or city must not contain the"),
        ("name", "Jane \u202eevil\u202c Smith", "Your name must not contain characters that chan"),
        ("subject", "Vote \u2067no\u2069 please", "The subject must not contain characters that"),
        ("address_line_1", "1 Road \u202d", "Address line 1 must not contain characters that"),
    ],
)
def test_encoded_words_and_bidi_overrides_are_refused(journey, field, value, message):
    response = write_letter(journey, **{field: value})
    assert response.status_code == 200
    assert message in text(response)
    assert letters() == 0


def test_the_address_can_never_be_in_the_subject_and_the_page_says_so(journey):
    page = open_letter(journey)
    assert "It cannot include your address" in text(page)
    response = write_letter(journey, subject="Hello [your address]")
    assert response.status_code == 200
    assert "The subject cannot include your address: remove [your address] from it" in text(
        response
    )
    assert letters() == 0


def test_a_name_in_the_subject_is_checked_once_filled_in(journey):
    """'=?' in the subject and '?=' in the name each pass alone; together they are refused."""
    response = write_letter(journey, subject="=? [your name]", name="Jane ?= Smith")
    assert response.status_code == 200
    assert "The subject with your name in it must not contain the characters =?" in text(response)
    assert letters() == 0


def test_a_name_that_looks_like_the_address_token_is_not_filled_in_again(journey):
    response = write_letter(journey, subject="Hello from [your name]", name="[your address]")
    assert response.status_code == 302
    check = journey.get(response.headers["Location"])
    assert check.status_code == 200
    write_parked_drafts()
    assert db.session.scalar(select(Letter.subject)) == "Hello from [your address]"


def test_the_name_in_the_subject_is_fine(journey):
    response = write_letter(journey, subject="A letter from [your name]", name="Siân Jones")
    assert response.status_code == 302
    assert journey.get(response.headers["Location"]).status_code == 200
    write_parked_drafts()
    assert db.session.scalar(select(Letter.subject)) == "A letter from Siân Jones"


@pytest.mark.parametrize("field", ["name", "subject", "personal_paragraph", "csrf_token", "x"])
def test_a_file_upload_in_any_field_is_the_forms_error_not_a_500(journey, field):
    page = open_letter(journey)
    url, fields = fill(page)
    fields.pop(field, None)
    fields[field] = (io.BytesIO(b"<html>not a name</html>"), "evil.html", "text/html")
    response = journey.post(url, data=fields, content_type="multipart/form-data")
    if field == "x":  # a file in no field of the form is ignored, like any unknown field
        assert response.status_code == 302
        return
    assert response.status_code == 200
    if field != "csrf_token":
        assert "must be typed in, not sent as a file" in text(response)
    assert letters() == 0


def test_a_file_upload_on_the_send_button_sends_nothing(journey):
    written = write_letter(journey)
    check = journey.get(written.headers["Location"])
    response = journey.post(
        written.headers["Location"],
        data={"csrf_token": (io.BytesIO(b"x"), "token.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and check.status_code == 200
    write_parked_drafts()
    assert db.session.scalar(select(Letter.status)) == LetterStatus.DRAFT


def test_a_json_body_is_not_read_as_the_form(journey):
    page = open_letter(journey)
    url, fields = fill(page)
    response = journey.post(url, json={**fields, "name": 5, "subject": ["a", "b"]})
    assert response.status_code in (200, 400)
    assert letters() == 0


def test_a_campaign_subject_template_with_an_encoded_word_is_refused(journey):
    from action_app.services.campaigns import CampaignInvalid

    with pytest.raises(CampaignInvalid) as refused:
        set_campaign(subject_template=SUBJECT_INJECTION)
    assert any("=?" in problem for problem in refused.value.problems)
    with pytest.raises(CampaignInvalid) as refused:
        set_campaign(subject_template="About {{ supporter.address }}")
    assert any("supporter.address" in problem for problem in refused.value.problems)
    with pytest.raises(CampaignInvalid) as refused:
        set_campaign(title="Save it =?utf-8?q?=0ABcc:_x@example.org?=")
    assert any(problem.startswith("title:") for problem in refused.value.problems)
    db.session.rollback()


def test_a_clean_letter_still_goes_through(journey):
    response = send(journey, write_letter(journey, name="Órla Ní Bhriain"))
    assert response.status_code == 302
