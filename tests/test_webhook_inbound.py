"""A webhook back office reports progress through a signed endpoint, applied once."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backoffice_adapter.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.app import create_app
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR

SECRET = "webhook-secret"
AUTH = {"Authorization": "Bearer t"}


@pytest.fixture
async def client(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient]:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    (folder / "backoffices.yaml").write_text(
        "fmis:\n  kind: webhook\n  url: http://127.0.0.1:9/unused\n"
        "  secret_env: FRONTOFFICE_WEBHOOK_SECRET\n",
        "utf-8",
    )
    monkeypatch.setenv("FRONTOFFICE_WEBHOOK_SECRET", SECRET)
    settings = Settings(
        db_url=sqlite_url,
        knowledge_dir=folder,
        knowledge_reload_seconds=0,
        api_token="t",
        outbox_seconds=0,
        poll_seconds=0,
    )
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def _ticket(client: TestClient) -> str:
    body = {
        "product": "schoonmaak.extra",
        "channel": "counter",
        "requester": {"id": "aad-9"},
        "fields": {"location": "Werf 1.03", "description": "koffie gemorst"},
    }
    response = await client.post("/api/v1/tickets", json=body, headers=AUTH)
    return str((await response.json())["number"])


def _signed(body: dict[str, object], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    return raw, {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, raw, stamp),
        "Content-Type": "application/json",
    }


async def test_a_signed_update_is_applied_once(client: TestClient) -> None:
    number = await _ticket(client)
    update = {
        "number": number,
        "key": "fmis-1",
        "status": "resolved",
        "note": "Vloer is schoongemaakt",
        "actor": {"name": "Schoonmaak"},
    }
    raw, headers = _signed(update)
    first = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    again = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    assert (await first.json(), await again.json()) == ({"applied": True}, {"applied": False})
    ticket = await (await client.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
    assert ticket["status"] == "resolved"
    assert [e["type"] for e in ticket["events"]].count("resolved") == 1


async def test_a_wrong_signature_changes_nothing(client: TestClient) -> None:
    number = await _ticket(client)
    raw, headers = _signed(
        {"number": number, "key": "k", "status": "resolved", "note": "x", "actor": {"name": "x"}},
        secret="guessed",
    )
    response = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    assert response.status == 401
    ticket = await (await client.get(f"/api/v1/tickets/{number}", headers=AUTH)).json()
    assert ticket["status"] == "new"


async def test_a_bad_update_is_422_and_an_unknown_ticket_404(client: TestClient) -> None:
    number = await _ticket(client)
    raw, headers = _signed(
        {"number": number, "key": "k2", "status": "delayed", "actor": {"name": "x"}}
    )
    response = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    assert response.status == 422
    assert "expected" in (await response.json())["message"]
    raw, headers = _signed(
        {"number": "FM-2026-999999", "key": "k3", "note": "hallo", "actor": {"name": "x"}}
    )
    response = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    assert response.status == 404


async def test_an_unknown_back_office_is_404(client: TestClient) -> None:
    raw, headers = _signed({"number": "x", "key": "k", "note": "n", "actor": {"name": "x"}})
    response = await client.post("/api/v1/backoffices/nope/status", data=raw, headers=headers)
    assert response.status == 404
