"""An in-process adapter: the same bot pipeline without HTTP, for ``frontoffice chat``."""

from __future__ import annotations

import uuid
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ResourceResponse,
)

from bot.teams_bot import FrontOfficeBot


class InProcessAdapter(BotAdapter):
    """Runs turns in process and collects what the bot sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Activity] = []
        self.invoke_response: Any = None

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            if activity.type == "invokeResponse":
                self.invoke_response = activity.value
            else:
                self.sent.append(activity)
            responses.append(ResourceResponse(id=uuid.uuid4().hex))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> None:
        self.sent.append(activity)

    async def delete_activity(self, context: TurnContext, reference: Any) -> None:
        return None


class TerminalConversation:
    """One employee chatting 1:1 with the bot, as Teams would deliver it."""

    def __init__(self, bot: FrontOfficeBot, locale: str = "nl-NL") -> None:
        self._bot = bot
        self._adapter = InProcessAdapter()
        self._locale = locale
        self._user = ChannelAccount(
            id="terminal-user", name="Terminal", aad_object_id="terminal-user"
        )
        self._recipient = ChannelAccount(id="frontoffice-bot", name="Frontoffice")
        self._conversation = ConversationAccount(id="terminal-chat", conversation_type="personal")

    def _activity(self, **fields: Any) -> Activity:
        return Activity(
            id=uuid.uuid4().hex,
            channel_id="msteams",
            service_url="urn:frontoffice:terminal",
            from_property=self._user,
            recipient=self._recipient,
            conversation=self._conversation,
            locale=self._locale,
            **fields,
        )

    async def _run(self, activity: Activity) -> list[Activity]:
        self._adapter.sent = []
        self._adapter.invoke_response = None
        context = TurnContext(self._adapter, activity)
        await self._adapter.run_pipeline(context, self._bot.on_turn)
        return list(self._adapter.sent)

    async def install(self) -> list[Activity]:
        return await self._run(self._activity(type=ActivityTypes.installation_update, action="add"))

    async def say(self, text: str) -> list[Activity]:
        return await self._run(self._activity(type=ActivityTypes.message, text=text))

    async def execute(self, verb: str, data: dict[str, Any]) -> Any:
        """Press an Action.Execute button; returns the card that replaces it."""
        await self._run(
            self._activity(
                type=ActivityTypes.invoke,
                name="adaptiveCard/action",
                value={"action": {"type": "Action.Execute", "verb": verb, "data": data}},
            )
        )
        response = self._adapter.invoke_response
        body = getattr(response, "body", None)
        return body.get("value") if isinstance(body, dict) else None
