"""Ticket cards in Teams channels: drawing them from the knowledge, and posting and
updating them through the Bot Connector REST API (the core's ``TicketCards`` port).

The connector client comes from the adapter's authentication (in local mode, without
an app id, the calls go unauthenticated to the stored ``serviceUrl``). Connector
errors become the back-office error tree: 404 (or ``ActivityNotFoundInConversation``)
is ``CardMessageGone``, 408/429/5xx and a refused connection ``BackOfficeUnavailable``
(the outbox retries), other 4xx ``BackOfficeRejected``. A post that ends without an
answer (no reply within ``timeout_seconds``, the connection lost mid-call) is
``CardPostUncertain``: Teams may or may not have the card.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from msrest.exceptions import ClientRequestError, HttpOperationError

from dialogs.queue_cards import CardContext, Viewer, assignment_card
from knowledge.reload import KnowledgeHolder
from servicedesk.backoffice import (
    BackOfficeRejected,
    BackOfficeUnavailable,
    CardMessageGone,
    CardPostUncertain,
)
from servicedesk.conversations import ConversationStore
from servicedesk.service import TicketService
from servicedesk.tickets import Ticket

log = logging.getLogger(__name__)
CHANNEL_LANGUAGE = "nl"  # staff read Dutch first; a click is answered in the clicker's language
POST_TIMEOUT_SECONDS = 20.0  # a card post without an answer by then is CardPostUncertain


def staff_refresh_ids(staff: list[str]) -> list[str]:
    """Teams user ids (MRIs) for automatic refresh, from the queue's staff list: Entra
    object ids become ``8:orgid:<id>``; e-mail addresses cannot be listed."""
    return [f"8:orgid:{entry}" for entry in staff if "@" not in entry]


class CardPainter:
    """Draws a ticket's card with the names and SLA state of the moment."""

    def __init__(self, holder: KnowledgeHolder, tickets: TicketService) -> None:
        self._holder = holder
        self._tickets = tickets

    def queue_names(self, language: str) -> dict[str, str]:
        queues = self._holder.current().knowledge.queues
        return {
            queue_id: (queue.name.en if language == "en" else queue.name.nl)
            for queue_id, queue in queues.items()
        }

    def draw(
        self,
        ticket: Ticket,
        language: str,
        viewer: Viewer | None = None,
        notice: str | None = None,
        notice_style: str = "warning",
    ) -> dict[str, Any]:
        knowledge = self._holder.current().knowledge
        product = knowledge.products.get(ticket.product_id)
        names = self.queue_names(language)
        queue = knowledge.queues.get(ticket.queue)
        context = CardContext(
            product=(product.name.en if language == "en" else product.name.nl)
            if product
            else ticket.product_id,
            queue=names.get(ticket.queue, ticket.queue),
            other_queues=[(q, name) for q, name in names.items() if q != ticket.queue],
            sla=self._tickets.sla_status(ticket),
            staff_ids=staff_refresh_ids(list(queue.staff)) if queue else [],
            viewer=viewer,
            notice=notice,
            notice_style=notice_style,
        )
        return assignment_card(ticket, context, language)


class TeamsTicketCards:
    """``servicedesk.backoffice.TicketCards`` over the Bot Connector."""

    def __init__(
        self,
        adapter: CloudAdapter,
        app_id: str,
        conversations: ConversationStore,
        painter: CardPainter,
        timeout_seconds: float = POST_TIMEOUT_SECONDS,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._conversations = conversations
        self._painter = painter
        self._timeout = timeout_seconds

    async def post(self, conversation_id: str, ticket: Ticket, reply_to: str | None = None) -> str:
        activity, client = await self._prepare(conversation_id, ticket)
        try:
            if reply_to:
                call = client.conversations.reply_to_activity(conversation_id, reply_to, activity)
            else:
                call = client.conversations.send_to_conversation(conversation_id, activity)
            response = await asyncio.wait_for(call, self._timeout)
        except TimeoutError as exc:
            raise CardPostUncertain("the Bot Connector did not answer in time") from exc
        except (HttpOperationError, ClientRequestError) as exc:
            raise _translate(exc) from exc
        if response is None or not response.id:
            raise BackOfficeUnavailable("the Bot Connector returned no activity id")
        return str(response.id)

    async def update(self, conversation_id: str, activity_id: str, ticket: Ticket) -> None:
        activity, client = await self._prepare(conversation_id, ticket)
        activity.id = activity_id
        try:
            await asyncio.wait_for(
                client.conversations.update_activity(conversation_id, activity_id, activity),
                self._timeout,
            )
        except TimeoutError as exc:
            raise BackOfficeUnavailable("the Bot Connector did not answer in time") from exc
        except (HttpOperationError, ClientRequestError) as exc:
            raise _translate(exc) from exc

    async def _prepare(self, conversation_id: str, ticket: Ticket) -> tuple[Activity, Any]:
        return await proactive_card(
            self._adapter,
            self._app_id,
            self._conversations,
            conversation_id,
            self._painter.draw(ticket, CHANNEL_LANGUAGE),
            summary=ticket.number,
        )


async def proactive_card(
    adapter: CloudAdapter,
    app_id: str,
    conversations: ConversationStore,
    conversation_id: str,
    card: dict[str, Any],
    summary: str,
) -> tuple[Activity, Any]:
    """A card activity for a stored conversation, and a Bot Connector client for it
    (authenticated as the bot in production; plain in local mode)."""
    stored = await conversations.get(conversation_id)
    if stored is None:
        raise BackOfficeRejected("no conversation reference for this channel")
    reference = stored.reference
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = summary
    activity.channel_id = reference.channel_id
    activity.service_url = reference.service_url
    activity.conversation = ConversationAccount(
        id=conversation_id,
        conversation_type=reference.kind.value,
        tenant_id=reference.tenant_id,
    )
    activity.from_property = ChannelAccount(id=reference.bot_id)
    claims = adapter.create_claims_identity(app_id)
    factory = adapter.bot_framework_authentication.create_connector_factory(claims)
    client = await factory.create(reference.service_url, None)
    return activity, client


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, ClientRequestError):
        inner = getattr(exc, "inner_exception", None)
        if isinstance(inner, aiohttp.ClientConnectorError):  # never connected: nothing sent
            return BackOfficeUnavailable(f"Bot Connector unreachable: {type(inner).__name__}")
        return CardPostUncertain(f"Bot Connector call broke off: {type(exc).__name__}")
    response = getattr(exc, "response", None)
    status = int(getattr(response, "status_code", 0) or 0)
    error = getattr(getattr(exc, "error", None), "error", None)
    code = str(getattr(error, "code", "") or "")
    if status == 404 or code == "ActivityNotFoundInConversation":
        return CardMessageGone(f"{status} {code}".strip())
    if status in (408, 412, 429) or status >= 500 or status == 0:
        retry_after = None
        headers = getattr(response, "headers", None) or {}
        try:
            retry_after = float(headers.get("Retry-After", "")) if headers else None
        except ValueError:
            retry_after = None
        return BackOfficeUnavailable(f"Bot Connector answered {status}", retry_after)
    return BackOfficeRejected(f"Bot Connector answered {status} {code}".strip())
