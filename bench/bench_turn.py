"""Cost of one turn: a stock botbuilder echo bot against the front-office bot, same run.

Both bots run on botbuilder's ``CloudAdapter`` in local mode, in process (no HTTP,
no sockets), with ``deliveryMode: expectReplies`` so that the reply comes back
without a Bot Connector. Measured per turn: CPU time (``time.process_time``) and
wall-clock p50/p99. Three rows:

- echo, stock SDK      — the SDK's own cost, as shipped (msrest's slow retry policy);
- echo, patched SDK    — the same after ``bot.sdk_patches.apply()``;
- front office         — our bot (matcher, dialog state in SQLite, intake, conversation-
                         reference cache) on the patched SDK, answering a rotating set of
                         employee messages in 50 conversations (so intakes start, get
                         answers, and sometimes create tickets).

Our own work per message is the front office's row minus the patched echo row.

Run: ``.venv/bin/python bench/bench_turn.py [--turns N]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

MESSAGES = [
    "de verwarming doet het niet in kamer 2.14",
    "wat kost een werklunch?",
    "The lift is stuck between two floors",
    "mijn laptop start niet op",
    "kan iemand de prullenbakken legen op de 3e verdieping",
    "I lost my badge this morning",
    "wat is de hoofdstad van Canada?",
    "pas",
]


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


class _Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def _activity(number: int) -> Activity:
    return Activity().deserialize(
        {
            "type": "message",
            "id": f"m{number}",
            "channelId": "msteams",
            "serviceUrl": "http://127.0.0.1:9/",
            "deliveryMode": "expectReplies",
            "locale": "nl-NL",
            "from": {"id": "29:user", "aadObjectId": "user"},
            "recipient": {"id": "28:bot"},
            "conversation": {"id": f"a:conversation-{number % 50}", "conversationType": "personal"},
            "text": MESSAGES[number % len(MESSAGES)],
        }
    )


async def _measure(
    adapter: CloudAdapter, bot: Any, turns: int, every_200: Any = None
) -> dict[str, float]:
    for number in range(50):  # warm up caches and connection-free paths
        await adapter.process_activity("", _activity(number), bot.on_turn)
    walls: list[float] = []
    cpu_start = time.process_time()
    for number in range(turns):
        started = time.perf_counter()
        response = await adapter.process_activity("", _activity(number), bot.on_turn)
        walls.append((time.perf_counter() - started) * 1000)
        assert response is not None and response.body["activities"], "no reply"
        if every_200 is not None and number % 200 == 199:
            await every_200()  # batched work the app does in the background (counted)
    cpu = (time.process_time() - cpu_start) * 1000 / turns
    walls.sort()
    return {
        "cpu_ms": cpu,
        "p50_ms": statistics.median(walls),
        "p99_ms": walls[int(len(walls) * 0.99) - 1],
    }


async def main(turns: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rows: list[tuple[str, dict[str, float]]] = []
    auth = ConfigurationBotFrameworkAuthentication(_Config())
    echo = EchoBot()
    rows.append(("echo, stock SDK", await _measure(CloudAdapter(auth), echo, turns)))

    from bot import sdk_patches
    from bot.app import build_desk
    from bot.auth import build_authentication
    from bot.teams_bot import FrontOfficeBot
    from frontoffice.settings import Settings
    from knowledge.catalogue import KnowledgeCatalogue, KnowledgeSla
    from knowledge.loader import DEFAULT_DIR
    from knowledge.reload import KnowledgeHolder
    from servicedesk.clock import SystemClock
    from servicedesk.persistence.conversation_store import SqlConversationStore
    from servicedesk.persistence.database import create_engine, migrate
    from servicedesk.persistence.insight_store import BufferedInsight, SqlInsightStore
    from servicedesk.persistence.ticket_store import SqlTicketStore
    from servicedesk.service import TicketService

    sdk_patches.apply()
    rows.append(("echo, patched SDK", await _measure(CloudAdapter(auth), echo, turns)))

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate(url)
        engine = create_engine(url)
        holder = KnowledgeHolder(DEFAULT_DIR)
        holder.load()
        clock = SystemClock()
        tickets = TicketService(
            SqlTicketStore(engine), KnowledgeCatalogue(holder), KnowledgeSla(holder), clock
        )
        settings = Settings(db_url=url)
        # as bot/app.py wires it: insight records batched, SDK clients reused
        insight = BufferedInsight(SqlInsightStore(engine, clock))
        desk = build_desk(settings, engine, holder, tickets, clock, insight=insight)
        ours = FrontOfficeBot(desk, SqlConversationStore(engine))
        adapter = CloudAdapter(build_authentication(settings))
        rows.append(("front office", await _measure(adapter, ours, turns, insight.flush)))
        engine.dispose()

    print(f"{turns} turns per row, one core, in process, expectReplies\n")
    print("| bot | CPU ms/turn | wall p50 ms | wall p99 ms |")
    print("|---|---|---|---|")
    for name, figures in rows:
        print(
            f"| {name} | {figures['cpu_ms']:.2f} | {figures['p50_ms']:.2f} "
            f"| {figures['p99_ms']:.2f} |"
        )
    own = rows[2][1]["cpu_ms"] - rows[1][1]["cpu_ms"]
    print(
        f"\nour own work per message: {own:.2f} ms CPU "
        f"(front office minus patched echo); SDK patch speed-up: "
        f"{rows[0][1]['cpu_ms'] / rows[1][1]['cpu_ms']:.1f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000)
    asyncio.run(main(parser.parse_args().turns))
