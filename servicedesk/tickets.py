"""Tickets: what an employee asked for, where it went, and everything that happened since.

A ticket is plain domain code: its status moves only along ``TRANSITIONS``, every
change appends an ``Event`` (who, when, what, note) to an append-only trail, and
the SLA deadlines are set by whoever creates or re-prioritises it (the SLA clock
lives in ``servicedesk.sla``). No I/O here.

    new -> accepted -> in_progress -> on_hold / delayed -> resolved -> closed
    any open status -> cancelled;  resolved -> reopened -> (like accepted)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from servicedesk.errors import InputError


class Kwis(StrEnum):
    """The kind of a report: klacht, wens, informatie, storing."""

    STORING = "storing"
    WENS = "wens"
    KLACHT = "klacht"
    INFORMATIE = "informatie"


class FieldKind(StrEnum):
    """What an intake can collect for a ticket."""

    LOCATION = "location"
    WHEN = "when"
    PERSONS = "persons"
    VISITORS = "visitors"
    PLATE = "plate"
    COST_CENTRE = "cost_centre"
    DESCRIPTION = "description"


FIELD_KINDS = tuple(kind.value for kind in FieldKind)


class Channel(StrEnum):
    CHAT = "chat"
    PHONE = "phone"
    COUNTER = "counter"
    EMAIL = "email"


class Status(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    DELAYED = "delayed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


_WORKING = {Status.IN_PROGRESS, Status.ON_HOLD, Status.DELAYED, Status.RESOLVED, Status.CANCELLED}
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACCEPTED, *_WORKING}),
    Status.ACCEPTED: frozenset(_WORKING),
    Status.IN_PROGRESS: frozenset(_WORKING - {Status.IN_PROGRESS}),
    Status.ON_HOLD: frozenset(_WORKING - {Status.ON_HOLD}),
    Status.DELAYED: frozenset(_WORKING),  # a second delay notice moves the date again
    Status.REOPENED: frozenset({Status.ACCEPTED, *_WORKING}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class EventType(StrEnum):
    CREATED = "created"
    ACCEPTED = "accepted"
    PROGRESS = "progress"
    ON_HOLD = "on_hold"
    DELAYED = "delayed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    ASSIGNED = "assigned"
    PRIORITY_CHANGED = "priority_changed"
    DELIVERED = "delivered"
    REASSIGNED = "reassigned"
    # The requester's (or a follower's) answer to a completion notice or follow-up:
    # data {"solved": bool} or {"rating": 1-5, "comment": str}; read by the reports.
    FEEDBACK = "feedback"


class IllegalTransition(InputError):
    """The ticket's status does not allow this step (e.g. resolving a cancelled ticket)."""


class MissingInformation(InputError):
    """A step needs something that was not given (a delay without a reason)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: an employee, a staff member, a system (the bot, TOPdesk)."""

    id: str
    name: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(id=f"system:{name}", name=name)


@dataclass(frozen=True, slots=True)
class Requester:
    id: str  # Teams/Entra object id, or the id a channel uses
    name: str = ""
    email: str = ""
    language: str = "nl"


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    at: datetime
    actor: Actor
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Deadlines:
    response_due: datetime
    resolve_due: datetime


@dataclass
class Ticket:
    number: str
    requester: Requester
    product_id: str
    queue: str
    kwis: str
    priority: str
    channel: Channel
    fields: dict[str, Any]
    charge: str | None
    created_at: datetime
    deadlines: Deadlines
    status: Status = Status.NEW
    assignee: Actor | None = None
    expected_at: datetime | None = None  # a delay's new expected date
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    events: list[Event] = field(default_factory=list)
    version: int = 0  # the stored version this object was read at (optimistic concurrency)

    # -- creation ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        number: str,
        requester: Requester,
        product_id: str,
        queue: str,
        kwis: str,
        priority: str,
        channel: Channel,
        fields: dict[str, Any],
        charge: str | None,
        at: datetime,
        deadlines: Deadlines,
        actor: Actor | None = None,
    ) -> Ticket:
        unknown = sorted(set(fields) - set(FIELD_KINDS))
        if unknown:
            raise InputError(f"unknown field(s): {', '.join(unknown)}")
        ticket = cls(
            number=number,
            requester=requester,
            product_id=product_id,
            queue=queue,
            kwis=kwis,
            priority=priority,
            channel=channel,
            fields=dict(fields),
            charge=charge,
            created_at=at,
            deadlines=deadlines,
        )
        ticket._record(
            EventType.CREATED,
            at,
            actor or Actor(requester.id, requester.name),
            data={"channel": channel.value, "priority": priority},
        )
        return ticket

    # -- the steps -----------------------------------------------------------------

    def accept(self, actor: Actor, at: datetime, note: str = "") -> None:
        self._move(Status.ACCEPTED, EventType.ACCEPTED, actor, at, note)

    def progress(self, actor: Actor, at: datetime, note: str) -> None:
        """A progress note; the first one also starts the work."""
        if not note.strip():
            raise MissingInformation("a progress update needs a note")
        if self.status in (
            Status.NEW,
            Status.ACCEPTED,
            Status.REOPENED,
            Status.ON_HOLD,
            Status.DELAYED,
        ):
            self._move(Status.IN_PROGRESS, EventType.PROGRESS, actor, at, note)
        elif self.status is Status.IN_PROGRESS:
            self._record(EventType.PROGRESS, at, actor, note)
        else:
            raise IllegalTransition(f"ticket {self.number} is {self.status.value}")

    def add_note(self, actor: Actor, at: datetime, note: str) -> None:
        """Information without a change of status (e.g. a back-office note after the fact)."""
        if not note.strip():
            raise MissingInformation("a note needs text")
        self._record(EventType.PROGRESS, at, actor, note)

    def hold(self, actor: Actor, at: datetime, reason: str) -> None:
        if not reason.strip():
            raise MissingInformation("putting a ticket on hold needs a reason")
        self._move(Status.ON_HOLD, EventType.ON_HOLD, actor, at, reason)

    def delay(self, actor: Actor, at: datetime, reason: str, expected: datetime | None) -> None:
        if not reason.strip():
            raise MissingInformation("a delay needs a reason")
        if expected is None:
            raise MissingInformation("a delay needs the new expected date")
        if expected <= at:
            raise MissingInformation("the new expected date must be in the future")
        self._move(
            Status.DELAYED,
            EventType.DELAYED,
            actor,
            at,
            reason,
            data={"expected": expected.isoformat()},
        )
        self.expected_at = expected

    def resolve(self, actor: Actor, at: datetime, note: str) -> None:
        if not note.strip():
            raise MissingInformation("resolving needs a note for the requester")
        self._move(Status.RESOLVED, EventType.RESOLVED, actor, at, note)
        self.resolved_at = at

    def reopen(self, actor: Actor, at: datetime, note: str = "") -> None:
        self._move(Status.REOPENED, EventType.REOPENED, actor, at, note)
        self.resolved_at = None

    def cancel(self, actor: Actor, at: datetime, reason: str = "") -> None:
        self._move(Status.CANCELLED, EventType.CANCELLED, actor, at, reason)

    def close(self, actor: Actor, at: datetime, note: str = "") -> None:
        self._move(Status.CLOSED, EventType.CLOSED, actor, at, note)

    def assign(self, actor: Actor, assignee: Actor, at: datetime) -> None:
        if not self.status.is_open:
            raise IllegalTransition(f"ticket {self.number} is {self.status.value}")
        self.assignee = assignee
        self._record(EventType.ASSIGNED, at, actor, data={"assignee": assignee.id})
        self._responded(at)

    def take(self, actor: Actor, at: datetime) -> None:
        """A staff member takes the ticket ("assign to me"); a new one is accepted too."""
        if self.status in (Status.NEW, Status.REOPENED):
            self.accept(actor, at)
        self.assign(actor, actor, at)

    def reassign(self, actor: Actor, at: datetime, queue: str, reason: str) -> None:
        """Hand the ticket to another queue (or back to the front office): it starts
        there unassigned, as new; the deadlines stay those promised to the requester."""
        if not self.status.is_open:
            raise IllegalTransition(f"ticket {self.number} is {self.status.value}")
        if not reason.strip():
            raise MissingInformation("handing a ticket to another queue needs a reason")
        if not queue.strip() or queue == self.queue:
            raise MissingInformation("choose another queue than the ticket's own")
        old = self.queue
        self.queue, self.assignee, self.status = queue, None, Status.NEW
        self._record(EventType.REASSIGNED, at, actor, reason, data={"from": old, "to": queue})

    def change_priority(
        self, actor: Actor, at: datetime, priority: str, deadlines: Deadlines, reason: str = ""
    ) -> None:
        """A new priority brings new deadlines, computed by the caller's SLA clock."""
        if not self.status.is_open:
            raise IllegalTransition(f"ticket {self.number} is {self.status.value}")
        old = self.priority
        self.priority, self.deadlines = priority, deadlines
        self._record(
            EventType.PRIORITY_CHANGED, at, actor, reason, data={"from": old, "to": priority}
        )

    def record_feedback(self, actor: Actor, at: datetime, data: dict[str, Any]) -> None:
        """The requester's answer to "solved?" or their satisfaction rating (no status change)."""
        if self.status not in (Status.RESOLVED, Status.CLOSED):
            raise IllegalTransition(f"ticket {self.number} is {self.status.value}")
        self._record(EventType.FEEDBACK, at, actor, str(data.get("comment", "")), dict(data))

    def record_delivery(self, at: datetime, backoffice: str, external_id: str | None) -> None:
        self._record(
            EventType.DELIVERED,
            at,
            Actor.system(backoffice),
            data={"external_id": external_id} if external_id else {},
        )

    # -- internals -------------------------------------------------------------------

    def can_move_to(self, status: Status) -> bool:
        return status in TRANSITIONS[self.status]

    def _move(
        self,
        to: Status,
        event: EventType,
        actor: Actor,
        at: datetime,
        note: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        if not self.can_move_to(to):
            raise IllegalTransition(
                f"ticket {self.number} is {self.status.value}; it cannot become {to.value}"
            )
        self.status = to
        self._record(event, at, actor, note, data or {})
        if to is not Status.CANCELLED:
            self._responded(at)

    def _responded(self, at: datetime) -> None:
        if self.responded_at is None:
            self.responded_at = at

    def _record(
        self,
        type_: EventType,
        at: datetime,
        actor: Actor,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(Event(type_, at, actor, note, data or {}))
