"""The built-in queue: tickets stay in the front office's own database, and back-office
staff work them from Adaptive Cards in their queue's Teams channel.

Delivering a ticket posts its card in the channel linked to its queue (once: the
posted card is remembered, so a retried delivery finds it); every later event of the
ticket (pushed by the outbox) updates each card posted about it. A card whose
message Teams no longer knows (404, ActivityNotFoundInConversation) is posted again
as a reply in its thread. After a hand-over to another queue the card also appears
in that queue's channel. A queue without a linked channel gets no card; its open
tickets are posted when a channel is linked (``bot/channels.py`` calls ``show``).

A new card is recorded as an intent before it is posted and completed with its activity
id after (``SqlChannelStore.intend_card``), so two posters (a delivery, a push, a
backfill, two processes) never both post it. When the Bot Connector answers with an
error nothing was posted and the intent is dropped. When a post ends without an answer
(timeout, a killed process) the intent stays; once it is older than ``stale_after`` (longer
than any post can take) the next ``show`` or ``reconcile`` posts the card once more: the
one window in which a card can appear twice (docs/ARCHITECTURE.md, Faults).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from servicedesk.backoffice import (
    BackOfficeError,
    BackOfficeUnavailable,
    CardMessageGone,
    CardPostUncertain,
    Delivered,
    StatusUpdate,
    TicketCards,
)
from servicedesk.clock import Clock, SystemClock
from servicedesk.errors import InputError, StoreError
from servicedesk.persistence.channel_store import (
    CardInFlight,
    CardMessage,
    SqlChannelStore,
    channel_of,
)
from servicedesk.tickets import Event, EventType, Ticket

log = logging.getLogger(__name__)


class BuiltinBackOffice:
    name = "builtin"

    def __init__(
        self,
        cards: TicketCards | None = None,
        channels: SqlChannelStore | None = None,
        stale_after: timedelta = timedelta(minutes=2),
        clock: Clock | None = None,
    ) -> None:
        self._cards = cards
        self._channels = channels
        self._stale_after = stale_after
        self._clock: Clock = clock or SystemClock()

    def show_in_teams(
        self,
        cards: TicketCards,
        channels: SqlChannelStore,
        stale_after: timedelta | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Post and update cards in Teams channels (wired by the composition root);
        ``stale_after`` must be longer than a card post can take."""
        self._cards, self._channels = cards, channels
        self._stale_after = stale_after or self._stale_after
        self._clock = clock or self._clock

    async def deliver(self, ticket: Ticket, idempotency_key: str) -> Delivered:
        await self.show(ticket)
        return Delivered()

    async def updates(self, tickets: list[tuple[str, str]]) -> list[StatusUpdate]:
        return []

    async def push(self, ticket: Ticket, event: Event) -> bool:
        """Bring the ticket's cards up to date after ``event``. When later events follow
        (a take is 'accepted' and 'assigned'), the last one's push does it, once."""
        position = next((i for i, e in enumerate(ticket.events) if e is event), None)
        if position is not None and any(
            later.type is not EventType.DELIVERED for later in ticket.events[position + 1 :]
        ):
            return False
        await self.show(ticket)
        return True

    async def show(self, ticket: Ticket) -> None:
        """Update every card posted about the ticket and post one in its queue's channel
        when there is none there yet."""
        if self._cards is None or self._channels is None:
            return
        posted = await self._channels.cards_for(ticket.number)
        for card in posted:
            await self._update(ticket, card)
        channel = await self._channels.channel_for(ticket.queue)
        if channel is None:
            if not posted:
                log.info(
                    "no channel linked for the queue; no card posted",
                    extra={"ticket": ticket.number, "queue": ticket.queue},
                )
            return
        target = channel_of(channel.conversation_id)
        if any(channel_of(card.conversation_id) == target for card in posted):
            return
        await self._post_new(ticket, target)

    async def _post_new(self, ticket: Ticket, target: str) -> None:
        assert self._cards is not None and self._channels is not None
        try:
            intent = await self._channels.intend_card(ticket.number, target, self._stale_after)
        except CardInFlight:
            if any(
                channel_of(c.conversation_id) == target
                for c in await self._channels.cards_for(ticket.number)
            ):
                return  # posted by someone else just now
            raise BackOfficeUnavailable(
                "the card is being posted by another worker",
                retry_after=self._stale_after.total_seconds() / 2,  # its post has ended by then
            ) from None
        if intent.reposts:
            log.warning(
                "an earlier card post ended without an answer; posting the card again",
                extra={"ticket": ticket.number, "reposts": intent.reposts},
            )
        try:
            activity_id = await self._cards.post(target, ticket)
        except CardPostUncertain:
            raise  # the intent stays: Teams may have the card (see stale_after)
        except BackOfficeError:
            await self._channels.abandon_card(ticket.number, intent)
            raise
        if not await self._channels.complete_card(ticket.number, intent, activity_id):
            log.warning(
                "a card post outlasted its intent; the card may be in the channel twice",
                extra={"ticket": ticket.number},
            )
            return
        log.info("ticket card posted", extra={"ticket": ticket.number, "queue": ticket.queue})

    async def reconcile(self, load: Callable[[str], Awaitable[Ticket]]) -> int:
        """Post the cards whose post ended without an answer longer than ``stale_after``
        ago (a process killed mid-post); called by the app's reconciliation loop. Returns
        how many were posted again."""
        if self._cards is None or self._channels is None:
            return 0
        done = 0
        stale = await self._channels.stale_intents(self._clock.now() - self._stale_after)
        for number, conversation_id in stale:
            try:
                await self._post_new(await load(number), conversation_id)
                done += 1
            except (BackOfficeError, StoreError, InputError, OSError) as exc:
                log.warning(
                    "could not reconcile a card intent; the outbox or the next start retries",
                    extra={"ticket": number, "reason": type(exc).__name__},
                )
        return done

    async def _update(self, ticket: Ticket, card: CardMessage) -> None:
        assert self._cards is not None and self._channels is not None
        try:
            await self._cards.update(card.conversation_id, card.activity_id, ticket)
            await self._channels.touch_card(ticket.number, card)
            return
        except CardMessageGone:
            log.warning("ticket card is gone; posting it again", extra={"ticket": ticket.number})
        try:
            activity_id = await self._cards.post(card.conversation_id, ticket, card.activity_id)
        except CardMessageGone:  # its thread is gone too: start a new one
            activity_id = await self._cards.post(card.conversation_id, ticket)
        await self._channels.remember_card(
            ticket.number, CardMessage(card.conversation_id, activity_id)
        )
