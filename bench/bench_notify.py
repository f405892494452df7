"""How long 10,000 due notifications take to reach a (fake) Bot Connector.

A fresh database (SQLite by default, ``--db postgresql://…`` for PostgreSQL) gets
``--count`` personal conversations and as many due progress notices for one ticket;
then the real dispatcher (``NotificationScheduler.run_once``: claim, decide, mark
``sending``, post through ``TeamsMessenger`` with aiohttp, settle) sends them to an
aiohttp fake Bot Connector in the same process, which answers at once. Two runs:

- unthrottled (``FRONTOFFICE_NOTIFY_RATE=0``): what the scheduler itself costs;
- at the default throttle (40 per second per tenant, below Teams' 50): a smaller sample
  (``--throttled-count``), since the wall time is then simply count / 40.

Both go through the send budget in the database (``send_budget``: one upsert per group of
32 sends, per tenant and per conversation), as in the app.

Run: ``.venv/bin/python bench/bench_notify.py [--count 10000] [--throttled-count 400] [--db URL]``
(``--db postgresql://…/postgres``: each run gets a fresh database on that server, dropped
afterwards.)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from bot.notifier import NoticeRenderer, TeamsMessenger
from bot.notify_scheduler import NotificationScheduler
from frontoffice.settings import Settings
from knowledge.catalogue import KnowledgeCalendar
from knowledge.loader import DEFAULT_DIR
from knowledge.reload import KnowledgeHolder
from servicedesk.clock import FixedClock
from servicedesk.notifications import (
    NotificationDispatcher,
    NotificationKind,
    NotificationPlanner,
    NotifyPolicy,
    Planned,
)
from servicedesk.persistence.database import conversations, create_engine, migrate, tickets
from servicedesk.persistence.notification_store import SqlNotificationStore
from servicedesk.persistence.send_budget import SqlSendBudget
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Actor, Channel, Deadlines, Requester, Ticket

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # business hours in Amsterdam


class Connector:
    def __init__(self) -> None:
        self.posts = 0
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations/{conversation}/activities", self._post)

    async def _post(self, request: web.Request) -> web.Response:
        await request.read()
        self.posts += 1
        return web.json_response({"id": f"sent-{self.posts}"})


async def _seed(db_url: str, count: int, service_url: str) -> None:
    engine = create_engine(db_url)
    try:
        ticket = await SqlTicketStore(engine).add(
            Ticket.open(
                number="",
                requester=Requester("aad-requester"),
                product_id="storing.verwarming",
                queue="technische-dienst",
                kwis="storing",
                priority="P3",
                channel=Channel.CHAT,
                fields={},
                charge=None,
                at=MONDAY_10,
                deadlines=Deadlines(MONDAY_10.replace(year=2027), MONDAY_10.replace(year=2027)),
            ),
            "builtin",
            deliver=False,
        )
        ticket.progress(Actor("aad-staff", "Monteur"), MONDAY_10, "Monteur is onderweg")
        await SqlTicketStore(engine).save(ticket)
        users = [f"aad-{i:05d}" for i in range(count)]
        with engine.begin() as connection:
            connection.execute(
                conversations.insert(),
                [
                    {
                        "conversation_id": f"a:{user}",
                        "kind": "personal",
                        "service_url": service_url,
                        "channel_id": "msteams",
                        "bot_id": "28:bot",
                        "tenant_id": "tenant-1",
                        "user_id": user,
                        "updated_at": MONDAY_10,
                    }
                    for user in users
                ],
            )
            ticket_id = connection.execute(
                sa.select(tickets.c.id).where(tickets.c.number == ticket.number)
            ).scalar_one()
        await SqlNotificationStore(engine).add(
            [
                Planned(
                    key=f"progress:{ticket.number}:1:user:{user}",
                    ticket_id=ticket_id,
                    kind=NotificationKind.PROGRESS,
                    recipient=f"user:{user}",
                    due_at=MONDAY_10,
                    event_seq=1,
                    detail={"role": "requester"},
                )
                for user in users
            ]
        )
    finally:
        engine.dispose()


async def _run(db_url: str, count: int, rate: float) -> dict[str, Any]:
    connector = Connector()
    runner = web.AppRunner(connector.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await asyncio.to_thread(migrate, db_url)
    await _seed(db_url, count, f"http://127.0.0.1:{port}")
    engine = create_engine(db_url)
    holder = KnowledgeHolder(DEFAULT_DIR)
    holder.load()
    clock = FixedClock(MONDAY_10)
    store = SqlNotificationStore(engine, clock)
    ticket_store = SqlTicketStore(engine)
    calendar = KnowledgeCalendar(holder)
    policy = NotifyPolicy()
    budget = SqlSendBudget(engine, rate, Settings().notify_burst)
    messenger = TeamsMessenger(None, "", NoticeRenderer(holder), budget)

    async def close(number: str, actor: Actor, note: str) -> None:
        raise AssertionError("nothing is closed here")

    dispatcher = NotificationDispatcher(
        store, ticket_store, messenger, calendar, calendar, clock, close, policy, budget=budget
    )
    scheduler = NotificationScheduler(
        NotificationPlanner(store, ticket_store, calendar, policy), dispatcher, store, clock
    )
    started = time.perf_counter()
    cpu = time.process_time()
    await scheduler.run_once()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    sent = sum(1 for r in await store.rows(state="sent") if r["activity_id"])
    await messenger.close()
    await runner.cleanup()
    engine.dispose()
    assert connector.posts == count == sent, (connector.posts, count, sent)
    return {"count": count, "rate": rate, "wall_s": wall, "per_s": count / wall, "cpu_s": cpu}


@contextmanager
def _scratch(server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server of ``server_url``, dropped afterwards."""
    admin = sa.create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    name = f"bench_notify_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--throttled-count", type=int, default=400)
    parser.add_argument("--db", help="a PostgreSQL server URL (a fresh database per run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    default_rate = Settings().notify_rate
    with tempfile.TemporaryDirectory() as folder:
        runs = []
        for index, (count, rate) in enumerate(
            ((args.count, 0.0), (args.throttled_count, default_rate))
        ):
            if args.db:
                with _scratch(args.db) as url:
                    runs.append(asyncio.run(_run(url, count, rate)))
            else:
                url = f"sqlite:///{Path(folder) / f'bench{index}.db'}"
                runs.append(asyncio.run(_run(url, count, rate)))
    print(f"{'run':32} {'sent':>7} {'wall s':>8} {'per s':>8} {'cpu s':>7}")
    for run in runs:
        label = "unthrottled" if run["rate"] == 0 else f"throttled at {run['rate']:g}/s per tenant"
        print(
            f"{label:32} {run['count']:>7} {run['wall_s']:>8.2f} {run['per_s']:>8.0f} "
            f"{run['cpu_s']:>7.2f}"
        )
    if len(runs) > 1:
        eta = args.count / runs[1]["per_s"]
        print(f"{args.count} at the default throttle: about {eta:.0f} s ({eta / 60:.1f} min)")


if __name__ == "__main__":
    main()
