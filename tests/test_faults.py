"""Faults at the edges, with real parts: the fake Bot Connector answering 429 with
Retry-After, 5xx or not at all while channel cards and replies go out; two posters of one
card at once; TOPdesk refusing connections for a while; the database failing under the
ticket API. What must hold: retried with backoff (Retry-After honoured), delivered once
when the fault clears, nothing lost, and a polite answer or a 503, never a 500.

PostgreSQL stopped and started again: tests/test_faults_pg.py; a SIGKILL mid-burst:
tests/test_faults_kill.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from backoffice_adapter.builtin import BuiltinBackOffice
from bot.app import create_app
from bot.channels import CHANNEL_WORK
from bot.keys import OUTBOX, STORE_ENGINE, TICKET_STORE, TICKETS
from dialogs.messages import t
from frontoffice.settings import Settings
from servicedesk.backoffice import BackOfficeUnavailable
from servicedesk.clock import FixedClock
from tests.conftest import FakeConnector, teams_message
from tests.fake_topdesk import FakeTopdesk
from tests.test_delivery_topdesk import (  # noqa: F401 - fixtures
    PASSWORD,
    knowledge_with_topdesk,
    topdesk,
)
from tests.test_queue_channel import CHANNEL, channel_message, say
from tests.test_queue_channel import knowledge_dir as knowledge_dir  # noqa: F401 - a fixture

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FRIDAY_4PM = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
LEASE = 2.0  # seconds: a card post gets LEASE / 2 to answer; an older intent is stale


@dataclass
class Desk:
    client: TestClient
    fake: FakeConnector
    url: str
    clock: FixedClock

    async def link(self) -> None:
        assert "gekoppeld" in await say(
            self.client, channel_message("koppel technische-dienst", self.url)
        )

    async def ticket(self) -> str:
        body = {
            "product": "storing.verwarming",
            "requester": {"id": "aad-req", "name": "Ada", "language": "nl"},
            "channel": "phone",
            "fields": {"location": "Stadskantoor 2.14", "cost_centre": "4711"},
            "description": "Het is koud",
        }
        response = await self.client.post("/api/v1/tickets", json=body, headers=AUTH)
        assert response.status == 201, await response.text()
        return str((await response.json())["number"])

    async def outbox(self) -> int:
        return int(await self.client.server.app[OUTBOX].run_once())

    def later(self, seconds: float) -> None:
        self.clock.move_to(self.clock.now() + timedelta(seconds=seconds))

    def cards_about(self, number: str) -> list[dict[str, Any]]:
        """Posts of the ticket's card in the queue channel (new messages, not replies)."""
        return [
            a
            for a in self.fake.posts
            if a["_conversation"] == CHANNEL and a.get("summary") == number and a.get("attachments")
        ]

    async def card_rows(self, number: str) -> list[Any]:
        engine = self.client.server.app[STORE_ENGINE]
        ticket_id = (await self.client.server.app[TICKET_STORE].get(number)).number  # exists
        assert ticket_id == number

        def read() -> list[Any]:
            with engine.connect() as connection:
                return list(
                    connection.execute(
                        sa.text(
                            "SELECT c.activity_id, c.reposts FROM card_messages c "
                            "JOIN tickets t ON t.id = c.ticket_id WHERE t.number = :n"
                        ),
                        {"n": number},
                    )
                )

        return await asyncio.to_thread(read)

    def builtin(self) -> BuiltinBackOffice:
        [backoffice] = [
            b
            for b in self.client.server.app[CHANNEL_WORK].backoffices.values()
            if isinstance(b, BuiltinBackOffice)
        ]
        return backoffice


@pytest.fixture
async def desk(
    db_url: str,
    knowledge_dir: Path,
    connector: tuple[FakeConnector, str],  # noqa: F811
) -> AsyncIterator[Desk]:
    fake, url = connector
    settings = Settings(
        db_url=db_url,
        knowledge_dir=knowledge_dir,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        outbox_lease_seconds=LEASE,
        poll_seconds=0,
        notify_seconds=0,
        log_format="text",
    )
    clock = FixedClock(FRIDAY_4PM)
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        yield Desk(client, fake, url, clock)


# -- channel cards through the outbox ----------------------------------------------------


async def test_a_card_refused_with_429_waits_for_retry_after_and_is_posted_once(
    desk: Desk,
) -> None:
    await desk.link()
    desk.fake.fail_posts(1, 429, headers={"Retry-After": "30"})
    number = await desk.ticket()
    assert await desk.outbox() == 0
    assert desk.cards_about(number) == []
    assert await desk.card_rows(number) == []  # nothing posted: the intent is dropped
    desk.later(29)
    await desk.outbox()
    assert desk.cards_about(number) == []  # Retry-After is honoured
    desk.later(2)
    await desk.outbox()
    assert len(desk.cards_about(number)) == 1
    for _ in range(3):
        desk.later(60)
        await desk.outbox()
    assert len(desk.cards_about(number)) == 1


async def test_a_card_post_failing_with_5xx_is_retried_with_backoff_until_posted_once(
    desk: Desk,
) -> None:
    await desk.link()
    desk.fake.fail_posts(3, 502)
    number = await desk.ticket()
    for _ in range(6):
        await desk.outbox()
        desk.later(900)
    assert len(desk.cards_about(number)) == 1
    [(activity_id, reposts)] = await desk.card_rows(number)
    assert activity_id and reposts == 0


async def test_a_card_post_without_an_answer_is_posted_again_once_when_its_intent_is_stale(
    desk: Desk,
) -> None:
    """The one window that remains: Teams stored the card but its answer never came.
    The intent keeps everyone else from posting until it is stale, then the card is
    posted once more (and counted), never a third time."""
    await desk.link()
    desk.fake.hang_posts(1, seconds=LEASE * 0.75, accept=True)  # > the timeout, LEASE / 2
    number = await desk.ticket()
    await desk.outbox()  # times out after LEASE / 2
    assert len(desk.cards_about(number)) == 1
    assert [r.activity_id for r in await desk.card_rows(number)] == [None]
    with pytest.raises(BackOfficeUnavailable):  # a fresh intent: another poster waits
        await desk.builtin().show(await desk.client.server.app[TICKETS].get(number))
    assert await desk.client.server.app[CHANNEL_WORK].reconcile() == 0
    desk.later(LEASE + 1)
    assert await desk.client.server.app[CHANNEL_WORK].reconcile() == 1
    await desk.outbox()
    desk.later(60)
    await desk.outbox()
    assert len(desk.cards_about(number)) == 2
    [(activity_id, reposts)] = await desk.card_rows(number)
    assert activity_id and reposts == 1


async def test_two_posters_at_once_post_one_card(desk: Desk) -> None:
    """A delivery and a backfill (or two processes) showing the same ticket together."""
    await desk.link()
    number = await desk.ticket()
    ticket = await desk.client.server.app[TICKETS].get(number)
    desk.fake.hang_posts(1, seconds=0.3, accept=True)
    outcomes = await asyncio.gather(
        desk.builtin().show(ticket), desk.builtin().show(ticket), return_exceptions=True
    )
    assert len(desk.cards_about(number)) == 1
    assert sum(isinstance(o, BackOfficeUnavailable) for o in outcomes) <= 1
    await desk.outbox()  # the delivery job finds the card and posts nothing
    assert len(desk.cards_about(number)) == 1


# -- a user's own turn --------------------------------------------------------------------


async def test_a_reply_refused_with_429_is_sent_again_after_retry_after_once(
    desk: Desk,
) -> None:
    desk.fake.fail_posts(1, 429, headers={"Retry-After": "0.2"})
    response = await desk.client.post("/api/messages", json=teams_message("hallo", desk.url))
    assert response.status == 201
    texts = desk.fake.texts()
    assert len(texts) == len(set(texts)) >= 1, "each reply once"
    assert t("nl", "error") not in texts


async def test_a_reply_refused_with_503_twice_still_arrives_once(desk: Desk) -> None:
    desk.fake.fail_posts(2, 503)
    response = await desk.client.post("/api/messages", json=teams_message("hallo", desk.url))
    assert response.status == 201
    texts = desk.fake.texts()
    assert len(texts) == len(set(texts)) >= 1 and t("nl", "error") not in texts


async def test_a_turn_whose_replies_keep_failing_is_not_a_500(desk: Desk) -> None:
    desk.fake.fail_posts(20, 500)
    response = await desk.client.post("/api/messages", json=teams_message("hallo", desk.url))
    assert response.status == 201  # Teams is told the activity was taken
    assert desk.fake.texts() == []
    desk.fake.heal()
    response = await desk.client.post("/api/messages", json=teams_message("hallo", desk.url))
    assert response.status == 201
    assert desk.fake.texts(), "once the connector answers again, replies arrive"


# -- the database under the ticket API ------------------------------------------------------


async def test_the_ticket_api_answers_503_when_the_database_fails(desk: Desk) -> None:
    engine = desk.client.server.app[STORE_ENGINE]
    number = await desk.ticket()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    sa.event.listen(engine, "before_cursor_execute", broken)
    try:
        response = await desk.client.get(f"/api/v1/tickets/{number}", headers=AUTH)
        assert response.status == 503
        body = await response.json()
        assert body["error"] == "unavailable" and body["message"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", broken)
    response = await desk.client.get(f"/api/v1/tickets/{number}", headers=AUTH)
    assert response.status == 200


# -- TOPdesk refusing connections for a while ------------------------------------------------


async def test_tickets_accepted_while_topdesk_refuses_connections_reach_it_once(
    sqlite_url: str,
    knowledge_with_topdesk: Path,  # noqa: F811
    topdesk: tuple[FakeTopdesk, str],  # noqa: F811
) -> None:
    fake, _ = topdesk
    settings = Settings(
        db_url=sqlite_url,
        knowledge_dir=knowledge_with_topdesk,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        poll_seconds=0,
        notify_seconds=0,
        log_format="text",
    )
    clock = FixedClock(FRIDAY_4PM)
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        await fake.stop()  # TOPdesk is gone: connections are refused
        numbers = []
        for _ in range(3):
            body = {
                "product": "storing.lift",
                "channel": "phone",
                "requester": {"id": "aad-1", "name": "Ada"},
                "fields": {"location": "Werf", "description": "lift staat stil"},
            }
            response = await client.post("/api/v1/tickets", json=body, headers=AUTH)
            assert response.status == 201, await response.text()
            numbers.append((await response.json())["number"])
        worker = client.server.app[OUTBOX]
        for _ in range(3):
            assert await worker.run_once() == 0
            clock.move_to(clock.now() + timedelta(minutes=15))
        await fake.start()
        for _ in range(3):
            await worker.run_once()
            clock.move_to(clock.now() + timedelta(minutes=15))
        created = [i["externalNumber"] for i in fake.incidents]
        assert sorted(created) == sorted(numbers)
        rows = await client.server.app[TICKET_STORE].outbox_rows()
        assert {r["state"] for r in rows if r["kind"] == "deliver"} == {"done"}
