"""Planning: events of the ticket trail become schedule rows (see the package docstring)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from servicedesk.notifications.model import (
    AUDIENCE,
    QUEUE,
    REQUESTER,
    STAFF,
    SYSTEM,
    NotificationKind,
    NotificationStore,
    NotifyCalendar,
    NotifyPolicy,
    Planned,
)
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Channel, Event, EventType, Ticket

log = logging.getLogger(__name__)

# -- planning ------------------------------------------------------------------------------


def _key(kind: NotificationKind, number: str, *parts: object) -> str:
    return ":".join([kind.value, number, *(str(p) for p in parts)])


def plan_event(
    ticket: Ticket,
    ticket_id: int,
    seq: int,
    event: Event,
    people: frozenset[str],
    policy: NotifyPolicy,
    calendar: NotifyCalendar,
) -> list[Planned]:
    """The schedule rows one event of the trail calls for (pure). ``people`` are the ids
    of the requester and followers: their own notes and reopens are not announced to them."""
    n, at = ticket.number, event.at
    by_people = event.actor.id in people
    rows: list[Planned] = []

    def add(kind: NotificationKind, recipient: str, due: datetime, key: str, **extra: Any) -> None:
        rows.append(Planned(key, ticket_id, kind, recipient, due, seq, **extra))

    if event.type in (EventType.CREATED, EventType.PRIORITY_CHANGED):
        if event.type is EventType.CREATED and ticket.channel is not Channel.CHAT:
            # a chat ticket's receipt is the intake's own answer in the conversation
            add(
                NotificationKind.CONFIRMATION, REQUESTER, at, _key(NotificationKind.CONFIRMATION, n)
            )
        risk = calendar.at_risk_moment(
            ticket.priority, ticket.created_at, ticket.deadlines.resolve_due, policy.at_risk_share
        )
        add(
            NotificationKind.AT_RISK,
            AUDIENCE,
            risk,
            _key(NotificationKind.AT_RISK, n),
            replace=True,
        )
        for deadline, due in (
            ("response", ticket.deadlines.response_due),
            ("resolution", ticket.deadlines.resolve_due),
        ):
            add(
                NotificationKind.ESCALATION,
                STAFF,
                due,
                _key(NotificationKind.ESCALATION, n, deadline),
                detail={"deadline": deadline},
                replace=True,
            )
    elif event.type is EventType.PROGRESS and event.note.strip() and not by_people:
        add(NotificationKind.PROGRESS, AUDIENCE, at, _key(NotificationKind.PROGRESS, n, seq))
    elif event.type is EventType.DELAYED and not by_people:
        add(NotificationKind.DELAY, AUDIENCE, at, _key(NotificationKind.DELAY, n, seq))
    elif event.type is EventType.RESOLVED:
        add(NotificationKind.COMPLETION, AUDIENCE, at, _key(NotificationKind.COMPLETION, n, seq))
        followup = calendar.after(at, policy.followup_delay)
        add(
            NotificationKind.FOLLOWUP,
            AUDIENCE,
            followup,
            _key(NotificationKind.FOLLOWUP, n),
            replace=True,
        )
        add(
            NotificationKind.AUTO_CLOSE,
            SYSTEM,
            followup + timedelta(days=policy.followup_close_days),
            _key(NotificationKind.AUTO_CLOSE, n),
            replace=True,
        )
    elif event.type is EventType.REOPENED and by_people:
        add(NotificationKind.REOPENED, QUEUE, at, _key(NotificationKind.REOPENED, n, seq))
    return rows


class NotificationPlanner:
    """Turns new events of the ticket trail into schedule rows."""

    RESCAN = 50  # events before the cursor read again: ids may commit out of order on PG

    def __init__(
        self,
        store: NotificationStore,
        tickets: SqlTicketStore,
        calendar: NotifyCalendar,
        policy: NotifyPolicy,
    ) -> None:
        self._store = store
        self._tickets = tickets
        self._calendar = calendar
        self._policy = policy
        self._planned: set[int] = set()  # event ids this process planned already

    async def run_once(self, limit: int = 500) -> int:
        """Plan the events after the cursor; returns how many rows were written (new, or a
        timed row given a new due time)."""
        cursor, events = await self._store.events_after(self.RESCAN, limit)
        fresh = [e for e in events if e[0] not in self._planned]
        if not fresh:
            return 0
        rows: list[Planned] = []
        tickets: dict[int, tuple[Ticket, frozenset[str]] | None] = {}
        for _, ticket_id, seq, event in fresh:
            if ticket_id not in tickets:
                ticket = await self._tickets.get_by_id(ticket_id)
                if ticket is None:
                    tickets[ticket_id] = None
                else:
                    followers = await self._tickets.followers(ticket.number)
                    people = frozenset({ticket.requester.id, *(f.id for f in followers)})
                    tickets[ticket_id] = (ticket, people)
            known = tickets[ticket_id]
            if known is None:
                continue
            rows += plan_event(
                known[0], ticket_id, seq, event, known[1], self._policy, self._calendar
            )
        new_cursor = max(cursor, max(e[0] for e in fresh))
        added = await self._store.plan(rows, new_cursor)
        if len(self._planned) > 100_000:
            self._planned.clear()
        self._planned.update(e[0] for e in fresh)
        return added
