"""Every model, imported here so Alembic and the app see the whole schema."""

from action_app.models.cache import CacheEntry
from action_app.models.campaign import Campaign, CampaignRevision
from action_app.models.directory import Constituency, DirectoryUpdate, Member
from action_app.models.letter import Letter, OutboundMessage, ParticipationCount
from action_app.models.photo import MemberPhoto
from action_app.models.statuses import (
    NATIONS,
    CampaignStatus,
    Language,
    LetterStatus,
    MessageKind,
    MessageStatus,
    Nation,
    SentBy,
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
    "Language",
    "Letter",
    "LetterStatus",
    "Member",
    "MemberPhoto",
    "MessageKind",
    "MessageStatus",
    "Nation",
    "OutboundMessage",
    "ParticipationCount",
    "SentBy",
    "TargetType",
]
