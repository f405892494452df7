"""The requester's answers to a completion notice and a follow-up.

"Solved" and a satisfaction rating (1-5, an optional comment) are ``feedback`` events in
the ticket's trail (``ticket_events.type = 'feedback'``, data ``{"solved": true}`` or
``{"rating": 4, "comment": "…"}``): the reports read them from there. Either answer
closes a resolved ticket. "Not solved" reopens it (``TicketService.act``), which updates
the queue's card and, through the notification planner, tells the queue's channel.

Only the requester and the ticket's followers may answer (``UnknownTicket`` for anyone
else); every answer is recorded once per person, so a double click does one thing.
"""

from __future__ import annotations

from enum import StrEnum

from servicedesk.clock import Clock
from servicedesk.persistence.ticket_store import ConcurrentUpdate, SqlTicketStore
from servicedesk.service import Step, TicketService
from servicedesk.tickets import Actor, EventType, Status, Ticket


class Answer(StrEnum):
    RECORDED = "recorded"  # this click did it
    ALREADY = "already"  # answered before (a double click, or the other button)
    TOO_LATE = "too_late"  # the ticket moved on (reopened, cancelled)


class Feedback:
    def __init__(self, tickets: TicketService, store: SqlTicketStore, clock: Clock) -> None:
        self._tickets = tickets
        self._store = store
        self._clock = clock

    async def solved(self, number: str, person: Actor) -> Answer:
        return await self._record(number, person, {"solved": True})

    async def rate(self, number: str, person: Actor, rating: int, comment: str = "") -> Answer:
        if not 1 <= rating <= 5:
            raise ValueError("a rating is 1 to 5")
        data: dict[str, object] = {"rating": rating}
        if comment.strip():
            data["comment"] = comment.strip()[:1000]
        return await self._record(number, person, data)

    async def unsolved(self, number: str, person: Actor, note: str) -> Answer:
        ticket = await self._tickets.mine(person.id, number)
        if ticket.status is not Status.RESOLVED:
            return Answer.ALREADY if ticket.status is Status.REOPENED else Answer.TOO_LATE
        try:
            await self._tickets.act(number, Step("reopen", person, note=note), ticket.version)
        except ConcurrentUpdate:
            return Answer.ALREADY
        return Answer.RECORDED

    async def status_of(self, number: str) -> str:
        return (await self._tickets.get(number)).status.value

    async def _record(self, number: str, person: Actor, data: dict[str, object]) -> Answer:
        for _ in range(3):  # a concurrent step (the outbox's bookkeeping) may win first
            ticket = await self._tickets.mine(person.id, number)
            what = "rating" if "rating" in data else "solved"
            if _answered(ticket, person.id, what):
                return Answer.ALREADY
            if ticket.status not in (Status.RESOLVED, Status.CLOSED):
                return Answer.TOO_LATE
            now = self._clock.now()
            ticket.record_feedback(person, now, data)
            if ticket.status is Status.RESOLVED:
                note = "Bevestigd door de aanvrager." if what == "solved" else "Beoordeeld."
                ticket.close(person, now, note)
            try:
                await self._store.save(ticket, push=True)
            except ConcurrentUpdate:
                continue
            return Answer.RECORDED
        return Answer.ALREADY


def _answered(ticket: Ticket, person: str, what: str) -> bool:
    return any(
        e.type is EventType.FEEDBACK and e.actor.id == person and what in e.data
        for e in ticket.events
    )
