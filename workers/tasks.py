"""Thin tasks: ids in, one service call, the outcome recorded. Each is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from action_app import tasking
from action_app.extensions import db
from action_app.services import maintenance
from action_app.services.members_sync import sync_members

log = logging.getLogger(__name__)


@shared_task(name=tasking.SYNC_MEMBERS)
def sync_members_task() -> dict:
    """Refresh the MP directory from the Members API (daily, from beat)."""
    client = current_app.extensions["members_api_factory"]()
    try:
        summary = sync_members(client)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        client.close()
    return summary.as_dict()


@shared_task(name=tasking.HOUSEKEEPING)
def housekeeping_task() -> dict:
    """Delete what is no longer needed: expired cache entries (and, later, old drafts)."""
    return maintenance.housekeeping()
