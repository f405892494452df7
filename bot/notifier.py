"""Proactive notifications over the Bot Connector: ``servicedesk.notifications.Messenger``.

A notice is drawn in the reader's language from the current knowledge (product and
queue names, SLA durations in words, the charter) by ``dialogs.notify_cards`` and posted
to ``{serviceUrl}/v3/conversations/{id}/activities`` with aiohttp: one pooled session,
our own retries (the dispatcher's, not msrest's hidden ones), and a token from the
adapter's credentials in production (none in local mode, like ``bot/channel_cards.py``).

Teams' limits (about 50 sends per second per app and tenant, 1,800 per hour per
conversation) are kept by the dispatcher with the shared send budget in the database
(``servicedesk.persistence.send_budget``), so they hold across processes; a 429 pauses the
whole tenant, in every process, for its Retry-After. Answers are translated into the core's
error tree: 403 (``MessageWritesBlocked``, not in the roster) and 404 are
``RecipientUnreachable``; 408, 412, 429 and 5xx ``SendUnavailable``; other 4xx
``SendRejected``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from botbuilder.integration.aiohttp import CloudAdapter
from yarl import URL

from dialogs import intake
from dialogs.frontdesk import describe_duration
from dialogs.messages import t
from dialogs.notify_cards import NoticeView, render
from knowledge.reload import KnowledgeHolder
from servicedesk.conversations import ConversationReference
from servicedesk.notifications import (
    Notice,
    NotificationKind,
    RecipientUnreachable,
    SendBudget,
    SendRejected,
    SendUnavailable,
)

log = logging.getLogger(__name__)
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})


class NoticeRenderer:
    """A ``Notice`` (core) as the reader's message (text or card)."""

    def __init__(self, holder: KnowledgeHolder) -> None:
        self._holder = holder

    def view(self, notice: Notice) -> NoticeView:
        knowledge = self._holder.current().knowledge
        ticket, language = notice.ticket, notice.language
        zone = ZoneInfo(knowledge.organisation.timezone)

        def moment(at: datetime | None) -> str:
            return intake.format_moment(at.astimezone(zone), language) if at else ""

        product = knowledge.products.get(ticket.product_id)
        queue = knowledge.queues.get(ticket.queue)
        sla = knowledge.sla_classes.get(ticket.priority)

        def due(code: str | None, at: datetime) -> str:
            if code:
                return t(
                    language,
                    "notify.due",
                    duration=describe_duration(language, code),
                    moment=moment(at),
                )
            return t(language, "notify.due_moment", moment=moment(at))

        event = notice.event
        note = event.note.strip() if event else ""
        when = ""
        deadline = str(notice.detail.get("deadline", ""))
        if notice.kind is NotificationKind.DELAY:
            expected = event.data.get("expected") if event else None
            when = t(
                language,
                "notify.due_moment",
                moment=moment(
                    datetime.fromisoformat(expected)
                    if isinstance(expected, str)
                    else ticket.expected_at
                ),
            )
        elif notice.kind is NotificationKind.AT_RISK:
            when = t(language, "notify.due_moment", moment=moment(ticket.deadlines.resolve_due))
        elif notice.kind is NotificationKind.ESCALATION:
            when = moment(
                ticket.deadlines.response_due
                if deadline == "response"
                else ticket.deadlines.resolve_due
            )
        return NoticeView(
            kind=notice.kind.value,
            language=language,
            role=notice.role,
            number=ticket.number,
            product=product.name.in_language(language) if product else ticket.product_id,
            queue=queue.name.in_language(language) if queue else ticket.queue,
            note=note,
            response=due(sla.response if sla else None, ticket.deadlines.response_due),
            resolution=due(sla.resolution if sla else None, ticket.deadlines.resolve_due),
            charter=product.charter.in_language(language) if product and product.charter else "",
            moment=when,
            status=t(language, f"status.{ticket.status.value}"),
            assignee=ticket.assignee.name if ticket.assignee else "",
            deadline=deadline,
        )

    def activity(self, reference: ConversationReference, notice: Notice) -> dict[str, Any]:
        """The Bot Framework activity (JSON) that carries the notice."""
        reply = render(self.view(notice))
        activity: dict[str, Any] = {
            "type": "message",
            "from": {"id": reference.bot_id},
            "conversation": {
                "id": reference.conversation_id,
                "conversationType": reference.kind.value,
                **({"tenantId": reference.tenant_id} if reference.tenant_id else {}),
            },
            "summary": notice.ticket.number,
            "locale": "en-US" if notice.language == "en" else "nl-NL",
        }
        if reference.tenant_id:
            activity["channelData"] = {"tenant": {"id": reference.tenant_id}}
        if reply.card is not None:
            activity["attachments"] = [{"contentType": ADAPTIVE_CARD, "content": reply.card}]
        if reply.text:
            activity["text"] = reply.text
            activity["textFormat"] = "markdown"
        return activity


class TeamsMessenger:
    def __init__(
        self,
        adapter: CloudAdapter | None,
        app_id: str,
        renderer: NoticeRenderer,
        budget: SendBudget | None = None,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._renderer = renderer
        self._budget = budget  # told about 429s (a pause for the whole tenant)
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[str, tuple[dict[str, str], float]] = {}

    async def send(self, reference: ConversationReference, notice: Notice) -> str:
        body = self._renderer.activity(reference, notice)
        tenant = reference.tenant_id or ""
        headers = await self._authorization(reference.service_url)
        url = URL(
            f"{reference.service_url.rstrip('/')}/v3/conversations/"
            f"{quote(reference.conversation_id, safe='')}/activities",
            encoded=True,
        )
        try:
            async with self._client().post(url, json=body, headers=headers) as response:
                if 200 <= response.status < 300:
                    data = await response.json(content_type=None)
                    return str((data or {}).get("id") or "")
                text = await response.text()
                error = self._translate(response.status, text, response.headers)
                if response.status == 429 and self._budget is not None:
                    retry_after = getattr(error, "retry_after", None)
                    await self._budget.pause(tenant, retry_after or 1.0)
                raise error
        except aiohttp.ClientError as exc:
            raise SendUnavailable(f"Bot Connector unreachable: {type(exc).__name__}") from exc
        except TimeoutError as exc:
            raise SendUnavailable("Bot Connector timed out") from exc

    def _translate(
        self, status: int, text: str, headers: Any
    ) -> SendUnavailable | SendRejected | RecipientUnreachable:
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            error = json.loads(text).get("error") or {}
            code = str(error.get("code") or "")
            inner = error.get("innerHttpError") or {}
            code = str(inner.get("subCode") or error.get("subCode") or code)
        if status == 403:
            return RecipientUnreachable(f"403 {code}".strip(), "blocked")
        if status == 404:
            return RecipientUnreachable(f"404 {code}".strip(), "gone")
        if status in RETRYABLE or status >= 500:
            retry_after: float | None = None
            with contextlib.suppress(TypeError, ValueError):
                retry_after = float(headers.get("Retry-After"))
            return SendUnavailable(f"Bot Connector answered {status} {code}".strip(), retry_after)
        return SendRejected(f"Bot Connector answered {status} {code}".strip())

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(limit=64)
            )
        return self._session

    async def _authorization(self, service_url: str) -> dict[str, str]:
        """The Bot Framework token for this service URL (none in local mode), cached."""
        if not self._app_id or self._adapter is None:
            return {}
        cached = self._tokens.get(service_url)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        claims = self._adapter.create_claims_identity(self._app_id)
        factory = self._adapter.bot_framework_authentication.create_connector_factory(claims)
        client = await factory.create(service_url, None)
        session = await asyncio.to_thread(client.config.credentials.signed_session)
        try:
            header = session.headers.get("Authorization")
        finally:
            session.close()
        headers = {"Authorization": str(header)} if header else {}
        self._tokens[service_url] = (headers, time.monotonic() + 300)
        return headers

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
