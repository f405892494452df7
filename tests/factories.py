"""Small builders for test data shared by several test modules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from servicedesk.tickets import Channel, Deadlines, Requester, Ticket


def a_lift_ticket(at: datetime, **overrides: Any) -> Ticket:
    """A P1 lift fault reported in the chat at ``at`` (number assigned by the store)."""
    values: dict[str, Any] = {
        "number": "",
        "requester": Requester("aad-1", "Ada"),
        "product_id": "storing.lift",
        "queue": "technische-dienst",
        "kwis": "storing",
        "priority": "P1",
        "channel": Channel.CHAT,
        "fields": {"location": "Werf"},
        "charge": None,
        "at": at,
        "deadlines": Deadlines(at, at),
    }
    values.update(overrides)
    return Ticket.open(**values)
