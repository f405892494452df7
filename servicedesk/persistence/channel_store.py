"""Queue channels and the ticket cards posted in them, on SQLAlchemy (SQLite or PostgreSQL).

A back-office team links its Teams channel to its queue (``queue_channels``: one channel
per queue); every card the bot posts about a ticket is remembered with its Teams
activity id (``card_messages``: one per ticket and conversation) so that it can be
updated later, and so that a retried delivery does not post it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from servicedesk.errors import InputError
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import card_messages, queue_channels, tickets
from servicedesk.tickets import Status

T = TypeVar("T")
THREAD_MARK = ";messageid="


def channel_of(conversation_id: str) -> str:
    """The channel a Teams conversation id belongs to (a thread's id carries the root's
    message id: ``19:abc@thread.tacv2;messageid=1700000000000``)."""
    return conversation_id.split(THREAD_MARK, 1)[0]


@dataclass(frozen=True, slots=True)
class QueueChannel:
    queue: str
    conversation_id: str  # as the linking message arrived (its reference is stored)
    linked_by: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class CardMessage:
    """A card about a ticket that the bot posted and may update."""

    conversation_id: str
    activity_id: str


class SqlChannelStore(SqlStore):
    what = "channel store"

    # -- queue channels ------------------------------------------------------------------

    async def link(self, queue: str, conversation_id: str, linked_by: str) -> None:
        """Link ``queue`` to this channel; a queue has one channel, so this replaces any other."""

        def work() -> None:
            values = {
                "conversation_id": conversation_id,
                "linked_by": linked_by,
                "linked_at": self._clock.now(),
            }
            with self._engine.begin() as connection:
                updated = connection.execute(
                    queue_channels.update().where(queue_channels.c.queue == queue).values(**values)
                ).rowcount
                if updated == 0:
                    connection.execute(queue_channels.insert().values(queue=queue, **values))

        await self._run(work)

    async def unlink(self, conversation_id: str, queue: str | None = None) -> list[str]:
        """Unlink ``queue`` (or every queue) from this channel; returns the queues unlinked."""

        def work() -> list[str]:
            with self._engine.begin() as connection:
                linked = [
                    q
                    for q in self._queues_in(connection, conversation_id)
                    if queue is None or q == queue
                ]
                if linked:
                    connection.execute(
                        queue_channels.delete().where(queue_channels.c.queue.in_(linked))
                    )
                return linked

        return await self._run(work)

    async def queues_linked_to(self, conversation_id: str) -> list[str]:
        def work() -> list[str]:
            with self._engine.connect() as connection:
                return self._queues_in(connection, conversation_id)

        return await self._run(work)

    @staticmethod
    def _queues_in(connection: Connection, conversation_id: str) -> list[str]:
        channel = channel_of(conversation_id)
        rows = connection.execute(
            sa.select(queue_channels.c.queue, queue_channels.c.conversation_id).order_by(
                queue_channels.c.queue
            )
        )
        return [r.queue for r in rows if channel_of(r.conversation_id) == channel]

    async def channel_for(self, queue: str) -> QueueChannel | None:
        def work() -> QueueChannel | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(queue_channels).where(queue_channels.c.queue == queue)
                ).first()
            if row is None:
                return None
            return QueueChannel(row.queue, row.conversation_id, row.linked_by, row.linked_at)

        return await self._run(work)

    # -- posted cards ----------------------------------------------------------------------

    async def cards_for(self, number: str) -> list[CardMessage]:
        def work() -> list[CardMessage]:
            query = (
                sa.select(card_messages.c.conversation_id, card_messages.c.activity_id)
                .join(tickets, tickets.c.id == card_messages.c.ticket_id)
                .where(tickets.c.number == number)
                .order_by(card_messages.c.id)
            )
            with self._engine.connect() as connection:
                return [
                    CardMessage(r.conversation_id, r.activity_id) for r in connection.execute(query)
                ]

        return await self._run(work)

    async def remember_card(self, number: str, card: CardMessage) -> None:
        """Record a posted card (or its new activity id after a re-post)."""

        def work() -> None:
            now = self._clock.now()
            with self._engine.begin() as connection:
                ticket_id = self._ticket_id(connection, number)
                updated = connection.execute(
                    card_messages.update()
                    .where(
                        card_messages.c.ticket_id == ticket_id,
                        card_messages.c.conversation_id == card.conversation_id,
                    )
                    .values(activity_id=card.activity_id, updated_at=now)
                ).rowcount
                if updated == 0:
                    connection.execute(
                        card_messages.insert().values(
                            ticket_id=ticket_id,
                            conversation_id=card.conversation_id,
                            activity_id=card.activity_id,
                            posted_at=now,
                            updated_at=now,
                        )
                    )

        await self._run(work)

    async def touch_card(self, number: str, card: CardMessage) -> None:
        """The card was updated just now."""

        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(
                    card_messages.update()
                    .where(
                        card_messages.c.ticket_id == self._ticket_id(connection, number),
                        card_messages.c.conversation_id == card.conversation_id,
                    )
                    .values(updated_at=self._clock.now())
                )

        await self._run(work)

    async def open_tickets_without_card(self, queue: str, conversation_id: str) -> list[str]:
        """Open tickets of ``queue`` that have no card in this channel yet (oldest first)."""

        def work() -> list[str]:
            channel = channel_of(conversation_id)
            posted = sa.select(card_messages.c.ticket_id, card_messages.c.conversation_id)
            query = (
                sa.select(tickets.c.id, tickets.c.number)
                .where(
                    tickets.c.queue == queue,
                    tickets.c.status.not_in(
                        [Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value]
                    ),
                )
                .order_by(tickets.c.id)
            )
            with self._engine.connect() as connection:
                has_card = {
                    r.ticket_id
                    for r in connection.execute(posted)
                    if channel_of(r.conversation_id) == channel
                }
                return [r.number for r in connection.execute(query) if r.id not in has_card]

        return await self._run(work)

    @staticmethod
    def _ticket_id(connection: Connection, number: str) -> int:
        ticket_id = connection.execute(
            sa.select(tickets.c.id).where(tickets.c.number == number)
        ).scalar_one_or_none()
        if ticket_id is None:
            raise InputError(f"no ticket {number}")
        return int(ticket_id)
