"""The back-office port: how a ticket reaches the team that does the work, and how
their progress comes back.

Adapters (``backoffice_adapter``) implement ``BackOffice`` for the built-in queue
(Teams cards), TOPdesk and a generic webhook. The outbox calls ``deliver`` with an
idempotency key that stays the same across retries, so an adapter can make a
retry after a timeout harmless (TOPdesk: look the ticket up by its
``externalNumber`` before creating it again).

Errors an adapter raises, under ``BackOfficeError``:

    BackOfficeUnavailable   try again later (timeouts, 5xx, 429, connection refused)
     └── CardPostUncertain  a card post got no answer: it may or may not be in Teams
    BackOfficeRejected      will never work as sent (4xx other than 408/429): mark failed
     └── CardMessageGone    a posted card can no longer be updated (post a fresh one)

The built-in queue shows its tickets as Adaptive Cards in the queue's Teams channel
through the ``TicketCards`` port, which ``bot/`` implements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from servicedesk.errors import FrontOfficeError
from servicedesk.tickets import Status, Ticket


class BackOfficeError(FrontOfficeError):
    """A back office could not take or report a ticket."""


class BackOfficeUnavailable(BackOfficeError):
    """Temporary: the outbox retries with backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CardPostUncertain(BackOfficeUnavailable):
    """A card post ended without an answer (timeout, connection lost): Teams may have it."""


class BackOfficeRejected(BackOfficeError):
    """Permanent: the request will not succeed by retrying; a human must look."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where the ticket now lives in the back office (None for the built-in queue)."""

    external_id: str | None = None
    external_number: str | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """Something the back office did to a ticket, read back by polling or a webhook."""

    number: str  # our ticket number
    key: str  # unique per update, so the same update is never applied twice
    at: datetime
    actor_name: str
    status: Status | None = None  # a new status, or None for a note only
    note: str = ""
    expected: datetime | None = None  # for a delay


class BackOffice(Protocol):
    name: str

    async def deliver(self, ticket: Ticket, idempotency_key: str) -> Delivered:
        """Hand the ticket over; the same key twice must not create two tickets."""
        ...

    async def updates(self, tickets: list[tuple[str, str]]) -> list[StatusUpdate]:
        """What happened to these (our number, external id) tickets since we last looked."""
        ...


class CardMessageGone(BackOfficeRejected):
    """Teams no longer knows the card's message (404, ActivityNotFoundInConversation)."""


class TicketCards(Protocol):
    """Port: a ticket's card in a Teams channel, posted and updated through the Bot Connector."""

    async def post(self, conversation_id: str, ticket: Ticket, reply_to: str | None = None) -> str:
        """Post the ticket's current card (as a reply in ``reply_to``'s thread when given);
        returns the new message's activity id."""
        ...

    async def update(self, conversation_id: str, activity_id: str, ticket: Ticket) -> None:
        """Replace a posted card with the ticket's current card; ``CardMessageGone`` when
        the message no longer exists."""
        ...
