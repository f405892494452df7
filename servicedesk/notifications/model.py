"""The notification schedule's vocabulary: kinds, row states, errors, ports and data
(see the package docstring for how they fit)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from servicedesk.conversations import ConversationReference
from servicedesk.errors import FrontOfficeError
from servicedesk.tickets import Event, Ticket

log = logging.getLogger(__name__)


class NotificationKind(StrEnum):
    CONFIRMATION = "confirmation"  # receipt: number, product, next steps, deadlines, charter
    PROGRESS = "progress"  # a back-office note
    DELAY = "delay"  # the back office reported a delay (reason, new date)
    AT_RISK = "at_risk"  # the resolution deadline is at risk and nobody said anything
    COMPLETION = "completion"  # resolved: "solved / not solved"
    FOLLOWUP = "followup"  # satisfaction 1-5 and a comment
    AUTO_CLOSE = "auto_close"  # not a message: a resolved ticket nobody answered is closed
    ESCALATION = "escalation"  # a deadline was breached: to the queue channel and lead
    REOPENED = "reopened"  # the requester said "not solved": to the queue channel


class RowState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"


# Audiences (expanded when due) and recipients (sent to).
REQUESTER, AUDIENCE, STAFF, QUEUE, SYSTEM = "requester", "audience", "staff", "queue", "system"
AUDIENCES = frozenset({REQUESTER, AUDIENCE, STAFF, QUEUE})
USER_PREFIX, QUEUE_PREFIX = "user:", "queue:"
DIALOG_KINDS = frozenset({"intake", "cancel", "reopen", "forward"})


class NotifyError(FrontOfficeError):
    """A notification could not be sent."""


class SendUnavailable(NotifyError):
    """Temporary (429, 412, 5xx, network): retried with backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SendRejected(NotifyError):
    """Permanent for this message: it is marked failed."""


class RecipientUnreachable(NotifyError):
    """The person blocked or removed the bot, or the conversation is gone."""

    def __init__(self, message: str, reason: str = "blocked") -> None:
        super().__init__(message)
        self.reason = reason


# -- ports ---------------------------------------------------------------------------------


class NotifyCalendar(Protocol):
    """Business time and SLA arithmetic (knowledge/catalogue.py implements it)."""

    def is_urgent(self, priority: str) -> bool:
        """Messages about this priority go out at any hour (P1: the 24x7 clock)."""
        ...

    def is_business_time(self, at: datetime) -> bool: ...

    def next_business_start(self, at: datetime) -> datetime: ...

    def after(self, start: datetime, delay: str) -> datetime:
        """``start`` plus a delay like ``8bh``, ``2bd``, ``4h``, ``30m`` or ``45s``."""
        ...

    def at_risk_moment(
        self, priority: str, start: datetime, due: datetime, share: float
    ) -> datetime:
        """When ``share`` of the time from ``start`` to ``due`` has passed, on the
        priority's clock."""
        ...


class Contacts(Protocol):
    def lead_id(self, queue: str) -> str | None:
        """The queue lead's Entra object id, when the knowledge gives one."""
        ...


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to send: what about, to whom (role), in which language."""

    kind: NotificationKind
    ticket: Ticket
    language: str
    role: str  # requester | follower | queue | lead
    key: str
    event: Event | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class Messenger(Protocol):
    async def send(self, reference: ConversationReference, notice: Notice) -> str:
        """Post the notice in the conversation; returns the Teams activity id."""
        ...


@dataclass(frozen=True, slots=True)
class SendSlot:
    """A reserved send: ``wait`` seconds from now it may go; ``None`` when the budget is
    spent (then ``retry_after`` says when there is room again)."""

    wait: float | None
    retry_after: float = 0.0


class SendBudget(Protocol):
    """Teams' limits, shared by every process that sends: at most a rate per tenant and per
    conversation (``servicedesk.persistence.send_budget.SqlSendBudget``)."""

    async def reserve(self, sends: Sequence[tuple[str, str]]) -> list[SendSlot]:
        """One slot per (tenant, conversation), in order, for sends about to go together."""
        ...

    async def pause(self, tenant: str, seconds: float) -> None:
        """Nothing more to this tenant for ``seconds`` (a 429's Retry-After)."""
        ...


class NotificationStore(Protocol):
    """What the planner and dispatcher need from the database
    (``servicedesk.persistence.notification_store.SqlNotificationStore``)."""

    async def events_after(
        self, rescan: int, limit: int
    ) -> tuple[int, list[tuple[int, int, int, Event]]]: ...

    async def plan(self, rows: Sequence[Planned], cursor: int | None) -> int: ...

    async def recover(self, now: datetime) -> int: ...

    async def claim_due(
        self, now: datetime, limit: int, lease: timedelta, token: str
    ) -> list[ScheduledNotification]: ...

    async def mark_sending(self, ids: Sequence[int], until: datetime, token: str) -> set[int]: ...

    async def settle(self, outcomes: Sequence[Outcome], now: datetime, token: str) -> None: ...

    async def fan_out(
        self, row: ScheduledNotification, children: Sequence[Planned], now: datetime, token: str
    ) -> None: ...

    async def personal_conversations(
        self, user_ids: Sequence[str]
    ) -> dict[str, PersonalConversation]: ...

    async def queue_channel(self, queue: str) -> ConversationReference | None: ...


# -- data ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """A schedule row to insert. ``replace``: a pending or skipped row with the same key
    takes this due time (a timed row after a priority change, a new resolution)."""

    key: str
    ticket_id: int
    kind: NotificationKind
    recipient: str
    due_at: datetime
    event_seq: int | None = None
    language: str = "nl"
    detail: Mapping[str, Any] = field(default_factory=dict)
    replace: bool = False


@dataclass(frozen=True, slots=True)
class ScheduledNotification:
    id: int
    ticket_id: int
    kind: NotificationKind
    recipient: str
    language: str
    key: str
    due_at: datetime
    attempts: int
    event_seq: int | None
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PersonalConversation:
    reference: ConversationReference
    installed_at: datetime | None
    removed_at: datetime | None
    dialog_kind: str | None
    dialog_updated_at: datetime | None
    blocked_since: datetime | None = None  # a 403 was seen then


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a claimed row; the store writes a batch of these at once."""

    row_id: int
    state: RowState
    reason: str = ""
    due_at: datetime | None = None  # for pending (later)
    attempts: int | None = None
    activity_id: str | None = None
    conversation_id: str | None = None
    unreachable: tuple[str, str] | None = None  # (recipient id, reason) to remember
    reached: str | None = None  # a person reached: forget any "unreachable" mark


@dataclass(frozen=True)
class NotifyPolicy:
    followup_delay: str = "8bh"
    followup_close_days: float = 5.0
    at_risk_share: float = 0.75
    max_attempts: int = 12
    retry_seconds: float = 2.0
    max_retry_seconds: float = 900.0
    lease: timedelta = timedelta(seconds=60)
    dialog_timeout: timedelta = timedelta(minutes=60)
    dialog_recheck: timedelta = timedelta(seconds=60)
    batch: int = 200
    concurrency: int = 32
