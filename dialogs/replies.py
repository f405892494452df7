"""What the conversation logic hands to the edge: text or an Adaptive Card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    text: str | None = None
    card: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CardUpdate:
    """The answer to a card action: the card that replaces the clicked one."""

    card: dict[str, Any]
    status: int = 200
