"""The Teams activity handler: routes each kind of activity to the conversation logic."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
)

from bot import invokes
from bot.downloads import DownloadPolicy, download
from bot.mentions import text_without_mention
from bot.references import reference_from
from dialogs.frontdesk import FrontDesk, Turn, Upload
from dialogs.replies import Reply
from servicedesk.conversations import ConversationStore
from servicedesk.tickets import Requester

log = logging.getLogger(__name__)

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TEAMS_FILE = "application/vnd.microsoft.teams.file.download.info"


def requester_of(activity: Activity) -> Requester:
    """Who wrote: the Entra object id where Teams gives it (stable across chats)."""
    sender = activity.from_property
    if sender is None:
        return Requester(id="unknown")
    return Requester(id=sender.aad_object_id or sender.id or "unknown", name=sender.name or "")


def to_activity(reply: Reply) -> Activity:
    if reply.card is not None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
        if reply.text:
            activity.text = reply.text
        return activity
    return MessageFactory.text(reply.text or "")


class ChannelHandler(Protocol):
    """What happens in team channels and group chats (back-office queues), and the
    card actions of ticket cards posted there."""

    async def on_message(self, turn_context: TurnContext, text: str) -> None: ...

    def handles(self, verb: str) -> bool: ...

    async def on_card_action(
        self, turn_context: TurnContext, verb: str, data: dict[str, Any]
    ) -> AdaptiveCardInvokeResponse: ...


class CardActionHandler(Protocol):
    """Card actions of another part of the product (e.g. notifications' feedback cards)."""

    def handles(self, verb: str) -> bool: ...

    async def on_card_action(
        self, turn_context: TurnContext, verb: str, data: dict[str, Any]
    ) -> AdaptiveCardInvokeResponse: ...


class FrontOfficeBot(TeamsActivityHandler):
    def __init__(
        self,
        desk: FrontDesk,
        conversations: ConversationStore,
        channels: ChannelHandler | None = None,
        card_handlers: Sequence[CardActionHandler] = (),
        downloads: DownloadPolicy | None = None,
    ) -> None:
        self._desk = desk
        self._downloads = downloads or DownloadPolicy()
        self._conversations = conversations
        self._channels = channels
        self._card_handlers = tuple(card_handlers)
        self._remembered: set[tuple[str, str, str | None]] = set()

    @property
    def desk(self) -> FrontDesk:
        return self._desk

    # -- every turn ----------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self._remember(turn_context.activity)
        await super().on_turn(turn_context)

    async def _remember(self, activity: Activity) -> None:
        """Keep the reference current (service URLs move) without a write per message."""
        reference = reference_from(activity)
        if reference is None:
            return
        key = (reference.conversation_id, reference.service_url, reference.locale)
        if key in self._remembered:
            return
        await self._conversations.remember(reference)
        if len(self._remembered) > 100_000:
            self._remembered.clear()
        self._remembered.add(key)

    def _language(self, turn_context: TurnContext, text: str = "") -> str:
        return self._desk.language_for(text, turn_context.activity.locale)

    # -- messages ------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = text_without_mention(activity).strip()
        kind = activity.conversation.conversation_type if activity.conversation else None
        if self._channels is not None and kind in ("channel", "groupChat"):
            await self._channels.on_message(turn_context, text)
            return
        uploads = await self._uploads(activity)
        replies = await self._desk.handle(
            Turn(
                conversation_id=activity.conversation.id,
                user=requester_of(activity),
                text=text,
                uploads=uploads,
                locale=activity.locale,
            )
        )
        await turn_context.send_activities([to_activity(reply) for reply in replies])

    async def _uploads(self, activity: Activity) -> tuple[Upload, ...]:
        """Files and pictures in a message; a CSV's content is fetched (Teams gives a
        pre-authorised download URL for files sent in a personal chat) when the download
        policy allows its URL (bot/downloads.py)."""
        uploads = []
        for attachment in activity.attachments or []:
            content_type = attachment.content_type or ""
            content = attachment.content if isinstance(attachment.content, dict) else {}
            if content_type == TEAMS_FILE:
                url = str(content.get("downloadUrl") or "")
                upload = Upload(attachment.name or "", str(content.get("fileType") or ""), url)
            elif content_type.startswith("image/") or attachment.content_url:
                if content_type.startswith(("text/html", ADAPTIVE_CARD_CONTENT_TYPE)):
                    continue
                upload = Upload(attachment.name or "", content_type, attachment.content_url or "")
            else:
                continue
            if upload.is_csv and upload.url:
                upload = replace(upload, data=await download(upload.url, self._downloads))
            uploads.append(upload)
        return tuple(uploads)

    # -- Universal Actions (Action.Execute) -------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """``adaptiveCard/action`` only, its shape checked here (see bot/invokes.py)."""
        activity = turn_context.activity
        if activity.name != invokes.CARD_ACTION:
            return invokes.bad_invoke("unsupported_invoke", "this bot handles only card actions")
        problem = invokes.card_action_problem(activity.value)
        if problem is not None:
            return invokes.bad_invoke("invalid_card_action", problem)
        value = AdaptiveCardInvokeValue(action=activity.value["action"])
        response = await self.on_adaptive_card_invoke(turn_context, value)
        return self._create_invoke_response(response)  # the SDK's: the body as a dict

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        action: Any = invoke_value.action
        if not isinstance(action, dict):  # the SDK leaves it a dict; be ready for a model
            action = {"verb": getattr(action, "verb", None), "data": getattr(action, "data", None)}
        verb = action.get("verb") if isinstance(action.get("verb"), str) else ""
        data: Any = action.get("data")
        for handler in self._card_handlers:
            if handler.handles(verb):
                return await handler.on_card_action(
                    turn_context, verb, data if isinstance(data, dict) else {}
                )
        if self._channels is not None and self._channels.handles(verb):
            return await self._channels.on_card_action(
                turn_context, verb, data if isinstance(data, dict) else {}
            )
        activity = turn_context.activity
        turn = Turn(
            conversation_id=activity.conversation.id if activity.conversation else "",
            user=requester_of(activity),
            locale=activity.locale,
        )
        update = await self._desk.card_action(turn, verb, data if isinstance(data, dict) else {})
        log.info(
            "card action",
            extra={
                "verb": verb if verb in self._desk.verbs else "(unknown)",
                "status": update.status,
            },
        )
        return AdaptiveCardInvokeResponse(
            status_code=200,
            type=ADAPTIVE_CARD_CONTENT_TYPE,
            value=update.card,
        )

    # -- installation and membership ---------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if _contains(activity.members_added, bot_id):
            await self._installed(turn_context)
        elif _contains(activity.members_removed, bot_id):
            await self._removed(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._installed(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._removed(turn_context)

    async def _installed(self, turn_context: TurnContext) -> None:
        reference = reference_from(turn_context.activity)
        if reference is None:
            return
        await self._conversations.record_installation(reference)
        if await self._conversations.claim_welcome(reference.conversation_id):
            language = self._language(turn_context)
            replies = self._desk.welcome(language)
            await turn_context.send_activities([to_activity(reply) for reply in replies])
            log.info("welcomed", extra={"kind": reference.kind.value})

    async def _removed(self, turn_context: TurnContext) -> None:
        conversation = turn_context.activity.conversation
        if conversation is not None and conversation.id:
            await self._conversations.record_removal(conversation.id)
            self._remembered = {k for k in self._remembered if k[0] != conversation.id}
            log.info("bot removed from conversation")


def _contains(members: list[ChannelAccount] | None, bot_id: str | None) -> bool:
    return bool(bot_id) and any(member.id == bot_id for member in members or ())
