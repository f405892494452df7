"""Conversation references: where the bot can write to a user or a channel later.

A reference is stored when the bot is installed (and refreshed on every turn), so
proactive messages — receipt confirmations, delay notices, follow-ups, cards for
back-office channels — survive a restart. A removal is recorded, not deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class ConversationKind(StrEnum):
    PERSONAL = "personal"
    CHANNEL = "channel"
    GROUP_CHAT = "groupChat"


@dataclass(frozen=True, slots=True)
class ConversationReference:
    """Everything needed to continue a conversation without an incoming turn."""

    conversation_id: str
    kind: ConversationKind
    service_url: str
    channel_id: str
    bot_id: str
    tenant_id: str | None = None
    user_id: str | None = None  # Entra object id (or channel account id) in a personal chat
    team_id: str | None = None
    teams_channel_id: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class StoredConversation:
    reference: ConversationReference
    installed_at: datetime | None
    removed_at: datetime | None
    welcomed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None


class ConversationStore(Protocol):
    """Port: where conversation references live."""

    async def remember(self, reference: ConversationReference) -> None:
        """Insert or refresh a reference (service URL and locale may change)."""
        ...

    async def record_installation(self, reference: ConversationReference) -> None:
        """The bot was installed or added here: remember it and clear any removal."""
        ...

    async def record_removal(self, conversation_id: str) -> None:
        """The bot was removed or uninstalled here; the next installation welcomes again."""
        ...

    async def claim_welcome(self, conversation_id: str) -> bool:
        """True exactly once per installation: the caller may send the welcome."""
        ...

    async def get(self, conversation_id: str) -> StoredConversation | None: ...
