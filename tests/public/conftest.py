import pytest

from action_app.extensions import db
from action_app.services.campaigns import import_campaign
from action_app.services.members_sync import sync_members
from tests.conftest import CAMPAIGN_DOCUMENT


@pytest.fixture
def journey(any_app, fake_members):
    """A synced directory and a live campaign, on each engine; yields a test client."""
    client = any_app.extensions["members_api_factory"]()
    sync_members(client)
    client.close()
    import_campaign(dict(CAMPAIGN_DOCUMENT), "tests")
    db.session.commit()
    return any_app.test_client()


def set_campaign(**changes):
    """Change the test campaign as staff would, and drop the cached copy."""
    from flask import current_app

    from action_app import clear_process_caches

    document = {**CAMPAIGN_DOCUMENT, **changes}
    import_campaign(document, "tests")
    db.session.commit()
    clear_process_caches(current_app)
