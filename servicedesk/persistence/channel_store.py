"""Queue channels and the ticket cards posted in them, on SQLAlchemy (SQLite or PostgreSQL).

A back-office team links its Teams channel to its queue (``queue_channels``: one channel
per queue); every card the bot posts about a ticket is remembered with its Teams
activity id (``card_messages``: one per ticket and conversation) so that it can be
updated later, and so that a retried delivery does not post it twice.

A card is recorded *before* it is posted (an intent: the row with a client-generated
key and no activity id yet) and completed with the activity id after the Bot
Connector answered. Whoever writes the intent posts; anyone else finds it and waits
(``CardInFlight``). An intent older than the longest post can take is stale: its
process died during the call (or timed out), and one poster may take it over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from servicedesk.errors import FrontOfficeError, InputError
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


@dataclass(frozen=True, slots=True)
class CardIntent:
    """The right to post one card: written before the post, completed with its id after."""

    conversation_id: str
    key: str
    reposts: int  # > 0: an earlier post of this card may have reached Teams


class CardInFlight(FrontOfficeError):
    """Another poster holds a fresh intent for this card (or it was posted meanwhile)."""


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
                .where(tickets.c.number == number, card_messages.c.activity_id.is_not(None))
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

    async def intend_card(
        self, number: str, conversation_id: str, stale_after: timedelta
    ) -> CardIntent:
        """Record the intent to post the ticket's card in this conversation, before posting.

        Raises ``CardInFlight`` when the card is posted already or another poster holds a
        fresh intent. A stale intent (older than ``stale_after``, so its post ended long
        ago: the process died or the call timed out) is taken over, counted in ``reposts``.
        """

        def work() -> CardIntent:
            now = self._clock.now()
            key = uuid.uuid4().hex
            with self._engine.begin() as connection:
                ticket_id = self._ticket_id(connection, number)
                where = (
                    card_messages.c.ticket_id == ticket_id,
                    card_messages.c.conversation_id == conversation_id,
                )
                row = connection.execute(
                    sa.select(
                        card_messages.c.activity_id,
                        card_messages.c.intent_key,
                        card_messages.c.intended_at,
                        card_messages.c.reposts,
                    ).where(*where)
                ).first()
                if row is None:
                    try:
                        connection.execute(
                            card_messages.insert().values(
                                ticket_id=ticket_id,
                                conversation_id=conversation_id,
                                activity_id=None,
                                intent_key=key,
                                intended_at=now,
                                reposts=0,
                                posted_at=now,
                                updated_at=now,
                            )
                        )
                    except sa.exc.IntegrityError:  # another poster inserted it just now
                        raise CardInFlight(number) from None
                    return CardIntent(conversation_id, key, 0)
                if row.activity_id is not None:
                    raise CardInFlight(number)
                if row.intended_at is not None and row.intended_at > now - stale_after:
                    raise CardInFlight(number)
                taken = connection.execute(
                    card_messages.update()
                    .where(*where, _same(card_messages.c.intent_key, row.intent_key))
                    .where(card_messages.c.activity_id.is_(None))
                    .values(intent_key=key, intended_at=now, reposts=row.reposts + 1)
                ).rowcount
                if taken == 0:
                    raise CardInFlight(number)
                return CardIntent(conversation_id, key, row.reposts + 1)

        return await self._run(work)

    async def complete_card(self, number: str, intent: CardIntent, activity_id: str) -> bool:
        """The card of ``intent`` was posted as ``activity_id``. False when the intent was
        taken over meanwhile (this post was slower than ``stale_after``)."""

        def work() -> bool:
            now = self._clock.now()
            with self._engine.begin() as connection:
                return bool(
                    connection.execute(
                        card_messages.update()
                        .where(
                            card_messages.c.ticket_id == self._ticket_id(connection, number),
                            card_messages.c.conversation_id == intent.conversation_id,
                            card_messages.c.intent_key == intent.key,
                        )
                        .values(activity_id=activity_id, posted_at=now, updated_at=now)
                    ).rowcount
                )

        return await self._run(work)

    async def abandon_card(self, number: str, intent: CardIntent) -> None:
        """The post surely failed (the Bot Connector answered with an error): forget it."""

        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(
                    card_messages.delete().where(
                        card_messages.c.ticket_id == self._ticket_id(connection, number),
                        card_messages.c.conversation_id == intent.conversation_id,
                        card_messages.c.intent_key == intent.key,
                        card_messages.c.activity_id.is_(None),
                    )
                )

        await self._run(work)

    async def stale_intents(self, older_than: datetime) -> list[tuple[str, str]]:
        """(ticket number, conversation id) of intents whose post never completed."""

        def work() -> list[tuple[str, str]]:
            query = (
                sa.select(tickets.c.number, card_messages.c.conversation_id)
                .join(tickets, tickets.c.id == card_messages.c.ticket_id)
                .where(
                    card_messages.c.activity_id.is_(None),
                    card_messages.c.intended_at < older_than,
                )
                .order_by(card_messages.c.id)
            )
            with self._engine.connect() as connection:
                return [(r.number, r.conversation_id) for r in connection.execute(query)]

        return await self._run(work)

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


def _same(column: sa.ColumnElement[str | None], value: str | None) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value
