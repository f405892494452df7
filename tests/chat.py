"""A Teams user talking to the bot through /api/messages, for conversation tests.

Messages go with ``deliveryMode: expectReplies`` (the replies come back in the
HTTP body); card clicks go as Teams-shaped ``adaptiveCard/action`` invokes.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import teams_message


def card_text(card: dict[str, Any]) -> str:
    """Everything a person reads on a card: texts, facts and button titles."""
    parts: list[str] = []

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if element.get("type") == "TextBlock":
                parts.append(str(element.get("text", "")))
            elif element.get("type") == "FactSet":
                parts.extend(f"{f['title']}: {f['value']}" for f in element.get("facts", []))
            elif element.get("type") == "Container":
                walk(element.get("items", []))

    walk(card.get("body", []))
    parts.extend(str(a.get("title", "")) for a in card.get("actions", []))
    return "\n".join(parts)


def buttons(card: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Title -> (verb, data) of every Action.Execute on a card (also on list rows)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(action: dict[str, Any]) -> None:
        if action.get("type") == "Action.Execute":
            found[str(action.get("title"))] = (str(action["verb"]), dict(action.get("data") or {}))

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if element.get("type") == "Container":
                walk(element.get("items", []))
                if "selectAction" in element:
                    add(element["selectAction"])

    walk(card.get("body", []))
    for action in card.get("actions", []):
        add(action)
    return found


class Chat:
    def __init__(
        self,
        client: TestClient,
        user: str = "aad-user-1",
        name: str = "Ada Employee",
        conversation: str = "a:personal-1",
        locale: str = "nl-NL",
    ) -> None:
        self.client = client
        self.user, self.name, self.conversation, self.locale = user, name, conversation, locale
        self.last: list[dict[str, Any]] = []

    def _people(self) -> dict[str, Any]:
        return {
            "from": {"id": f"29:{self.user}", "name": self.name, "aadObjectId": self.user},
            "conversation": {
                "id": self.conversation,
                "conversationType": "personal",
                "tenantId": "tenant-1",
            },
            "locale": self.locale,
        }

    async def say(self, text: str, **extra: Any) -> list[dict[str, Any]]:
        activity = teams_message(text, deliveryMode="expectReplies", **self._people(), **extra)
        response = await self.client.post("/api/messages", json=activity)
        assert response.status == 200, await response.text()
        self.last = (await response.json())["activities"]
        return self.last

    async def click(self, verb: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        activity = teams_message("", **self._people())
        activity.pop("text")
        activity.update(
            type="invoke",
            name="adaptiveCard/action",
            value={
                "action": {"type": "Action.Execute", "verb": verb, "data": data or {}},
                "trigger": "manual",
            },
            id=uuid.uuid4().hex,
        )
        response = await self.client.post("/api/messages", json=activity)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["type"] == "application/vnd.microsoft.card.adaptive", body
        card: dict[str, Any] = body["value"]
        return card

    async def press(self, title: str) -> dict[str, Any]:
        """Press the button called ``title`` on the last card the bot sent."""
        for activity in reversed(self.last):
            for attachment in activity.get("attachments") or []:
                found = buttons(attachment["content"])
                if title in found:
                    return await self.click(*found[title])
        raise AssertionError(f"no button {title!r} in {self.text()!r}")

    def cards(self) -> list[dict[str, Any]]:
        return [
            attachment["content"]
            for activity in self.last
            for attachment in activity.get("attachments") or []
        ]

    def text(self) -> str:
        """All the bot said in its last answer, cards included."""
        parts = []
        for activity in self.last:
            if activity.get("text"):
                parts.append(activity["text"])
            for attachment in activity.get("attachments") or []:
                parts.append(card_text(attachment["content"]))
        return "\n".join(parts)


def said(activities: list[dict[str, Any]]) -> str:
    """All text of a list of bot activities, card texts included."""
    parts = []
    for activity in activities:
        if activity.get("text"):
            parts.append(str(activity["text"]))
        for attachment in activity.get("attachments") or []:
            if isinstance(attachment.get("content"), dict):
                parts.append(card_text(attachment["content"]))
    return "\n".join(parts)
