"""Every model, imported here so Alembic and the app see the whole schema."""

from action_app.models.cache import CacheEntry
from action_app.models.campaign import Campaign, CampaignRevision
from action_app.models.directory import Constituency, DirectoryUpdate, Member
from action_app.models.letter import Letter, OutboundMessage, ParticipationCount
from action_app.models.photo import MemberPhoto
from action_app.models.staff import AuditEvent, StaffRole, StaffUser, staff_campaign_access
from action_app.models.stats import ApiToken, OptInRecord, ReplyCheck, StatsCounter
from action_app.models.statuses import (
    NATIONS,
    CampaignStatus,
    Language,
    LetterStatus,
    MessageKind,
    MessageStatus,
    Nation,
    SeatCheck,
    SentBy,
    TargetType,
)

__all__ = [
    "NATIONS",
    "ApiToken",
    "AuditEvent",
    "CacheEntry",
    "Campaign",
    "CampaignRevision",
    "CampaignStatus",
    "Constituency",
    "DirectoryUpdate",
    "Language",
    "Letter",
    "LetterStatus",
    "Member",
    "MemberPhoto",
    "MessageKind",
    "MessageStatus",
    "Nation",
    "OptInRecord",
    "OutboundMessage",
    "ParticipationCount",
    "ReplyCheck",
    "SeatCheck",
    "SentBy",
    "StaffRole",
    "StaffUser",
    "StatsCounter",
    "TargetType",
    "staff_campaign_access",
]
