"""Tickets, their trail and the outbox on SQLAlchemy (SQLite or PostgreSQL).

``add`` commits a ticket, its first events and its delivery job in one
transaction: once it returns, the ticket cannot be lost and will reach its back
office. Updates use optimistic concurrency (a version column): of two people
acting on the same ticket at once, the first wins and the second gets
``ConcurrentUpdate``. Outbox rows are claimed with a lease; on PostgreSQL with
``FOR UPDATE SKIP LOCKED`` so that several bot processes never take the same row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from servicedesk.errors import InputError, StoreError
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import (
    applied_updates,
    as_utc,
    outbox,
    ticket_events,
    ticket_followers,
    tickets,
)
from servicedesk.tickets import (
    Actor,
    Channel,
    Deadlines,
    Event,
    EventType,
    Requester,
    Status,
    Ticket,
)

T = TypeVar("T")
NUMBER_PREFIX = "FM"


class ConcurrentUpdate(InputError):
    """Someone else changed the ticket first; read it again."""


@dataclass(frozen=True, slots=True)
class OutboxJob:
    id: int
    kind: str
    ticket_id: int
    idempotency_key: str
    attempts: int
    event_seq: int | None = None


class SqlTicketStore(SqlStore):
    what = "ticket store"

    # -- tickets ---------------------------------------------------------------------

    async def add(
        self, ticket: Ticket, backoffice: str, deliver: bool = True, origin: str | None = None
    ) -> Ticket:
        """Store a new ticket (its number is assigned here) and, in the same transaction,
        the job that delivers it to its back office. With ``origin`` (unique: e.g. the
        intake that asked for it), a second add of the same origin, at the same moment or
        later, stores nothing and returns the first ticket."""

        def work() -> Ticket:
            with self._engine.begin() as connection:
                inserted = connection.execute(
                    tickets.insert().values(
                        number=f"new-{uuid.uuid4().hex[:26]}",  # replaced below
                        **self._row(ticket, backoffice),
                        version=1,
                        origin=origin,
                    )
                ).inserted_primary_key
                assert inserted is not None
                row_id = int(inserted[0])
                number = f"{NUMBER_PREFIX}-{ticket.created_at.year}-{row_id:06d}"
                connection.execute(
                    tickets.update().where(tickets.c.id == row_id).values(number=number)
                )
                ticket.number, ticket.version = number, 1
                self._insert_events(connection, row_id, ticket.events, 0)
                if deliver:
                    connection.execute(
                        outbox.insert().values(
                            kind="deliver",
                            ticket_id=row_id,
                            idempotency_key=f"deliver:{number}",
                            state="pending",
                            attempts=0,
                            next_attempt_at=ticket.created_at,
                            created_at=ticket.created_at,
                        )
                    )
            return ticket

        if origin is not None:
            first = await self._by_origin(origin)
            if first is not None:
                return first
        try:
            return await self._run(work)
        except StoreError as exc:  # the same origin added at the same moment: the first wins
            if origin is None or not isinstance(exc.__cause__, sa.exc.IntegrityError):
                raise
            first = await self._by_origin(origin)
            if first is None:
                raise
            return first

    async def _by_origin(self, origin: str) -> Ticket | None:
        def work() -> Ticket | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(tickets).where(tickets.c.origin == origin)
                ).first()
                return None if row is None else self._ticket(connection, row)

        return await self._run(work)

    async def save(self, ticket: Ticket, push: bool = False) -> None:
        """Write changes and the new events; ``ConcurrentUpdate`` if it moved meanwhile.

        With ``push``, each new event also gets an outbox job (same transaction) that
        tells the ticket's back office about it."""

        def work() -> None:
            with self._engine.begin() as connection:
                row = connection.execute(
                    sa.select(tickets.c.id, tickets.c.backoffice).where(
                        tickets.c.number == ticket.number
                    )
                ).first()
                if row is None:
                    raise InputError(f"no ticket {ticket.number}")
                values = self._row(ticket, row.backoffice)
                result = connection.execute(
                    tickets.update()
                    .where(tickets.c.id == row.id, tickets.c.version == ticket.version)
                    .values(**values, version=ticket.version + 1)
                )
                if result.rowcount != 1:
                    raise ConcurrentUpdate(f"ticket {ticket.number} was changed by someone else")
                stored = connection.execute(
                    sa.select(sa.func.count()).where(ticket_events.c.ticket_id == row.id)
                ).scalar_one()
                self._insert_events(connection, row.id, ticket.events[stored:], stored)
                if push:  # the built-in queue takes pushes too: its Teams card is updated
                    now = ticket.events[-1].at
                    for seq in range(stored, len(ticket.events)):
                        connection.execute(
                            outbox.insert().values(
                                kind="push",
                                ticket_id=row.id,
                                event_seq=seq,
                                idempotency_key=f"push:{ticket.number}:{seq}",
                                state="pending",
                                attempts=0,
                                next_attempt_at=now,
                                created_at=now,
                            )
                        )
            ticket.version += 1

        await self._run(work)

    async def get(self, number: str) -> Ticket | None:
        def work() -> Ticket | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(tickets).where(tickets.c.number == number)
                ).first()
                return None if row is None else self._ticket(connection, row)

        return await self._run(work)

    async def get_by_id(self, ticket_id: int) -> Ticket | None:
        def work() -> Ticket | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(tickets).where(tickets.c.id == ticket_id)
                ).first()
                return None if row is None else self._ticket(connection, row)

        return await self._run(work)

    async def find(
        self, requester: str | None = None, open_only: bool = False, limit: int = 100
    ) -> list[Ticket]:
        def work() -> list[Ticket]:
            query = sa.select(tickets).order_by(tickets.c.id.desc()).limit(limit)
            if requester is not None:
                query = query.where(tickets.c.requester_id == requester)
            if open_only:
                query = query.where(
                    tickets.c.status.not_in(
                        [Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value]
                    )
                )
            with self._engine.connect() as connection:
                return [self._ticket(connection, row) for row in connection.execute(query)]

        return await self._run(work)

    async def open_for_product(self, product_id: str, limit: int = 50) -> list[Ticket]:
        """Open tickets of one product, newest first (to spot a known problem)."""

        def work() -> list[Ticket]:
            query = (
                sa.select(tickets)
                .where(
                    tickets.c.product_id == product_id,
                    tickets.c.status.not_in(
                        [Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value]
                    ),
                )
                .order_by(tickets.c.id.desc())
                .limit(limit)
            )
            with self._engine.connect() as connection:
                return [self._ticket(connection, row) for row in connection.execute(query)]

        return await self._run(work)

    async def add_follower(self, number: str, follower: Requester, now: datetime) -> bool:
        """Record an employee who follows a ticket; False when they already did."""

        def work() -> bool:
            with self._engine.begin() as connection:
                ticket_id = connection.execute(
                    sa.select(tickets.c.id).where(tickets.c.number == number)
                ).scalar_one()
                exists = connection.execute(
                    sa.select(ticket_followers.c.follower_id).where(
                        ticket_followers.c.ticket_id == ticket_id,
                        ticket_followers.c.follower_id == follower.id,
                    )
                ).first()
                if exists is not None:
                    return False
                try:
                    connection.execute(
                        ticket_followers.insert().values(
                            ticket_id=ticket_id,
                            follower_id=follower.id,
                            name=follower.name,
                            email=follower.email,
                            language=follower.language,
                            added_at=now,
                        )
                    )
                except sa.exc.IntegrityError:
                    return False
                return True

        return await self._run(work)

    async def followers(self, number: str) -> list[Requester]:
        def work() -> list[Requester]:
            query = (
                sa.select(ticket_followers)
                .join(tickets, tickets.c.id == ticket_followers.c.ticket_id)
                .where(tickets.c.number == number)
                .order_by(ticket_followers.c.added_at)
            )
            with self._engine.connect() as connection:
                return [
                    Requester(id=r.follower_id, name=r.name, email=r.email, language=r.language)
                    for r in connection.execute(query)
                ]

        return await self._run(work)

    async def followed_by(self, follower_id: str, open_only: bool = True) -> list[Ticket]:
        """Tickets an employee follows (reported by someone else)."""

        def work() -> list[Ticket]:
            query = (
                sa.select(tickets)
                .join(ticket_followers, tickets.c.id == ticket_followers.c.ticket_id)
                .where(ticket_followers.c.follower_id == follower_id)
                .order_by(tickets.c.id.desc())
            )
            if open_only:
                query = query.where(
                    tickets.c.status.not_in(
                        [Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value]
                    )
                )
            with self._engine.connect() as connection:
                return [self._ticket(connection, row) for row in connection.execute(query)]

        return await self._run(work)

    async def set_external(
        self, number: str, external_id: str | None, external_number: str | None
    ) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(
                    tickets.update()
                    .where(tickets.c.number == number)
                    .values(external_id=external_id, external_number=external_number)
                )

        await self._run(work)

    async def backoffice_of(self, number: str) -> str:
        def work() -> str:
            with self._engine.connect() as connection:
                return str(
                    connection.execute(
                        sa.select(tickets.c.backoffice).where(tickets.c.number == number)
                    ).scalar_one()
                )

        return await self._run(work)

    async def external_tickets(self, backoffice: str) -> list[tuple[str, str]]:
        """Open tickets delivered to ``backoffice``: (our number, external id)."""

        def work() -> list[tuple[str, str]]:
            query = sa.select(tickets.c.number, tickets.c.external_id).where(
                tickets.c.backoffice == backoffice,
                tickets.c.external_id.is_not(None),
                tickets.c.status.not_in([Status.CLOSED.value, Status.CANCELLED.value]),
            )
            with self._engine.connect() as connection:
                return [(r.number, r.external_id) for r in connection.execute(query)]

        return await self._run(work)

    async def mark_applied(self, key: str, number: str, now: datetime) -> bool:
        """Record that a back-office update was applied; False if it already was."""

        def work() -> bool:
            with self._engine.begin() as connection:
                ticket_id = connection.execute(
                    sa.select(tickets.c.id).where(tickets.c.number == number)
                ).scalar_one()
                exists = connection.execute(
                    sa.select(applied_updates.c.key).where(applied_updates.c.key == key)
                ).first()
                if exists is not None:
                    return False
                connection.execute(
                    applied_updates.insert().values(key=key, ticket_id=ticket_id, applied_at=now)
                )
                return True

        try:
            return await self._run(work)
        except StoreError as exc:  # a concurrent insert of the same key lost the race
            if isinstance(exc.__cause__, sa.exc.IntegrityError):
                return False
            raise

    # -- the outbox --------------------------------------------------------------------

    async def claim_due(
        self, now: datetime, limit: int = 10, lease: timedelta = timedelta(minutes=2)
    ) -> list[OutboxJob]:
        """Take up to ``limit`` due jobs for ``lease``; nobody else gets them meanwhile."""

        def work() -> list[OutboxJob]:
            due = (
                sa.select(outbox.c.id)
                .where(
                    outbox.c.state == "pending",
                    outbox.c.next_attempt_at <= now,
                    sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
                )
                .order_by(outbox.c.next_attempt_at)
                .limit(limit)
            )
            with self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    due = due.with_for_update(skip_locked=True)
                ids = [r.id for r in connection.execute(due)]
                if not ids:
                    return []
                connection.execute(
                    outbox.update()
                    .where(outbox.c.id.in_(ids))
                    .values(claimed_until=now + lease, attempts=outbox.c.attempts + 1)
                )
                rows = connection.execute(sa.select(outbox).where(outbox.c.id.in_(ids)))
                return [
                    OutboxJob(r.id, r.kind, r.ticket_id, r.idempotency_key, r.attempts, r.event_seq)
                    for r in rows
                ]

        return await self._run(work)

    async def finish(self, job: OutboxJob, now: datetime) -> None:
        await self._set_job(job, state="done", done_at=now, claimed_until=None, last_error=None)

    async def retry(self, job: OutboxJob, at: datetime, error: str) -> None:
        await self._set_job(job, next_attempt_at=at, claimed_until=None, last_error=error[:2000])

    async def fail(self, job: OutboxJob, error: str) -> None:
        await self._set_job(job, state="failed", claimed_until=None, last_error=error[:2000])

    async def _set_job(self, job: OutboxJob, **values: Any) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(outbox.update().where(outbox.c.id == job.id).values(**values))

        await self._run(work)

    async def requeue(self, job_id: int, now: datetime | None = None) -> bool:
        """Put a failed job back in line (after an admin fixed the cause), due ``now`` (the
        app's clock; the wall clock when not given); False if it was not failed."""

        def work() -> bool:
            with self._engine.begin() as connection:
                result = connection.execute(
                    outbox.update()
                    .where(outbox.c.id == job_id, outbox.c.state == "failed")
                    .values(
                        state="pending",
                        attempts=0,
                        claimed_until=None,
                        next_attempt_at=now or datetime.now(UTC),
                    )
                )
                return result.rowcount == 1

        return await self._run(work)

    async def outbox_rows(self, state: str | None = None) -> list[dict[str, Any]]:
        """For admins and tests: the outbox as it stands."""

        def work() -> list[dict[str, Any]]:
            query = sa.select(outbox, tickets.c.number).join(tickets).order_by(outbox.c.id)
            if state is not None:
                query = query.where(outbox.c.state == state)
            with self._engine.connect() as connection:
                return [dict(r._mapping) for r in connection.execute(query)]

        return await self._run(work)

    # -- mapping -----------------------------------------------------------------------

    @staticmethod
    def _row(ticket: Ticket, backoffice: str) -> dict[str, Any]:
        return {
            "requester_id": ticket.requester.id,
            "requester_name": ticket.requester.name,
            "requester_email": ticket.requester.email,
            "requester_language": ticket.requester.language,
            "product_id": ticket.product_id,
            "queue": ticket.queue,
            "kwis": ticket.kwis,
            "priority": ticket.priority,
            "channel": ticket.channel.value,
            "fields": ticket.fields,
            "charge": ticket.charge,
            "status": ticket.status.value,
            "assignee_id": ticket.assignee.id if ticket.assignee else None,
            "assignee_name": ticket.assignee.name if ticket.assignee else None,
            "created_at": ticket.created_at,
            "response_due": ticket.deadlines.response_due,
            "resolve_due": ticket.deadlines.resolve_due,
            "responded_at": ticket.responded_at,
            "resolved_at": ticket.resolved_at,
            "expected_at": ticket.expected_at,
            "backoffice": backoffice,
            "updated_at": ticket.events[-1].at if ticket.events else ticket.created_at,
        }

    @staticmethod
    def _insert_events(
        connection: Connection, ticket_id: int, events: list[Event], first_seq: int
    ) -> None:
        if not events:
            return
        connection.execute(
            ticket_events.insert(),
            [
                {
                    "ticket_id": ticket_id,
                    "seq": first_seq + offset,
                    "type": event.type.value,
                    "at": event.at,
                    "actor_id": event.actor.id,
                    "actor_name": event.actor.name,
                    "note": event.note,
                    "data": event.data,
                }
                for offset, event in enumerate(events)
            ],
        )

    @staticmethod
    def _ticket(connection: Connection, row: Row[Any]) -> Ticket:
        events = [
            Event(
                EventType(e.type),
                as_utc(e.at),
                Actor(e.actor_id, e.actor_name),
                e.note,
                dict(e.data or {}),
            )
            for e in connection.execute(
                sa.select(ticket_events)
                .where(ticket_events.c.ticket_id == row.id)
                .order_by(ticket_events.c.seq)
            )
        ]
        return ticket_from_row(row, events)


def ticket_from_row(row: Row[Any], events: list[Event]) -> Ticket:
    """A ticket from its ``tickets`` row and its events (none for a list's summary)."""
    return Ticket(
        number=row.number,
        requester=Requester(
            row.requester_id, row.requester_name, row.requester_email, row.requester_language
        ),
        product_id=row.product_id,
        queue=row.queue,
        kwis=row.kwis,
        priority=row.priority,
        channel=Channel(row.channel),
        fields=dict(row.fields or {}),
        charge=row.charge,
        created_at=as_utc(row.created_at),
        deadlines=Deadlines(as_utc(row.response_due), as_utc(row.resolve_due)),
        status=Status(row.status),
        assignee=Actor(row.assignee_id, row.assignee_name or "") if row.assignee_id else None,
        expected_at=as_utc(row.expected_at),
        responded_at=as_utc(row.responded_at),
        resolved_at=as_utc(row.resolved_at),
        events=events,
        version=row.version,
    )
