"""The staff's ticket list: tickets filtered by queue, status, SLA state and text, newest
first, a page at a time (SQLite and PostgreSQL).

Queue, status and text are filtered in SQL; so is "breached" (a deadline not met that
has passed: ``now >= due`` on every SLA clock). "At risk" depends on the share of the
allowed time used on the priority's own clock (business hours, holidays), which SQL
cannot count: SQL narrows to the open tickets that are not breached, and the caller's
SLA policy judges each of them (``state_of``), the same judgement the cards and the
API show. Listed tickets carry no events (a list needs none).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import tickets
from servicedesk.persistence.ticket_store import ticket_from_row
from servicedesk.tickets import Status, Ticket

PAGE_SIZE = 50
SLA_FILTERS = ("ok", "at_risk", "breached")
OPEN = "open"  # a status filter: every open status
SCAN_LIMIT = 5000  # open, not breached tickets judged in Python for "at risk" / "ok"
_DONE = (Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value)


@dataclass(frozen=True)
class TicketFilter:
    """What to list. ``queues`` is the viewer's scope (None: every queue); ``queue``,
    ``status``, ``sla`` and ``text`` are the chosen filters ("" for any)."""

    queues: Collection[str] | None = None
    queue: str = ""
    status: str = ""  # a Status value, or "open"
    sla: str = ""  # ok, at_risk, breached
    text: str = ""  # part of the number, requester name, location or description
    product_ids: Collection[str] = ()  # products whose name matches ``text`` (knowledge)


@dataclass(frozen=True)
class TicketPage:
    tickets: list[Ticket]
    total: int
    page: int  # 1-based, within 1..pages
    pages: int


class SqlTicketList(SqlStore):
    what = "ticket list"

    async def page(
        self,
        chosen: TicketFilter,
        now: datetime,
        state_of: Callable[[Ticket], str],
        page: int = 1,
        size: int = PAGE_SIZE,
    ) -> TicketPage:
        """One page of the tickets that match; ``state_of`` gives a ticket's SLA state
        (ok, at_risk, breached, ...) for the "ok" and "at risk" filters."""

        def work() -> TicketPage:
            query = sa.select(tickets).where(*_conditions(chosen, now))
            newest_first = query.order_by(tickets.c.created_at.desc(), tickets.c.id.desc())
            with self._engine.connect() as connection:
                if chosen.sla in ("ok", "at_risk"):
                    found = [
                        ticket
                        for ticket in (
                            ticket_from_row(row, [])
                            for row in connection.execute(newest_first.limit(SCAN_LIMIT))
                        )
                        if state_of(ticket) == chosen.sla
                    ]
                    total, pages, current = _paging(len(found), page, size)
                    return TicketPage(
                        found[(current - 1) * size : current * size], total, current, pages
                    )
                total = connection.execute(
                    sa.select(sa.func.count()).select_from(query.subquery())
                ).scalar_one()
                total, pages, current = _paging(total, page, size)
                rows = connection.execute(newest_first.offset((current - 1) * size).limit(size))
                return TicketPage([ticket_from_row(r, []) for r in rows], total, current, pages)

        return await self._run(work)


def _paging(total: int, page: int, size: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // size))
    return total, pages, min(max(page, 1), pages)


def _conditions(chosen: TicketFilter, now: datetime) -> list[Any]:
    where: list[Any] = []
    if chosen.queues is not None:
        where.append(tickets.c.queue.in_(sorted(chosen.queues)))
    if chosen.queue:
        where.append(tickets.c.queue == chosen.queue)
    if chosen.status == OPEN:
        where.append(tickets.c.status.not_in(_DONE))
    elif chosen.status:
        where.append(tickets.c.status == chosen.status)
    text = chosen.text.strip()
    if text:
        matches = [
            tickets.c.number.icontains(text, autoescape=True),
            tickets.c.requester_name.icontains(text, autoescape=True),
            tickets.c.product_id.icontains(text, autoescape=True),
            tickets.c.fields["location"].as_string().icontains(text, autoescape=True),
            tickets.c.fields["description"].as_string().icontains(text, autoescape=True),
        ]
        if chosen.product_ids:
            matches.append(tickets.c.product_id.in_(sorted(chosen.product_ids)))
        where.append(sa.or_(*matches))
    if chosen.sla:
        where.append(tickets.c.status.not_in(_DONE))
        response_breached = sa.and_(tickets.c.responded_at.is_(None), tickets.c.response_due <= now)
        resolution_breached = sa.and_(tickets.c.resolved_at.is_(None), tickets.c.resolve_due <= now)
        breached = sa.or_(response_breached, resolution_breached)
        where.append(breached if chosen.sla == "breached" else sa.not_(breached))
    return where
