import pytest

from action_app.extensions import db
from action_app.services.campaigns import import_campaign
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey


@pytest.fixture
def journey(any_app, fake_members):
    """A synced directory and a live campaign, on each engine; yields a test client."""
    prepare_journey(any_app)
    return any_app.test_client()


@pytest.fixture
def pg_journey(app, fake_members):
    """The same in production mode only (PostgreSQL and Redis, where drafts are parked)."""
    prepare_journey(app)
    return app.test_client()


def set_campaign(**changes):
    """Change the test campaign as staff would, and drop the cached copy."""
    from flask import current_app

    from action_app.registry import registry_of

    document = {**CAMPAIGN_DOCUMENT, **changes}
    import_campaign(document, "tests")
    db.session.commit()
    registry_of(current_app).clear_caches()
