"""``frontoffice chat``: talk to the bot in a terminal, through the same pipeline."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from bot import sdk_patches
from bot.app import build_desk
from bot.local import TerminalConversation
from bot.teams_bot import FrontOfficeBot
from frontoffice.settings import Settings
from knowledge.catalogue import KnowledgeCatalogue, KnowledgeSla
from knowledge.reload import KnowledgeHolder
from servicedesk.clock import SystemClock
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.service import TicketService


def render_card(card: dict[str, Any]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """A card as terminal text, and its Action.Execute buttons (verb, data) in order."""
    lines: list[str] = []
    buttons: list[tuple[str, dict[str, Any]]] = []

    def press(action: dict[str, Any], title: str) -> None:
        if action.get("type") == "Action.Execute":
            buttons.append((str(action.get("verb")), dict(action.get("data") or {})))
            lines.append(f"  [{len(buttons)}] {title}")

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            kind = element.get("type")
            if kind == "TextBlock":
                lines.append(str(element.get("text", "")))
            elif kind == "FactSet":
                lines.extend(f"  {f['title']}: {f['value']}" for f in element.get("facts", []))
            elif str(kind).startswith("Input."):
                lines.append(f"  · {element.get('label', element.get('id'))}")
            elif kind == "Container":
                walk(element.get("items", []))
                if "selectAction" in element:
                    press(element["selectAction"], str(element["selectAction"].get("title")))

    walk(card.get("body", []))
    for action in card.get("actions", []):
        if action.get("associatedInputs") != "auto":  # a form's send needs Teams' inputs
            press(action, str(action.get("title")))
    return "\n".join(lines), buttons


def _show(activities: list[Any], out: Any) -> list[tuple[str, dict[str, Any]]]:
    buttons: list[tuple[str, dict[str, Any]]] = []
    for activity in activities:
        if activity.text:
            print(f"bot> {activity.text}", file=out)
        for attachment in activity.attachments or []:
            text, found = render_card(attachment.content)
            print("bot> " + text.replace("\n", "\n     "), file=out)
            buttons = found or buttons
    return buttons


async def chat(settings: Settings, lines: Any = None, out: Any = None) -> int:
    lines = lines or sys.stdin
    out = out or sys.stdout
    sdk_patches.apply()
    await asyncio.to_thread(migrate, settings.db_url)
    engine = create_engine(settings.db_url)
    holder = KnowledgeHolder(settings.knowledge_dir)
    holder.load()
    tickets = TicketService(
        SqlTicketStore(engine), KnowledgeCatalogue(holder), KnowledgeSla(holder), SystemClock()
    )
    desk = build_desk(settings, engine, holder, tickets, SystemClock())
    bot = FrontOfficeBot(desk, SqlConversationStore(engine))
    conversation = TerminalConversation(bot, locale=f"{settings.default_language}-NL")
    print("Frontoffice chat. Type your message; a number presses a button; Ctrl-D ends.", file=out)
    buttons = _show(await conversation.install(), out)
    interactive = lines is sys.stdin and sys.stdin.isatty()
    while True:
        if interactive:
            print("you> ", end="", file=out, flush=True)
        line = lines.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            verb, data = buttons[int(text) - 1]
            card = await conversation.execute(verb, data)
            if card:
                rendered, buttons = render_card(card)
                print("bot> " + rendered.replace("\n", "\n     "), file=out)
            continue
        buttons = _show(await conversation.say(text), out) or []
    engine.dispose()
    return 0
