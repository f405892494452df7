"""Tickets reach a TOPdesk back office exactly once: across 500s, timeouts after the
incident was stored, an app restart in the middle, and an hour of TOPdesk being down."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backoffice_adapter.topdesk import TopdeskBackOffice
from bot.app import create_app
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from servicedesk.clock import FixedClock
from servicedesk.outbox import OutboxWorker, RetryPolicy
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Status
from tests.factories import a_lift_ticket
from tests.fake_topdesk import FakeTopdesk

TOKEN = "api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "app-password-1"


@pytest.fixture
async def topdesk() -> AsyncIterator[tuple[FakeTopdesk, str]]:
    fake = FakeTopdesk(password=PASSWORD)
    url = await fake.start()
    yield fake, url
    await fake.close()


@pytest.fixture
def knowledge_with_topdesk(
    tmp_path: Path, topdesk: tuple[FakeTopdesk, str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The shipped knowledge, with the technical service's queue in TOPdesk."""
    _, url = topdesk
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    (folder / "backoffices.yaml").write_text(
        f"topdesk:\n  kind: topdesk\n  url: {url}\n  login: frontoffice-api\n"
        "  password_env: FRONTOFFICE_TOPDESK_PASSWORD\n  operator_group: Technische dienst\n"
        "  priorities: {P1: Kritiek, P2: Hoog, P3: Normaal, P4: Laag}\n"
        "  timeout_seconds: 0.5\n",
        "utf-8",
    )
    queues = folder / "queues.yaml"
    text = queues.read_text("utf-8")
    queues.write_text(
        text.replace(
            "  lead: {nl: hoofd technische dienst, en: head of technical services}\n  staff: []",
            "  lead: {nl: hoofd technische dienst, en: head of technical services}\n  staff: []\n"
            "  backoffice: topdesk",
            1,
        ),
        "utf-8",
    )
    assert "backoffice: topdesk" in queues.read_text("utf-8")
    monkeypatch.setenv("FRONTOFFICE_TOPDESK_PASSWORD", PASSWORD)
    return folder


def _settings(db_url: str, folder: Path) -> Settings:
    return Settings(
        db_url=db_url,
        knowledge_dir=folder,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0.05,
        outbox_retry_seconds=0.1,
        poll_seconds=0,
    )


async def _create(client: TestClient, product: str, location: str = "Werf") -> str:
    body: dict[str, Any] = {
        "product": product,
        "channel": "phone",
        "requester": {"id": "aad-1", "name": "Ada", "email": "ada@rivierstad.nl"},
        "fields": {"location": location, "description": "graag snel"},
    }
    response = await client.post("/api/v1/tickets", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    return str((await response.json())["number"])


async def _outbox(db_url: str) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    try:
        return await SqlTicketStore(engine).outbox_rows()
    finally:
        engine.dispose()


@pytest.mark.slow
async def test_exactly_once_across_500s_timeouts_and_a_restart(
    db_url: str, knowledge_with_topdesk: Path, topdesk: tuple[FakeTopdesk, str]
) -> None:
    fake, _ = topdesk
    fake.fail_next(2, 500, method="POST")  # two creates fail outright
    fake.slow_next(2, 1.5, method="POST")  # two are stored, then answered too late
    settings = _settings(db_url, knowledge_with_topdesk)
    numbers: list[str] = []
    async with TestClient(TestServer(create_app(settings))) as first:
        numbers.append(await _create(first, "storing.lekkage"))
        numbers.append(await _create(first, "storing.verwarming"))
        catering = await _create(first, "catering.koffieautomaat")
        await asyncio.sleep(0.8)  # the first deliveries are in trouble: stop the app now
    async with TestClient(TestServer(create_app(settings))):
        for _ in range(150):
            rows = await _outbox(db_url)
            if rows and all(row["state"] == "done" for row in rows):
                break
            await asyncio.sleep(0.1)
    rows = await _outbox(db_url)
    assert [row["state"] for row in rows] == ["done"] * 3, rows
    created = [i["externalNumber"] for i in fake.incidents]
    assert sorted(created) == sorted(numbers)  # each once, the catering ticket never
    assert catering not in created
    assert max(row["attempts"] for row in rows) >= 2


async def test_an_hour_of_topdesk_down_loses_nothing(
    db_url: str, topdesk: tuple[FakeTopdesk, str]
) -> None:
    fake, url = topdesk
    migrate(db_url)
    engine = create_engine(db_url)
    store = SqlTicketStore(engine)
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    clock = FixedClock(start)
    ticket = a_lift_ticket(start)
    ticket = await store.add(ticket, "topdesk")
    adapter = TopdeskBackOffice(
        url,
        "frontoffice-api",
        PASSWORD,
        operator_group=None,
        category=None,
        subcategory=None,
        priority_map={},
        call_type=None,
        timeout=1,
    )
    worker = OutboxWorker(store, {"topdesk": adapter}, clock, RetryPolicy())
    fake.down()
    try:
        attempts = 0
        while clock.now() < start + timedelta(hours=1):
            await worker.run_once()
            row = (await store.outbox_rows())[0]
            assert row["state"] == "pending", row
            attempts = row["attempts"]
            clock.move_to(max(row["next_attempt_at"].replace(tzinfo=UTC), clock.now()))
        fake.up()
        clock.move_to(clock.now() + timedelta(minutes=15))
        assert await worker.run_once() == 1
    finally:
        await adapter.close()
        engine.dispose()
    assert attempts >= 8
    assert [i["externalNumber"] for i in fake.incidents] == [ticket.number]


async def test_topdesk_progress_comes_back_once(
    db_url: str, knowledge_with_topdesk: Path, topdesk: tuple[FakeTopdesk, str]
) -> None:
    fake, _ = topdesk
    settings = _settings(db_url, knowledge_with_topdesk)
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        number = await _create(client, "storing.verwarming")
        for _ in range(100):  # delivered and booked (external id, delivered event)
            if [r["state"] for r in await _outbox(db_url)] == ["done"]:
                break
            await asyncio.sleep(0.05)
        incident = fake.incidents[0]
        fake.add_action(incident["id"], "Monteur komt morgen om 9 uur")
        fake.set_status(incident["id"], completed=True)
        from bot.app import _poll
        from bot.keys import OUTBOX

        backoffices = {"topdesk": app[OUTBOX]._backoffices["topdesk"]}  # the app's own adapter
        await _poll(app, backoffices)
        await _poll(app, backoffices)  # polling again changes nothing
        ticket = await (await client.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
    assert ticket["status"] == Status.RESOLVED.value
    notes = [e["note"] for e in ticket["events"]]
    assert notes.count("Monteur komt morgen om 9 uur") == 1
    assert [e["type"] for e in ticket["events"]].count("resolved") == 1


async def test_a_cancellation_here_reaches_topdesk_through_the_outbox(
    db_url: str, knowledge_with_topdesk: Path, topdesk: tuple[FakeTopdesk, str]
) -> None:
    fake, _ = topdesk
    settings = _settings(db_url, knowledge_with_topdesk)
    async with TestClient(TestServer(create_app(settings))) as client:
        number = await _create(client, "storing.verwarming")
        for _ in range(100):  # delivered and booked (external id, delivered event)
            if [r["state"] for r in await _outbox(db_url)] == ["done"]:
                break
            await asyncio.sleep(0.05)
        step = {"type": "cancel", "reason": "hij doet het weer", "actor": {"id": "aad-1"}}
        response = await client.post(f"/api/v1/tickets/{number}/events", json=step, headers=AUTH)
        assert response.status == 200
        for _ in range(50):
            rows = await _outbox(db_url)
            if [r["state"] for r in rows] == ["done", "done"]:
                break
            await asyncio.sleep(0.05)
    assert [(r["kind"], r["state"]) for r in rows] == [("deliver", "done"), ("push", "done")]
    incident = fake.incidents[0]
    assert incident["closed"] is True
    assert any("hij doet het weer" in a.get("memoText", "") for a in fake.actions[incident["id"]])
