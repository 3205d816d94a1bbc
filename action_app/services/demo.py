"""The bundled demo campaign, for ``action-app demo load`` and ``action-app start``."""

from __future__ import annotations

import json
from pathlib import Path

from action_app.services.campaigns import import_campaign

DEMO_CAMPAIGN = Path(__file__).resolve().parent.parent / "demo" / "campaign.json"


def load_demo_campaign() -> str:
    """Import the bundled demo campaign (idempotent; flushes, the caller commits) and return
    its slug."""
    document = json.loads(DEMO_CAMPAIGN.read_text(encoding="utf-8"))
    return import_campaign(document, "demo loader").campaign.slug
