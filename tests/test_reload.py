"""Edited knowledge reaches a running bot within seconds; a broken edit never does."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from tests.chat import said
from tests.conftest import teams_message

QUESTION = "Wat kost een werklunch per persoon?"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target


@pytest.fixture
async def client(folder: Path, sqlite_url: str) -> AsyncIterator[TestClient]:
    settings = Settings(db_url=sqlite_url, knowledge_dir=folder, knowledge_reload_seconds=0.2)
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def _answer(client: TestClient) -> str:
    response = await client.post(
        "/api/messages", json=teams_message(QUESTION, deliveryMode="expectReplies")
    )
    body = await response.json()
    return said(body["activities"])


async def _eventually(client: TestClient, needle: str, seconds: float = 5.0) -> str:
    deadline = asyncio.get_running_loop().time() + seconds
    answer = ""
    while asyncio.get_running_loop().time() < deadline:
        answer = await _answer(client)
        if needle in answer:
            return answer
        await asyncio.sleep(0.1)
    return answer


async def test_an_edited_answer_is_served_without_restart(client: TestClient, folder: Path) -> None:
    assert "8,50" in await _answer(client)
    path = folder / "products" / "catering.lunch.yaml"
    path.write_text(
        path.read_text("utf-8").replace("€ 8,50 per persoon", "€ 9,25 per persoon"), "utf-8"
    )
    assert "9,25" in await _eventually(client, "9,25")


async def test_a_broken_edit_keeps_the_last_good_knowledge_and_shows_in_readyz(
    client: TestClient, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = folder / "products" / "catering.lunch.yaml"
    path.write_text(path.read_text("utf-8").replace("queue: catering", "queue: kantine"), "utf-8")
    deadline = asyncio.get_running_loop().time() + 5
    body: dict = {}
    while asyncio.get_running_loop().time() < deadline:
        body = await (await client.get("/readyz")).json()
        if body["checks"]["knowledge"].get("problems"):
            break
        await asyncio.sleep(0.1)
    knowledge = body["checks"]["knowledge"]
    assert knowledge["status"] == "stale"
    assert any(
        "catering.lunch.yaml" in p and "unknown queue 'kantine'" in p for p in knowledge["problems"]
    )
    assert "8,50" in await _answer(client)
    assert any(
        "reload rejected" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records
    )
    # mending the file clears the error
    path.write_text(path.read_text("utf-8").replace("queue: kantine", "queue: catering"), "utf-8")
    deadline = asyncio.get_running_loop().time() + 5
    while asyncio.get_running_loop().time() < deadline:
        body = await (await client.get("/readyz")).json()
        if body["checks"]["knowledge"]["status"] == "ok":
            break
        await asyncio.sleep(0.1)
    assert body["checks"]["knowledge"]["status"] == "ok"
