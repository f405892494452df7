"""Use cases for tickets, shared by every channel (chat, phone, counter, e-mail, API).

``TicketService`` checks a request against the catalogue, sets the SLA deadlines,
and stores the ticket with its delivery job in one transaction. Steps on a ticket
(accept, progress, delay, resolve, reopen, cancel) go through the domain's rules
and are saved with optimistic concurrency. Updates read back from a back office
are applied once each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from servicedesk.backoffice import StatusUpdate
from servicedesk.clock import Clock
from servicedesk.errors import ConfigurationError, InputError
from servicedesk.persistence.ticket_store import ConcurrentUpdate, SqlTicketStore
from servicedesk.tickets import (
    FIELD_KINDS,
    Actor,
    Channel,
    Deadlines,
    IllegalTransition,
    Requester,
    Status,
    Ticket,
)

log = logging.getLogger(__name__)


class UnknownTicket(InputError):
    """No ticket has this number."""


@dataclass(frozen=True, slots=True)
class Offering:
    """What the catalogue says about one product, as the ticket service needs it."""

    product_id: str
    queue: str
    kwis: str
    priority: str
    charge: str | None
    required_fields: tuple[str, ...]
    backoffice: str


class Catalogue(Protocol):
    def offering(self, product_id: str) -> Offering | None:
        """None for an unknown product; ``InputError`` for one that is not ours (redirect)."""
        ...


class SlaPolicy(Protocol):
    def deadlines(self, priority: str, start: datetime) -> Deadlines: ...

    def state(self, priority: str, start: datetime, due: datetime, now: datetime) -> str:
        """ok, at_risk or breached, on the priority's own clock."""
        ...


@dataclass(frozen=True)
class NewTicket:
    product_id: str
    requester: Requester
    channel: Channel
    fields: Mapping[str, Any] = field(default_factory=dict)
    actor: Actor | None = None  # who registered it, when not the requester (phone, counter)
    priority: str | None = None  # instead of the product's own class (an emergency is P1)
    origin: str | None = None  # what asked (an intake): asked twice, one ticket


@dataclass(frozen=True)
class Step:
    """A step on a ticket: accept, progress, hold, delay, resolve, reopen, cancel, close."""

    type: str
    actor: Actor
    note: str = ""
    reason: str = ""
    expected: datetime | None = None
    queue: str = ""  # for "reassign": the queue that takes the ticket over


class TicketService:
    def __init__(
        self, store: SqlTicketStore, catalogue: Catalogue, sla: SlaPolicy, clock: Clock
    ) -> None:
        self._store = store
        self._catalogue = catalogue
        self._sla = sla
        self._clock = clock

    async def create(self, request: NewTicket) -> Ticket:
        offering = self._catalogue.offering(request.product_id)
        if offering is None:
            raise InputError(f"unknown product {request.product_id!r}")
        fields = {k: v for k, v in request.fields.items() if v not in (None, "", [])}
        unknown = sorted(set(fields) - set(FIELD_KINDS))
        if unknown:
            raise InputError(
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELD_KINDS)}"
            )
        missing = [name for name in offering.required_fields if name not in fields]
        if missing:
            raise InputError(f"product {offering.product_id} needs {', '.join(missing)}")
        now = self._clock.now()
        priority = request.priority or offering.priority
        try:
            deadlines = self._sla.deadlines(priority, now)
        except ConfigurationError as exc:
            raise InputError(f"unknown priority {priority!r}") from exc
        ticket = Ticket.open(
            number="",
            requester=request.requester,
            product_id=offering.product_id,
            queue=offering.queue,
            kwis=offering.kwis,
            priority=priority,
            channel=request.channel,
            fields=fields,
            charge=offering.charge,
            at=now,
            deadlines=deadlines,
            actor=request.actor,
        )
        stored = await self._store.add(ticket, offering.backoffice, origin=request.origin)
        log.info(
            "ticket created",
            extra={
                "ticket": stored.number,
                "product": offering.product_id,
                "channel": request.channel.value,
            },
        )
        return stored

    async def get(self, number: str) -> Ticket:
        ticket = await self._store.get(number)
        if ticket is None:
            raise UnknownTicket(f"no ticket {number}")
        return ticket

    async def find(self, requester: str | None, open_only: bool) -> list[Ticket]:
        return await self._store.find(requester=requester, open_only=open_only)

    def preview_deadlines(self, priority: str) -> Deadlines:
        """The deadlines a ticket of this priority would get if created now."""
        return self._sla.deadlines(priority, self._clock.now())

    async def mine(self, requester_id: str, number: str) -> Ticket:
        """A ticket its requester (or a follower) may see; ``UnknownTicket`` for anyone
        else, so that other people's ticket numbers reveal nothing."""
        ticket = await self._store.get(number)
        if ticket is not None and ticket.requester.id != requester_id:
            followers = await self._store.followers(number)
            if all(f.id != requester_id for f in followers):
                ticket = None
        if ticket is None:
            raise UnknownTicket(f"no ticket {number} of yours")
        return ticket

    async def visible_to(self, requester_id: str, open_only: bool) -> list[Ticket]:
        """The employee's own tickets plus the ones they follow, newest first."""
        own = await self._store.find(requester=requester_id, open_only=open_only, limit=50)
        followed = await self._store.followed_by(requester_id, open_only=open_only)
        seen = {t.number for t in own}
        both = own + [t for t in followed if t.number not in seen]
        return sorted(both, key=lambda t: t.created_at, reverse=True)

    async def open_for_product(self, product_id: str) -> list[Ticket]:
        return await self._store.open_for_product(product_id)

    async def follow(self, number: str, follower: Requester) -> bool:
        """The employee follows a ticket someone else reported; False if already so."""
        await self.get(number)
        added = await self._store.add_follower(number, follower, self._clock.now())
        if added:
            log.info("follower added", extra={"ticket": number})
        return added

    async def act(self, number: str, step: Step, expected_version: int | None = None) -> Ticket:
        """Apply a step; with ``expected_version`` (what a card showed), ``ConcurrentUpdate``
        when the ticket has moved on since, so the first of two clicks wins."""
        ticket = await self.get(number)
        if expected_version is not None and ticket.version != expected_version:
            raise ConcurrentUpdate(f"ticket {number} was changed by someone else")
        self._apply(ticket, step, self._clock.now())
        await self._store.save(ticket, push=True)
        log.info(
            "ticket step",
            extra={"ticket": number, "step": step.type, "status": ticket.status.value},
        )
        return ticket

    async def reprioritise(self, number: str, priority: str, actor: Actor, reason: str) -> Ticket:
        """A new priority: deadlines recomputed from the creation time on the new class."""
        ticket = await self.get(number)
        try:
            deadlines = self._sla.deadlines(priority, ticket.created_at)
        except ConfigurationError as exc:
            raise InputError(f"unknown priority {priority!r}") from exc
        ticket.change_priority(actor, self._clock.now(), priority, deadlines, reason)
        await self._store.save(ticket, push=True)
        return ticket

    def sla_status(self, ticket: Ticket) -> dict[str, str]:
        """Where the ticket stands against its deadlines: ok, at_risk, breached, met, missed."""
        now = self._clock.now()

        def judge(done: datetime | None, due: datetime) -> str:
            if done is not None:
                return "met" if done <= due else "missed"
            if ticket.status in (Status.CANCELLED, Status.CLOSED):
                return "n/a"
            return self._sla.state(ticket.priority, ticket.created_at, due, now)

        return {
            "response": judge(ticket.responded_at, ticket.deadlines.response_due),
            "resolution": judge(ticket.resolved_at, ticket.deadlines.resolve_due),
        }

    async def apply_update(self, update: StatusUpdate) -> bool:
        """Apply a back-office update once; False when it was applied before."""
        ticket = await self.get(update.number)
        if not await self._store.mark_applied(update.key, update.number, self._clock.now()):
            return False
        if update.status is not None and update.status is ticket.status:
            return False  # polling reports the current state again: nothing new
        actor = Actor(f"backoffice:{update.actor_name}", update.actor_name)
        step = _step_for(update, actor)
        if ticket.status is Status.RESOLVED and update.status is not None and update.status.is_open:
            step = Step("reopen", actor, note=update.note)  # the back office took it up again
        try:
            self._apply(ticket, step, update.at)
        except IllegalTransition as exc:
            log.warning(
                "back-office update does not fit the ticket",
                extra={"ticket": update.number, "reason": str(exc)},
            )
            return False
        await self._store.save(ticket)
        return True

    @staticmethod
    def _apply(ticket: Ticket, step: Step, at: datetime) -> None:
        handler = _STEPS.get(step.type)
        if handler is None:
            raise InputError(f"unknown step {step.type!r}; one of {', '.join(STEPS)}")
        handler(ticket, step, at)


# One table from step to the domain's method: the API, the chat and back-office
# updates all go through it.
_STEPS: Mapping[str, Callable[[Ticket, Step, datetime], None]] = {
    "accept": lambda t, s, at: t.accept(s.actor, at, s.note),
    "progress": lambda t, s, at: t.progress(s.actor, at, s.note),
    "note": lambda t, s, at: t.add_note(s.actor, at, s.note),
    "hold": lambda t, s, at: t.hold(s.actor, at, s.reason or s.note),
    "delay": lambda t, s, at: t.delay(s.actor, at, s.reason, s.expected),
    "resolve": lambda t, s, at: t.resolve(s.actor, at, s.note),
    "reopen": lambda t, s, at: t.reopen(s.actor, at, s.note),
    "cancel": lambda t, s, at: t.cancel(s.actor, at, s.reason or s.note),
    "close": lambda t, s, at: t.close(s.actor, at, s.note),
    "take": lambda t, s, at: t.take(s.actor, at),
    "reassign": lambda t, s, at: t.reassign(s.actor, at, s.queue, s.reason or s.note),
}
STEPS = tuple(_STEPS)

_STATUS_STEP: Mapping[Status, str] = {
    Status.ACCEPTED: "accept",
    Status.IN_PROGRESS: "progress",
    Status.ON_HOLD: "hold",
    Status.DELAYED: "delay",
    Status.RESOLVED: "resolve",
    Status.REOPENED: "reopen",
    Status.CANCELLED: "cancel",
    Status.CLOSED: "close",
}


def _step_for(update: StatusUpdate, actor: Actor) -> Step:
    if update.status is None:
        return Step("note", actor, note=update.note)
    kind = _STATUS_STEP.get(update.status, "progress")
    note = update.note or {"resolve": "Afgehandeld door de backoffice."}.get(kind, "")
    return Step(kind, actor, note=note, reason=update.note, expected=update.expected)
