"""Pages added for pacing, personal data and faults, in a real browser with axe-core."""

from sqlalchemy import update

from action_app.extensions import db
from action_app.models import OutboundMessage
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services.campaigns import import_campaign
from tests.browser.conftest import assert_accessible
from tests.browser.test_letter_browser import fill_details, to_letter_page
from tests.conftest import CAMPAIGN_DOCUMENT


def test_the_paced_sent_page_says_when_and_is_accessible(page, live_server, journey_app, tmp_path):
    paced = {
        "letters_per_mp_per_hour": 1,
        "sending_hours": {"from": "09:00", "to": "17:00"},
    }
    import_campaign({**CAMPAIGN_DOCUMENT, **paced}, "tests")
    db.session.execute(update(OutboundMessage).values(status="sent", sent_at=utcnow()))
    db.session.commit()
    registry_of(journey_app).clear_caches()
    base = live_server.url
    for email in ("first@example.org", "second@example.org"):
        to_letter_page(page, base)
        fill_details(page, email=email)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Send letter").click()
        if email == "first@example.org":  # it has gone: the second must wait its turn
            db.session.execute(update(OutboundMessage).values(status="sent", sent_at=utcnow()))
            db.session.commit()
    words = page.inner_text("main")
    page.screenshot(path=str(tmp_path / "paced-sent.png"), full_page=True)
    assert "It will be delivered to Rachel Blake at about" in words
    assert "at most 1 letter an hour to each MP, and only between 09:00 and 17:00" in words
    assert_accessible(page, "sent page, paced")


def test_the_privacy_page_is_accessible(page, live_server):
    page.goto(f"{live_server.url}/privacy")
    assert page.get_by_role("heading", level=1).inner_text() == "Privacy"
    assert "deleted 28 days later" in page.inner_text("main")
    assert_accessible(page, "privacy page")


def test_the_try_again_page_is_accessible(page, live_server, journey_app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from action_app.public import views

    def database_down(slug):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(views, "cached_campaign", database_down)
    response = page.goto(f"{live_server.url}/c/test-campaign")
    assert response.status == 503 and response.headers["retry-after"] == "30"
    assert "try again in a minute" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page, "try again page")
