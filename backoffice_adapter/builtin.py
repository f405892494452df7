"""The built-in queue: tickets stay in the front office's own database.

Back-office staff work them from Adaptive Cards in their Teams channel (a later
issue); delivery here only records that the ticket is in its queue.
"""

from __future__ import annotations

from servicedesk.backoffice import Delivered, StatusUpdate
from servicedesk.tickets import Ticket


class BuiltinBackOffice:
    name = "builtin"

    async def deliver(self, ticket: Ticket, idempotency_key: str) -> Delivered:
        return Delivered()

    async def updates(self, tickets: list[tuple[str, str]]) -> list[StatusUpdate]:
        return []
