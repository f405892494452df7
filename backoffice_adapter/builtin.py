"""The built-in queue: tickets stay in the front office's own database, and back-office
staff work them from Adaptive Cards in their queue's Teams channel.

Delivering a ticket posts its card in the channel linked to its queue (once: the
posted card is remembered, so a retried delivery finds it); every later event of the
ticket (pushed by the outbox) updates each card posted about it. A card whose
message Teams no longer knows (404, ActivityNotFoundInConversation) is posted again
as a reply in its thread. After a hand-over to another queue the card also appears
in that queue's channel. A queue without a linked channel gets no card; its open
tickets are posted when a channel is linked (``bot/channels.py`` calls ``show``).
"""

from __future__ import annotations

import logging

from servicedesk.backoffice import CardMessageGone, Delivered, StatusUpdate, TicketCards
from servicedesk.persistence.channel_store import CardMessage, SqlChannelStore, channel_of
from servicedesk.tickets import Event, EventType, Ticket

log = logging.getLogger(__name__)


class BuiltinBackOffice:
    name = "builtin"

    def __init__(
        self, cards: TicketCards | None = None, channels: SqlChannelStore | None = None
    ) -> None:
        self._cards = cards
        self._channels = channels

    def show_in_teams(self, cards: TicketCards, channels: SqlChannelStore) -> None:
        """Post and update cards in Teams channels (wired by the composition root)."""
        self._cards, self._channels = cards, channels

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
        activity_id = await self._cards.post(target, ticket)
        await self._channels.remember_card(ticket.number, CardMessage(target, activity_id))
        log.info("ticket card posted", extra={"ticket": ticket.number, "queue": ticket.queue})

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
