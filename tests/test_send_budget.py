"""The notification send budget (servicedesk/persistence/send_budget.py): Teams' limits kept
in the database, so that they hold across processes.

The last test runs two dispatchers, each with its own engine, on one PostgreSQL database
against a fake Bot Connector (a real aiohttp server) and checks what the connector
received: never more per tenant and per conversation than the rate allows plus the
burst, over any window, and every notification exactly once. With a budget per process
(as before) the two together would send twice the rate.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.notifier import NoticeRenderer, TeamsMessenger
from bot.notify_scheduler import NotificationScheduler
from knowledge.catalogue import KnowledgeCalendar
from knowledge.loader import DEFAULT_DIR
from knowledge.reload import KnowledgeHolder
from servicedesk.clock import SystemClock
from servicedesk.conversations import ConversationKind, ConversationReference
from servicedesk.notifications import (
    Notice,
    NotificationDispatcher,
    NotificationKind,
    NotificationPlanner,
    NotifyPolicy,
    Planned,
)
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.database import tickets as tickets_table
from servicedesk.persistence.notification_store import SqlNotificationStore
from servicedesk.persistence.send_budget import SqlSendBudget
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Actor, Channel, Deadlines, Requester, Ticket
from tests.conftest import PG_URL, _fresh_pg_database

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # business hours in Amsterdam


@pytest.fixture
def budget_engine(db_url: str) -> Iterator[Any]:
    migrate(db_url)
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


async def test_a_tenant_gets_its_burst_at_once_then_one_send_per_interval(
    budget_engine: Any,
) -> None:
    budget = SqlSendBudget(budget_engine, rate=50, burst=3)
    slots = await budget.reserve([("tenant-1", f"a:{n}") for n in range(8)])
    waits = [slot.wait for slot in slots]
    assert all(w is not None for w in waits)
    assert waits[:3] == [0.0, 0.0, 0.0]  # the burst
    steps = [b - a for a, b in zip(waits[2:], waits[3:], strict=False)]  # type: ignore[operator]
    assert all(abs(step - 1 / 50) < 1e-6 for step in steps), waits
    # the next group (a second process, say) queues behind the first
    [later] = await budget.reserve([("tenant-1", "a:other")])
    assert later.wait is not None and later.wait > waits[-1] - 0.01  # type: ignore[operator]
    # another tenant has a budget of its own
    [other] = await budget.reserve([("tenant-2", "a:x")])
    assert other.wait == 0.0


async def test_a_conversation_over_its_hourly_budget_is_refused_with_a_time_to_retry(
    budget_engine: Any,
) -> None:
    budget = SqlSendBudget(
        budget_engine, rate=0, per_conversation_per_hour=10, conversation_burst=3
    )
    slots = await budget.reserve([("tenant-1", "a:busy")] * 3)
    assert [s.wait for s in slots] == [0.0, 0.0, 0.0]
    [refused] = await budget.reserve([("tenant-1", "a:busy")])
    assert refused.wait is None
    assert 3600 / 7 - 5 < refused.retry_after <= 3600 / 7 + 1  # one interval of 10-3 an hour
    [elsewhere] = await budget.reserve([("tenant-1", "a:quiet")])
    assert elsewhere.wait == 0.0


async def test_a_429_pauses_the_tenant_for_every_holder_of_the_budget(budget_engine: Any) -> None:
    first = SqlSendBudget(budget_engine, rate=40, burst=10, max_wait=10)
    second = SqlSendBudget(budget_engine, rate=40, burst=10, max_wait=10)  # another process
    await first.pause("tenant-1", 30)
    [refused] = await second.reserve([("tenant-1", "a:1")])
    assert refused.wait is None and 19 < refused.retry_after < 21  # bookable 10 s ahead
    await first.pause("tenant-2", 5)
    [waits] = await second.reserve([("tenant-2", "a:2")])
    assert waits.wait is not None and 4.5 < waits.wait <= 5.01


# -- two dispatchers on one PostgreSQL ----------------------------------------------------


class StampingConnector:
    """A Bot Connector that notes when each message arrived, per tenant and conversation."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic, tenant, conversation)
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations/{conversation}/activities", self._post)

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        tenant = body["conversation"].get("tenantId", "")
        self.arrivals.append((time.monotonic(), tenant, request.match_info["conversation"]))
        return web.json_response({"id": f"sent-{len(self.arrivals)}"})


def most_in_any_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, at in enumerate(stamps):
        while at - stamps[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("FRONTOFFICE_TEST_PG_URL is not set")
    yield from _fresh_pg_database()


@pytest.fixture
async def stamping() -> AsyncIterator[tuple[StampingConnector, str]]:
    connector = StampingConnector()
    server = TestServer(connector.app, host="127.0.0.1")
    await server.start_server()
    yield connector, str(server.make_url("")).rstrip("/")
    await server.close()


async def _seed(db_url: str, service_url: str, people: dict[str, str], notices: list[str]) -> None:
    """Conversations for ``people`` (user -> tenant) and a due notice for each entry of
    ``notices`` (a user, in the order claimed)."""
    engine = create_engine(db_url)
    try:
        conversations = SqlConversationStore(engine)
        for user, tenant in people.items():
            await conversations.remember(
                ConversationReference(
                    conversation_id=f"a:{user}",
                    kind=ConversationKind.PERSONAL,
                    service_url=service_url,
                    channel_id="msteams",
                    bot_id="28:bot",
                    tenant_id=tenant,
                    user_id=user,
                )
            )
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
                at=MONDAY_10,
                deadlines=Deadlines(MONDAY_10.replace(year=2027), MONDAY_10.replace(year=2027)),
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
                    key=f"progress:{ticket.number}:{n}:user:{user}",
                    ticket_id=ticket_id,
                    kind=NotificationKind.PROGRESS,
                    recipient=f"user:{user}",
                    due_at=MONDAY_10,
                    event_seq=0,
                    detail={"role": "requester"},
                )
                for n, user in enumerate(notices)
            ]
        )
    finally:
        engine.dispose()


class CountingMessenger:
    """The real messenger, counting what this "process" sent."""

    def __init__(self, inner: TeamsMessenger) -> None:
        self.inner = inner
        self.sent = 0

    async def send(self, reference: ConversationReference, notice: Notice) -> str:
        activity_id = await self.inner.send(reference, notice)
        self.sent += 1
        return activity_id


def _dispatcher(db_url: str, rate: float, burst: int, busy_per_hour: int) -> tuple[Any, ...]:
    """One process's notification work: its own engine, budget, messenger and scheduler."""
    engine = create_engine(db_url)
    holder = KnowledgeHolder(DEFAULT_DIR)
    holder.load()
    clock = SystemClock()  # a refused send waits for real time to pass
    store = SqlNotificationStore(engine, clock)
    ticket_store = SqlTicketStore(engine)
    calendar = KnowledgeCalendar(holder)
    policy = NotifyPolicy(batch=20, concurrency=8)
    budget = SqlSendBudget(
        engine,
        rate,
        burst,
        per_conversation_per_hour=busy_per_hour,
        conversation_burst=2,
        max_wait=2.0,
    )
    messenger = CountingMessenger(TeamsMessenger(None, "", NoticeRenderer(holder), budget))

    async def close(number: str, actor: Actor, note: str) -> None:
        raise AssertionError("nothing is closed here")

    dispatcher = NotificationDispatcher(
        store, ticket_store, messenger, calendar, calendar, clock, close, policy, budget=budget
    )
    scheduler = NotificationScheduler(
        NotificationPlanner(store, ticket_store, calendar, policy), dispatcher, store, clock
    )
    return engine, messenger, scheduler, store


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_dispatchers_on_one_postgresql_keep_the_rate_together_and_send_each_once(
    pg_url: str, stamping: tuple[StampingConnector, str]
) -> None:
    connector, url = stamping
    rate, burst = 5.0, 2
    await asyncio.to_thread(migrate, pg_url)
    # each claim (20 rows) holds both tenants and some of the busy person's notices, so
    # both dispatchers send to both tenants and to the busy person at the same time
    people = {f"aad-{t}-{i:02d}": f"tenant-{t}" for i in range(40) for t in "ab"}
    notices = list(people)
    for at in (0, 20, 40, 60):
        notices.insert(at, "aad-busy")
    people["aad-busy"] = "tenant-c"
    await _seed(pg_url, url, people, notices)
    expected = len(notices)
    # two "processes"; the conversation's budget: 2 at once, then 1 per 3600/(3602-2) s
    workers = [_dispatcher(pg_url, rate, burst, busy_per_hour=3602) for _ in range(2)]
    try:

        async def drive(scheduler: NotificationScheduler, store: SqlNotificationStore) -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(connector.arrivals) < expected:
                await scheduler.run_once()
                await asyncio.sleep(0.05)

        await asyncio.gather(*(drive(w[2], w[3]) for w in workers))
        await asyncio.sleep(0.5)  # anything doubled would arrive now
        rows = await workers[0][3].rows()
    finally:
        for engine, messenger, _, _ in workers:
            await messenger.inner.close()
            engine.dispose()

    conversations = Counter(conversation for _, _, conversation in connector.arrivals)
    assert len(connector.arrivals) == expected, conversations
    assert conversations["a:aad-busy"] == 4
    assert all(n == 1 for c, n in conversations.items() if c != "a:aad-busy")
    progress = [r for r in rows if r["idempotency_key"].startswith("progress:")]
    assert Counter(r["state"] for r in progress) == {"sent": expected}
    shares = [w[1].sent for w in workers]
    assert sum(shares) == expected and min(shares) > 0, shares  # both took a share
    for tenant in ("tenant-a", "tenant-b"):
        stamps = [at for at, t, _ in connector.arrivals if t == tenant]
        for window in (2.0, 4.0):
            # the rate over the window plus the burst, and once more the burst: on a busy
            # machine a send that wakes late arrives closer to the next one. Two budgets
            # of one process each would show about 2 * (rate * window + burst) here.
            assert most_in_any_window(stamps, window) <= rate * window + 2 * burst, (
                tenant,
                window,
            )
    busy = sorted(at for at, _, c in connector.arrivals if c == "a:aad-busy")
    # 2 at once, then one per second: 4 messages span at least about 2 s
    assert most_in_any_window(busy, 0.9) <= 2 + 1
