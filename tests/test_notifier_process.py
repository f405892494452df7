"""Notifications survive real processes: ``frontoffice serve`` killed with SIGKILL between
claim and send and right after a send, then started again, shows each message exactly
once at the (fake) Bot Connector; and two serve processes on one PostgreSQL deliver
1,000 due notifications with none doubled and none missing.

The kill comes from the test-only hook ``FRONTOFFICE_TEST_CRASH_AT`` (bot/notify_scheduler.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from servicedesk.conversations import ConversationKind, ConversationReference
from servicedesk.notifications import NotificationKind, Planned
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.database import tickets as tickets_table
from servicedesk.persistence.notification_store import SqlNotificationStore
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Channel, Deadlines, Requester, Ticket
from tests.conftest import PG_URL, FakeConnector, _fresh_pg_database
from tests.playground import BotServer

pytestmark = pytest.mark.slow
TOKEN = "process-token"


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeConnector, str]]:
    connector = FakeConnector()
    server = TestServer(connector.app, host="127.0.0.1")
    await server.start_server()
    yield connector, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("FRONTOFFICE_TEST_PG_URL is not set")
    yield from _fresh_pg_database()


def _env(db_url: str, **extra: str) -> dict[str, str]:
    return {
        "FRONTOFFICE_DB_URL": db_url,
        "FRONTOFFICE_API_TOKEN": TOKEN,
        "FRONTOFFICE_NOTIFY_SECONDS": "0.2",
        "FRONTOFFICE_NOTIFY_LEASE_SECONDS": "1",
        "FRONTOFFICE_NOTIFY_RATE": "0",
        "FRONTOFFICE_POLL_SECONDS": "0",
        "FRONTOFFICE_MIGRATE_ON_START": "false",
        **extra,
    }


async def _remember(db_url: str, users: list[str], service_url: str) -> None:
    engine = create_engine(db_url)
    try:
        store = SqlConversationStore(engine)
        for user in users:
            await store.remember(
                ConversationReference(
                    conversation_id=f"a:{user}",
                    kind=ConversationKind.PERSONAL,
                    service_url=service_url,
                    channel_id="msteams",
                    bot_id="28:bot",
                    tenant_id="tenant-1",
                    user_id=user,
                )
            )
    finally:
        engine.dispose()


async def _leak_report(bot: BotServer, user: str) -> str:
    """A P1 ticket by phone (P1: its messages go out at any hour)."""
    body = {
        "product": "storing.lekkage",
        "requester": {"id": user, "name": "Ada"},
        "channel": "phone",
        "fields": {"location": "Stadskantoor 2.14"},
        "description": "Water uit het plafond",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{bot.url}/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as response,
    ):
        assert response.status == 201, await response.text()
        return str((await response.json())["number"])


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not within {seconds} s")


async def _exited(bot: BotServer, seconds: float = 20.0) -> int:
    proc = bot.proc
    assert proc is not None
    await _until(lambda: proc.poll() is not None, seconds, "the crash")
    code = proc.returncode
    bot.stop()
    return int(code)


async def _row_states(db_url: str) -> dict[str, str]:
    engine = create_engine(db_url)
    try:
        rows = await SqlNotificationStore(engine).rows()
    finally:
        engine.dispose()
    return {r["idempotency_key"]: r["state"] for r in rows if r["recipient"].startswith("user:")}


async def test_a_kill_between_claim_and_send_and_after_send_shows_each_message_once(
    tmp_path: Path, fake: tuple[FakeConnector, str]
) -> None:
    connector, url = fake
    db_url = f"sqlite:///{tmp_path / 'fo.db'}"
    await asyncio.to_thread(migrate, db_url)
    await _remember(db_url, ["aad-a", "aad-b"], url)

    def posts_to(user: str) -> int:
        return sum(1 for a in connector.posts if a["_conversation"] == f"a:{user}")

    # 1. killed after the claim, before the send: the restart sends it (after the lease)
    bot = BotServer(tmp_path / "run1", _env(db_url, FRONTOFFICE_TEST_CRASH_AT="after_claim"))
    try:
        await asyncio.to_thread(bot.start)
        first = await _leak_report(bot, "aad-a")
        assert await _exited(bot) == -9
    finally:
        bot.stop()
    assert posts_to("aad-a") == 0
    bot = BotServer(tmp_path / "run2", _env(db_url))
    try:
        await asyncio.to_thread(bot.start)
        await _until(lambda: posts_to("aad-a") == 1, 15, "the receipt after the restart")
    finally:
        bot.stop()

    # 2. killed right after the send, before it was marked: the restart does not resend
    bot = BotServer(tmp_path / "run3", _env(db_url, FRONTOFFICE_TEST_CRASH_AT="after_send"))
    try:
        await asyncio.to_thread(bot.start)
        second = await _leak_report(bot, "aad-b")
        assert await _exited(bot) == -9
    finally:
        bot.stop()
    assert posts_to("aad-b") == 1
    bot = BotServer(tmp_path / "run4", _env(db_url))
    try:
        await asyncio.to_thread(bot.start)
        await asyncio.sleep(2.5)  # the lease (1 s) runs out and a few ticks pass
    finally:
        bot.stop()
    assert posts_to("aad-a") == 1 and posts_to("aad-b") == 1
    states = await _row_states(db_url)
    assert states[f"confirmation:{first}:user:aad-a"] == "sent"
    assert states[f"confirmation:{second}:user:aad-b"] == "unconfirmed"  # admins see it


@pytest.mark.postgres
async def test_two_processes_on_one_postgresql_deliver_1000_notifications_exactly_once(
    tmp_path: Path, pg_url: str, fake: tuple[FakeConnector, str]
) -> None:
    connector, url = fake
    await asyncio.to_thread(migrate, pg_url)
    users = [f"aad-{i:04d}" for i in range(1000)]
    await _remember(pg_url, users, url)
    engine = create_engine(pg_url)
    try:
        now = datetime.now(UTC)
        ticket = await SqlTicketStore(engine).add(
            Ticket.open(
                number="",
                requester=Requester("aad-nobody"),
                product_id="storing.lekkage",
                queue="technische-dienst",
                kwis="storing",
                priority="P1",
                channel=Channel.CHAT,
                fields={},
                charge=None,
                at=now,
                deadlines=Deadlines(now.replace(year=now.year + 1), now.replace(year=now.year + 1)),
            ),
            "builtin",
            deliver=False,
        )
        with engine.connect() as connection:
            ticket_id = (
                connection.execute(
                    tickets_table.select().where(tickets_table.c.number == ticket.number)
                )
                .one()
                .id
            )
        await SqlNotificationStore(engine).add(
            [
                Planned(
                    key=f"progress:{ticket.number}:0:user:{user}",
                    ticket_id=ticket_id,
                    kind=NotificationKind.PROGRESS,
                    recipient=f"user:{user}",
                    due_at=now,
                    event_seq=0,
                    detail={"role": "requester"},
                )
                for user in users
            ]
        )
    finally:
        engine.dispose()

    bots = [BotServer(tmp_path / f"bot{i}", _env(pg_url)) for i in range(2)]
    try:
        await asyncio.gather(*(asyncio.to_thread(bot.start) for bot in bots))
        await _until(lambda: len(connector.posts) >= 1000, 60, "1,000 sends")
        await asyncio.sleep(1.5)  # anything doubled would arrive now
        shares = [bot.log(tail=10_000_000).count("notification sent") for bot in bots]
    finally:
        for bot in bots:
            bot.stop()
    assert sum(shares) == 1000 and min(shares) > 0, shares  # both processes took a share
    per_conversation = Counter(a["_conversation"] for a in connector.posts)
    assert len(connector.posts) == 1000
    assert set(per_conversation) == {f"a:{user}" for user in users}
    assert max(per_conversation.values()) == 1
    states = await _row_states(pg_url)
    assert Counter(states.values()) == {"sent": 1000}
