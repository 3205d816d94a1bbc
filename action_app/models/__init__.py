"""Every model, imported here so Alembic and the app see the whole schema."""

from action_app.models.cache import CacheEntry
from action_app.models.campaign import Campaign, CampaignRevision
from action_app.models.consent import OptInRecord
from action_app.models.directory import Constituency, DirectoryUpdate, Member
from action_app.models.letter import Letter, OutboundMessage, ParticipationCount
from action_app.models.statuses import (
    NATIONS,
    CampaignStatus,
    LetterStatus,
    MessageKind,
    MessageStatus,
    Nation,
    TargetType,
)

__all__ = [
    "NATIONS",
    "CacheEntry",
    "Campaign",
    "CampaignRevision",
    "CampaignStatus",
    "Constituency",
    "DirectoryUpdate",
    "Letter",
    "LetterStatus",
    "Member",
    "MessageKind",
    "MessageStatus",
    "Nation",
    "OptInRecord",
    "OutboundMessage",
    "ParticipationCount",
    "TargetType",
]
