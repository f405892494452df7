"""Shared fixtures: settings on a throw-away database, the app, a fake Bot Connector."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from knowledge.reload import Snapshot, build_snapshot

DATA = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("FRONTOFFICE_TEST_PG_URL", "")


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return build_snapshot(DEFAULT_DIR)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'frontoffice.db'}"


def _fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    admin = sa.create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"fo_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite, and on PostgreSQL when FRONTOFFICE_TEST_PG_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not PG_URL:
        pytest.skip("FRONTOFFICE_TEST_PG_URL is not set (make test sets it when PostgreSQL answers)")
    yield from _fresh_pg_database()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(db_url=sqlite_url, knowledge_reload_seconds=0, log_format="text")


class FakeConnector:
    """A Bot Connector that records what the bot sends (the real REST paths).

    ``activities`` holds every POST in order (new messages and replies in a thread;
    ``_reply_to`` says which), ``puts`` every update (``_activity``: the updated id).
    ``fail_puts(n, status, code)`` makes the next ``n`` updates fail, as Teams does with
    a 404 ``ActivityNotFoundInConversation``; ``fail_posts`` does the same for posts
    (429 with Retry-After, 5xx). ``hang_posts(n, seconds, accept)`` makes the next ``n``
    posts wait ``seconds`` before answering (a timeout for the client), having stored the
    activity first when ``accept`` (Teams got it, the answer was lost) or not at all.
    """

    def __init__(self) -> None:
        self.activities: list[dict[str, Any]] = []
        self.puts: list[dict[str, Any]] = []
        self._put_failures: list[tuple[int, str]] = []
        self._post_failures: list[tuple[int, str, dict[str, str]]] = []
        self._post_hangs: list[tuple[float, bool]] = []
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        self.app.router.add_post(
            "/v3/conversations/{conversation}/activities/{reply_to}", self._post
        )
        self.app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)

    @property
    def posts(self) -> list[dict[str, Any]]:
        return self.activities

    def fail_puts(
        self, count: int = 1, status: int = 404, code: str = "ActivityNotFoundInConversation"
    ) -> None:
        self._put_failures.extend([(status, code)] * count)

    def fail_posts(
        self, count: int = 1, status: int = 429, code: str = "", headers: dict[str, str] | None = None
    ) -> None:
        """The next ``count`` posts fail (e.g. 429 with Retry-After, 403 MessageWritesBlocked)."""
        self._post_failures.extend([(status, code, headers or {})] * count)

    def heal(self) -> None:
        """No more injected failures."""
        self._post_failures.clear()
        self._put_failures.clear()
        self._post_hangs.clear()

    def hang_posts(self, count: int = 1, seconds: float = 5.0, accept: bool = False) -> None:
        """The next ``count`` posts answer only after ``seconds`` (stored first if ``accept``)."""
        self._post_hangs.extend([(seconds, accept)] * count)

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self._post_hangs:
            seconds, accept = self._post_hangs.pop(0)
            if accept:
                body["_conversation"] = request.match_info["conversation"]
                body["_reply_to"] = request.match_info.get("reply_to")
                self.activities.append(body)
            await asyncio.sleep(seconds)
            if accept:
                return web.json_response({"id": f"sent-{len(self.activities)}"})
            return web.json_response({"error": {"code": "Timeout"}}, status=504)
        if self._post_failures:
            status, code, headers = self._post_failures.pop(0)
            return web.json_response(
                {"error": {"code": code or "Failed", "message": "injected failure"}},
                status=status,
                headers=headers,
            )
        body["_conversation"] = request.match_info["conversation"]
        body["_reply_to"] = request.match_info.get("reply_to")
        self.activities.append(body)
        return web.json_response({"id": f"sent-{len(self.activities)}"})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self._put_failures:
            status, code = self._put_failures.pop(0)
            return web.json_response(
                {"error": {"code": code, "message": "The activity was not found."}}, status=status
            )
        body["_conversation"] = request.match_info["conversation"]
        body["_activity"] = request.match_info["activity"]
        self.puts.append(body)
        return web.json_response({"id": request.match_info["activity"]})

    def texts(self) -> list[str]:
        return [a.get("text") or "" for a in self.activities if a.get("type") == "message"]

    def cards(self, sent: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The Adaptive Cards in ``sent`` (default: the posts), in order."""
        return [
            attachment["content"]
            for activity in (self.activities if sent is None else sent)
            for attachment in activity.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@pytest.fixture
async def connector() -> AsyncIterator[tuple[FakeConnector, str]]:
    fake = FakeConnector()
    server = TestServer(fake.app)
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    server = TestServer(create_app(settings))
    test_client = TestClient(server)
    await test_client.start_server()
    yield test_client
    await test_client.close()


def teams_message(
    text: str, service_url: str = "http://127.0.0.1:9/", **overrides: Any
) -> dict[str, Any]:
    """A Teams personal-chat message activity, as Teams sends it."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": "2026-11-23T09:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:user-1", "name": "Ada Employee", "aadObjectId": "aad-user-1"},
        "conversation": {
            "id": "a:personal-1",
            "conversationType": "personal",
            "tenantId": "tenant-1",
        },
        "recipient": {"id": "28:bot-1", "name": "Frontoffice"},
        "text": text,
        "textFormat": "plain",
        "locale": "nl-NL",
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
    activity.update(overrides)
    return activity


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Skipped tests are counted out loud, with their reasons, never silent."""
    skipped = terminalreporter.stats.get("skipped", [])
    count = 0
    reasons: dict[str, int] = {}
    for report in skipped:
        if not isinstance(report.longrepr, tuple):
            continue
        count += 1
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if not count:
        terminalreporter.write_line("skipped: none")
        return
    terminalreporter.write_line(f"skipped: {count} tests", yellow=True)
    for reason, n in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"  {n:>4}  {reason}", yellow=True)
