"""Every model, imported here so Alembic and the app see the whole schema."""

from action_app.models.action import Action, OutboundMessage, ParticipationCount
from action_app.models.cache import CacheEntry
from action_app.models.campaign import Campaign, CampaignRevision
from action_app.models.consent import OptInRecord
from action_app.models.directory import NATIONS, Constituency, DirectoryUpdate, Member

__all__ = [
    "NATIONS",
    "Action",
    "CacheEntry",
    "Campaign",
    "CampaignRevision",
    "Constituency",
    "DirectoryUpdate",
    "Member",
    "OptInRecord",
    "OutboundMessage",
    "ParticipationCount",
]
