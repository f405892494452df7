"""The ticket API: other channels register and follow the same tickets as the bot.

Runs on SQLite always and on PostgreSQL when FRONTOFFICE_TEST_PG_URL is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from frontoffice.settings import Settings
from servicedesk.clock import FixedClock

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Friday 27 November 2026, 16:00 in Amsterdam (CET, UTC+1)
FRIDAY_4PM = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[TestClient]:
    settings = Settings(
        db_url=db_url, knowledge_reload_seconds=0, api_token=TOKEN, outbox_seconds=0, poll_seconds=0
    )
    app = create_app(settings, clock=FixedClock(FRIDAY_4PM))
    async with TestClient(TestServer(app)) as client:
        yield client


def _new(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product": "storing.verwarming",
        "requester": {"id": "aad-1", "name": "Ada", "email": "ada@rivierstad.nl", "language": "nl"},
        "channel": "phone",
        "fields": {"location": "Stadskantoor, 2e verdieping, kamer 2.14"},
        "description": "Het is 16 graden in de kamer",
    }
    body.update(overrides)
    return body


async def test_a_phone_ticket_gets_a_number_and_business_hour_deadlines(api: TestClient) -> None:
    response = await api.post("/api/v1/tickets", json=_new(), headers=AUTH)
    assert response.status == 201, await response.text()
    ticket = await response.json()
    assert ticket["number"].startswith("FM-2026-")
    assert ticket["status"] == "new"
    assert (ticket["priority"], ticket["queue"], ticket["kwis"]) == (
        "P3",
        "technische-dienst",
        "storing",
    )
    # P3: response 4 business hours: 1.5 h on Friday, 2.5 h on Monday -> Mon 10:30 CET
    assert ticket["response_due"] == "2026-11-30T09:30:00+00:00"
    # resolution 3 business days: Wednesday at the same time of day
    assert ticket["resolve_due"] == "2026-12-02T15:00:00+00:00"
    assert ticket["fields"]["description"] == "Het is 16 graden in de kamer"
    assert response.headers["Location"] == f"/api/v1/tickets/{ticket['number']}"


async def test_a_p1_ticket_runs_on_the_24x7_clock(api: TestClient) -> None:
    body = _new(product="storing.lekkage")
    ticket = await (await api.post("/api/v1/tickets", json=body, headers=AUTH)).json()
    assert ticket["response_due"] == "2026-11-27T15:15:00+00:00"
    assert ticket["resolve_due"] == "2026-11-27T19:00:00+00:00"


async def test_numbers_are_unique_and_increasing(api: TestClient) -> None:
    numbers = [
        (await (await api.post("/api/v1/tickets", json=_new(), headers=AUTH)).json())["number"]
        for _ in range(3)
    ]
    assert len(set(numbers)) == 3
    assert numbers == sorted(numbers)


async def test_the_ticket_can_be_read_back_with_its_trail(api: TestClient) -> None:
    created = await (await api.post("/api/v1/tickets", json=_new(), headers=AUTH)).json()
    response = await api.get(f"/api/v1/tickets/{created['number']}", headers=AUTH)
    assert response.status == 200
    ticket = await response.json()
    assert ticket["response_due"] == created["response_due"]
    assert [e["type"] for e in ticket["events"]] == ["created"]


async def test_steps_move_the_ticket_and_land_in_the_trail(api: TestClient) -> None:
    number = (await (await api.post("/api/v1/tickets", json=_new(), headers=AUTH)).json())["number"]
    actor = {"id": "aad-staff", "name": "Piet"}
    for step in (
        {"type": "accept", "actor": actor},
        {"type": "delay", "actor": actor, "reason": "onderdeel besteld", "expected": "2026-12-04"},
        {"type": "resolve", "actor": actor, "note": "thermostaat vervangen"},
    ):
        response = await api.post(f"/api/v1/tickets/{number}/events", json=step, headers=AUTH)
        assert response.status == 200, await response.text()
    ticket = await response.json()
    assert ticket["status"] == "resolved"
    assert [e["type"] for e in ticket["events"]] == ["created", "accepted", "delayed", "resolved"]
    assert ticket["expected_at"].startswith("2026-12-04")


async def test_the_requester_sees_only_their_open_tickets(api: TestClient) -> None:
    await api.post("/api/v1/tickets", json=_new(), headers=AUTH)
    other = _new(requester={"id": "aad-2", "name": "Bob"})
    await api.post("/api/v1/tickets", json=other, headers=AUTH)
    response = await api.get("/api/v1/tickets?requester=aad-2&status=open", headers=AUTH)
    tickets = (await response.json())["tickets"]
    assert [t["requester"]["id"] for t in tickets] == ["aad-2"]


async def test_without_the_token_nothing_happens(api: TestClient) -> None:
    assert (await api.post("/api/v1/tickets", json=_new())).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await api.get("/api/v1/tickets", headers=wrong)).status == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_new(product="storing.teleporter"), "unknown product"),
        (_new(product="redirect.ict"), "not delivered by facilities"),
        (_new(fields={}), "needs location"),
        (_new(channel="pigeon"), "channel"),
        (_new(fields={"location": "x", "persons": 0}), "persons"),
        (_new(fields={"location": "x", "when": "2026-12-01T10:00:00"}), "time zone"),
        (_new(colour="blue"), "colour"),
    ],
)
async def test_bad_requests_get_422_with_a_readable_message(
    api: TestClient, body: dict[str, Any], message: str
) -> None:
    response = await api.post("/api/v1/tickets", json=body, headers=AUTH)
    assert response.status == 422
    assert message in (await response.json())["message"]
    listed = await (await api.get("/api/v1/tickets", headers=AUTH)).json()
    assert listed["tickets"] == []  # nothing was stored


async def test_an_illegal_step_is_422_and_changes_nothing(api: TestClient) -> None:
    number = (await (await api.post("/api/v1/tickets", json=_new(), headers=AUTH)).json())["number"]
    actor = {"id": "aad-1"}
    await api.post(
        f"/api/v1/tickets/{number}/events", json={"type": "cancel", "actor": actor}, headers=AUTH
    )
    response = await api.post(
        f"/api/v1/tickets/{number}/events",
        json={"type": "resolve", "actor": actor, "note": "x"},
        headers=AUTH,
    )
    assert response.status == 422
    assert "cancelled" in (await response.json())["message"]
    delay = await api.post(
        f"/api/v1/tickets/{number}/events", json={"type": "delay", "actor": actor}, headers=AUTH
    )
    assert delay.status == 422
    ticket = await (await api.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
    assert ticket["status"] == "cancelled"
    assert [e["type"] for e in ticket["events"]] == ["created", "cancelled"]


async def test_an_unknown_number_is_404(api: TestClient) -> None:
    response = await api.get("/api/v1/tickets/FM-2026-999999", headers=AUTH)
    assert response.status == 404
    response = await api.post(
        "/api/v1/tickets/FM-2026-999999/events",
        json={"type": "accept", "actor": {"id": "x"}},
        headers=AUTH,
    )
    assert response.status == 404


async def test_malformed_json_is_400(api: TestClient) -> None:
    response = await api.post(
        "/api/v1/tickets", data=b"{nope", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 400


def test_the_openapi_document_lists_every_ticket_route() -> None:
    from pathlib import Path

    import yaml

    spec = yaml.safe_load((Path(__file__).parent.parent / "docs" / "openapi.yaml").read_text())
    app = create_app(Settings(db_url="sqlite://", knowledge_reload_seconds=0))
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"
    }
    documented = {
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert routes == documented


async def test_a_new_priority_recomputes_the_deadlines(api: TestClient) -> None:
    number = (await (await api.post("/api/v1/tickets", json=_new(), headers=AUTH)).json())["number"]
    step = {
        "type": "prioritise",
        "priority": "P1",
        "reason": "water op de vloer",
        "actor": {"id": "aad-fo", "name": "Frontoffice"},
    }
    response = await api.post(f"/api/v1/tickets/{number}/events", json=step, headers=AUTH)
    assert response.status == 200, await response.text()
    ticket = await response.json()
    assert ticket["priority"] == "P1"
    assert ticket["response_due"] == "2026-11-27T15:15:00+00:00"  # 15 min, 24x7
    assert ticket["resolve_due"] == "2026-11-27T19:00:00+00:00"
    assert ticket["events"][-1]["data"] == {"from": "P3", "to": "P1"}
    bad = await api.post(
        f"/api/v1/tickets/{number}/events", json={**step, "priority": "P9"}, headers=AUTH
    )
    assert bad.status == 422


async def test_sla_state_shows_on_the_ticket(db_url: str) -> None:
    settings = Settings(
        db_url=db_url, knowledge_reload_seconds=0, api_token=TOKEN, outbox_seconds=0, poll_seconds=0
    )
    clock = FixedClock(FRIDAY_4PM)
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        created = await (await client.post("/api/v1/tickets", json=_new(), headers=AUTH)).json()
        assert created["sla"] == {"response": "ok", "resolution": "ok"}
        number = created["number"]
        clock.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # Mon 10:00: 3.5 of 4 bh used
        ticket = await (await client.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
        assert ticket["sla"]["response"] == "at_risk"
        clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))  # Mon 11:00: past 10:30
        ticket = await (await client.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
        assert ticket["sla"]["response"] == "breached"
        accept = {"type": "accept", "actor": {"id": "aad-staff"}}
        ticket = await (
            await client.post(f"/api/v1/tickets/{number}/events", json=accept, headers=AUTH)
        ).json()
        assert ticket["sla"] == {"response": "missed", "resolution": "ok"}
