"""Every model, imported here so Alembic and the app see the whole schema."""

from action_app.models.action import Action, OutboundMessage, ParticipationCount
from action_app.models.cache import CacheEntry
from action_app.models.campaign import Campaign, CampaignRevision
from action_app.models.directory import NATIONS, Constituency, DirectoryUpdate, Member
from action_app.models.staff import AuditEvent, StaffRole, StaffUser, staff_campaign_access

__all__ = [
    "NATIONS",
    "Action",
    "AuditEvent",
    "CacheEntry",
    "Campaign",
    "CampaignRevision",
    "Constituency",
    "DirectoryUpdate",
    "Member",
    "OutboundMessage",
    "ParticipationCount",
    "StaffRole",
    "StaffUser",
    "staff_campaign_access",
]
