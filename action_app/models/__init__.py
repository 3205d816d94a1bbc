"""Every model, imported here so Alembic and the app see the whole schema."""

from action_app.models.action import Action, OutboundMessage, ParticipationCount
from action_app.models.cache import CacheEntry
from action_app.models.campaign import Campaign, CampaignRevision
from action_app.models.directory import NATIONS, Constituency, DirectoryUpdate, Member
from action_app.models.staff import AuditEvent, StaffRole, StaffUser, staff_campaign_access
from action_app.models.stats import ApiToken, OptInRecord, ReplyCheck, StatsCounter

__all__ = [
    "NATIONS",
    "Action",
    "ApiToken",
    "AuditEvent",
    "CacheEntry",
    "Campaign",
    "CampaignRevision",
    "Constituency",
    "DirectoryUpdate",
    "Member",
    "OptInRecord",
    "OutboundMessage",
    "ParticipationCount",
    "ReplyCheck",
    "StaffRole",
    "StaffUser",
    "StatsCounter",
    "staff_campaign_access",
]
