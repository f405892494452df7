"""Conversations played against the real bot, scored on the tickets they end in.

Each line of a conversations file (``tests/data/holdout_conversations.jsonl``) is one
employee: the ``turns`` they type (or ``{"click": ...}`` for a button), the
``answers`` they give when the bot asks for a field, and the ticket they ``expect``.
The runner starts the whole app (``bot.app.create_app``) on loopback with a fake Bot
Connector, a throw-away SQLite database and the clock at :data:`EVAL_NOW`, and talks
to it over HTTP at /api/messages exactly as Teams does (``expectReplies`` messages,
``adaptiveCard/action`` invokes). So a conversation scores what an employee meets.

After the turns, whenever the dialog waits for a field the runner types the answer
for it (a field asked a second time, or asked although it has no answer because the
employee already gave it, is a miss); at the summary it presses Confirm.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import BOT, TICKETS
from dialogs import extract
from dialogs.evaluation import EVAL_NOW
from frontoffice.settings import Settings
from servicedesk.clock import FixedClock
from servicedesk.errors import InputError
from servicedesk.service import Step
from servicedesk.tickets import Actor, Ticket

Client = TestClient[web.Request, web.Application]
MAX_STEPS = 12  # questions answered after the turns before the runner gives up
CLICKS = {
    "confirm": "intake.confirm",
    "switch": "intake.switch",
    "continue": "intake.keep",
}


@dataclass(frozen=True)
class Conversation:
    id: str
    lang: str
    turns: tuple[str | dict[str, str], ...]
    answers: dict[str, str]
    expect: dict[str, Any]
    note: str = ""
    batch: str = ""  # lines added later to a held-out file carry their batch ("b2")


@dataclass
class Played:
    conversation: Conversation
    product: str | None = None  # of the ticket it ended in
    emergency: bool = False
    fields_right: int = 0
    fields_total: int = 0
    problems: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return not self.problems


def read_conversations(path: Path) -> list[Conversation]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                Conversation(
                    str(row["id"]),
                    str(row.get("lang", "")),
                    tuple(row["turns"]),
                    {str(k): str(v) for k, v in (row.get("answers") or {}).items()},
                    dict(row["expect"]),
                    str(row.get("note", "")),
                    str(row.get("batch", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: not a conversation line ({exc})") from exc
    return out


async def _connector() -> tuple[web.AppRunner, str]:
    """A Bot Connector that takes every proactive message (receipts) and says 200."""

    async def post(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": uuid.uuid4().hex})

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities", post)
    app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", post)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", post)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/"


class _Employee:
    """One employee in a personal chat, speaking the Teams activity protocol."""

    def __init__(self, client: Client, name: str, service_url: str, locale: str) -> None:
        self.client = client
        self.user = f"eval-{name}"
        self.conversation = f"a:eval-{name}"
        self.service_url = service_url
        self.locale = locale
        self.transcript: list[str] = []

    def _activity(self, **extra: Any) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": f"29:{self.user}", "name": "Eval Employee", "aadObjectId": self.user},
            "conversation": {
                "id": self.conversation,
                "conversationType": "personal",
                "tenantId": "tenant-eval",
            },
            "recipient": {"id": "28:bot", "name": "Frontoffice"},
            "locale": self.locale,
            "channelData": {"tenant": {"id": "tenant-eval"}},
        }
        activity.update(extra)
        return activity

    async def say(self, text: str) -> None:
        self.transcript.append("> " + " ".join(text.split()))
        body = self._activity(
            type="message", text=text, textFormat="plain", deliveryMode="expectReplies"
        )
        response = await self.client.post("/api/messages", json=body)
        payload = await response.json() if response.status == 200 else {}
        for activity in payload.get("activities", []):
            self.transcript.append("< " + _readable(activity))

    async def click(self, verb: str, data: dict[str, Any]) -> None:
        self.transcript.append(f"> [{verb}]")
        body = self._activity(
            type="invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}},
        )
        response = await self.client.post("/api/messages", json=body)
        if response.status == 200:
            payload = await response.json()
            card = payload.get("value") if isinstance(payload, dict) else None
            if isinstance(card, dict):
                self.transcript.append("< " + _card_text(card))


def _readable(activity: dict[str, Any]) -> str:
    parts = [str(activity.get("text") or "")]
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content")
        if isinstance(content, dict):
            parts.append(_card_text(content))
    return " ".join(" | ".join(p for p in parts if p).split())[:400]


def _card_text(card: dict[str, Any]) -> str:
    texts: list[str] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, dict):
                if item.get("type") == "TextBlock":
                    texts.append(str(item.get("text", "")))
                walk(item.get("items", []) or [])
                walk(item.get("columns", []) or [])

    walk(card.get("body", []))
    return " ".join(" ".join(texts).split())[:400]


async def play_all(
    conversations: list[Conversation], knowledge_dir: Path | None = None
) -> list[Played]:
    """Play every conversation against one running app (one employee each)."""
    with tempfile.TemporaryDirectory(prefix="frontoffice-eval-") as folder:
        settings = Settings(
            db_url=f"sqlite:///{Path(folder) / 'eval.db'}",
            knowledge_reload_seconds=0,
            notify_seconds=0,
            log_level="ERROR",
            log_format="text",
        )
        if knowledge_dir is not None:
            settings = replace(settings, knowledge_dir=knowledge_dir)
        zone = ZoneInfo("Europe/Amsterdam")
        clock = FixedClock(EVAL_NOW.replace(tzinfo=zone).astimezone(UTC))
        connector, service_url = await _connector()
        app = create_app(settings, clock=clock)
        client: Client = TestClient(TestServer(app))
        await client.start_server()
        try:
            return [await _play(client, app, service_url, c) for c in conversations]
        finally:
            await client.close()
            await connector.cleanup()


async def _play(
    client: Client, app: web.Application, service_url: str, conversation: Conversation
) -> Played:
    desk = app[BOT].desk
    tickets = app[TICKETS]
    locale = "en-GB" if conversation.lang == "en" else "nl-NL"
    employee = _Employee(client, f"{conversation.id}-{uuid.uuid4().hex[:6]}", service_url, locale)
    played = Played(conversation)

    async def state() -> dict[str, Any]:
        return await desk.dialog_state(employee.conversation)

    async def press(kind: str) -> None:
        current = await state()
        await employee.click(CLICKS.get(kind, kind), {"token": current.get("token")})

    for turn in conversation.turns:
        if isinstance(turn, dict):
            await press(str(turn.get("click", "")))
        else:
            await employee.say(str(turn))
    asked: list[str] = []
    for _ in range(MAX_STEPS):
        current = await state()
        if current.get("kind") != "intake":
            break
        stage = current.get("stage")
        if current.get("switch"):
            played.problems.append("offered a switch the employee did not ask for")
            await press("continue")
            continue
        if stage == "confirm":
            await press("confirm")
            break
        if stage == "duplicate":
            await employee.click("duplicate.file", {"token": current.get("token")})
            continue
        asking = str(current.get("asking") or "")
        if asking in asked:
            played.problems.append(f"asked {asking} twice")
            break
        if asking not in conversation.answers:
            played.problems.append(f"asked for {asking}, which the file has no answer for (given already?)")
            break
        asked.append(asking)
        await employee.say(conversation.answers[asking])
    mine = await tickets.visible_to(employee.user, open_only=False)
    played.transcript = employee.transcript
    _score(played, mine[0] if mine else None)
    for ticket in mine:  # out of the way of the next conversation's known-problem check
        if ticket.status.is_open:
            await tickets.act(ticket.number, Step("cancel", Actor("eval", "eval"), reason="eval"))
    return played


def _score(played: Played, ticket: Ticket | None) -> None:
    expect = played.conversation.expect
    wanted = dict(expect.get("fields") or {})
    played.fields_total = len(wanted)
    if ticket is None:
        played.problems.append("no ticket")
        return
    played.product = ticket.product_id
    played.emergency = ticket.priority == "P1" and bool(expect.get("emergency"))
    if ticket.product_id != expect.get("product"):
        played.problems.append(f"ticket for {ticket.product_id}, not {expect.get('product')}")
        return
    if expect.get("emergency") and ticket.priority != "P1":
        played.problems.append("not filed as an emergency")
    for name, value in wanted.items():
        got = ticket.fields.get(name)
        if _same(name, value, got):
            played.fields_right += 1
        else:
            played.problems.append(f"{name}: expected {value!r}, got {got!r}")


def _code(value: Any) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(value).upper())


def _same(name: str, want: Any, got: Any) -> bool:
    if got in (None, "", []):
        return False
    if name == "location":
        text = str(got)
        found = extract.parse_location(text, ["Stadskantoor", "Werf", "Depot Noord"])
        for key, value in dict(want).items():
            if key == "place":
                if str(value).lower() not in text.lower():
                    return False
                continue
            have = getattr(found, key, None) if found is not None else None
            if str(have).lower() != str(value).lower():
                return False
        return True
    if name == "when":
        moment = str(got)
        if want.get("date") and not moment.startswith(str(want["date"])):
            return False
        return not want.get("time") or f"T{want['time']}" in moment
    if name == "persons":
        return str(got) == str(want)
    if name in ("cost_centre", "plate"):
        return _code(got) == _code(want)
    if name == "visitors":
        entries = [str(v).lower() for v in got]
        names = [str(n).lower() for n in want]
        return len(entries) == len(names) and all(any(n in e for e in entries) for n in names)
    return str(want).lower() in str(got).lower()


def summarise(played: list[Played]) -> dict[str, Any]:
    n = len(played)
    right = sum(p.right for p in played)
    fields_total = sum(p.fields_total for p in played)
    fields_right = sum(p.fields_right for p in played)
    asked_twice = sum(any("twice" in x for x in p.problems) for p in played)
    batches: dict[str, list[bool]] = {}
    for p in played:
        batches.setdefault(p.conversation.batch or "b1", []).append(p.right)
    return {
        "by_batch": {k: f"{sum(v)} of {len(v)}" for k, v in sorted(batches.items())},
        "conversations": n,
        "right": right,
        "right_share": round(right / n, 4) if n else 0.0,
        "fields": fields_total,
        "fields_right": fields_right,
        "fields_share": round(fields_right / fields_total, 4) if fields_total else 0.0,
        "asked_twice": asked_twice,
    }


def run(path: Path, knowledge_dir: Path | None = None) -> list[Played]:
    return asyncio.run(play_all(read_conversations(path), knowledge_dir))
