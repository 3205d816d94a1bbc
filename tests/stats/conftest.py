import pytest

from action_app.extensions import db
from action_app.services.campaigns import import_campaign
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey
from tests.staff import create_staff


@pytest.fixture
def campaign(app, fake_members, smtp_server):
    """The directory synced, the test campaign live, and a second campaign beside it."""
    main = prepare_journey(app)
    import_campaign({**CAMPAIGN_DOCUMENT, "slug": "other", "title": "Another cause"}, "tests")
    db.session.commit()
    return main


@pytest.fixture
def staff(app, campaign):
    """An admin, an editor, the campaign's organiser and another campaign's organiser."""
    from action_app.services.campaigns import get_campaign

    other = get_campaign("other")
    return {
        "admin": create_staff(app, "admin@example.org", "admin"),
        "editor": create_staff(app, "editor@example.org", "editor"),
        "organiser": create_staff(app, "org@example.org", "organiser", campaigns=[campaign.id]),
        "outsider": create_staff(app, "outsider@example.org", "organiser", campaigns=[other.id]),
    }
