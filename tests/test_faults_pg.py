"""PostgreSQL stopped for some seconds and started again, under a running app.

The machine's shared PostgreSQL is never touched: the test starts a private cluster
(``initdb`` and ``pg_ctl`` from /usr/lib/postgresql/*/bin, in a temporary folder, on a
free port; as the ``postgres`` user when run as root, since initdb refuses root). While
it is stopped, chat messages get the polite error reply, the ticket API and card clicks a
503 with ``{"error", "message"}``, /readyz a 503, each within a bounded time; after it is
started again everything works, and exactly the tickets that were acknowledged exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import OUTBOX
from dialogs.messages import t
from frontoffice.settings import Settings
from tests.conftest import teams_message
from tests.test_queue_channel import card_invoke

pytestmark = pytest.mark.slow
TOKEN = "pg-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOUND = 30.0  # no request may take longer than this while the database is away


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster that the test may stop and start."""

    bin: Path
    folder: Path
    port: int
    user: str | None  # run the server as this user (when the test runs as root)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    binaries = _bin()
    if binaries is None or shutil.which("runuser") is None and os.geteuid() == 0:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin) or runuser")
    user = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run initdb as")
        user = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="fo-faults-pg-"))
    if user:
        shutil.chown(folder, user)
    cluster = PrivatePostgres(binaries, folder, _free_port(), user)
    cluster.initdb()
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def client(private_pg: PrivatePostgres, tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = Settings(
        db_url=private_pg.url,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        poll_seconds=0,
        notify_seconds=0,
        log_format="text",
    )
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


def _ticket(marker: str) -> dict[str, Any]:
    return {
        "product": "storing.verwarming",
        "requester": {"id": "aad-req", "name": "Ada", "language": "nl"},
        "channel": "phone",
        "fields": {"location": "Stadskantoor 2.14"},
        "description": marker,
    }


async def _bounded(call: Any) -> Any:
    return await asyncio.wait_for(call, BOUND)


async def test_postgres_stopped_and_started_again_gets_503s_then_loses_nothing(
    client: TestClient, private_pg: PrivatePostgres
) -> None:
    before = await client.post("/api/v1/tickets", json=_ticket("before"), headers=AUTH)
    assert before.status == 201
    number = (await before.json())["number"]
    chat = {"deliveryMode": "expectReplies"}
    assert (await client.post("/api/messages", json=teams_message("hallo", **chat))).status == 200

    await asyncio.to_thread(private_pg.stop)
    try:
        response = await _bounded(
            client.post("/api/v1/tickets", json=_ticket("during"), headers=AUTH)
        )
        assert response.status == 503
        body = await response.json()
        assert body["error"] and body["message"]
        response = await _bounded(client.get(f"/api/v1/tickets/{number}", headers=AUTH))
        assert response.status == 503
        response = await _bounded(
            client.post("/api/messages", json=teams_message("de verwarming is kapot", **chat))
        )
        assert response.status == 200
        replies = (await response.json())["activities"]
        assert [r.get("text") for r in replies] == [t("nl", "error")]
        click = card_invoke("ticket.take", {"ticket": number, "version": 1}, "http://127.0.0.1:9/")
        response = await _bounded(client.post("/api/messages", json=click))
        assert response.status == 503
        assert (await response.json())["error"] == "unavailable"
        personal = teams_message("", type="invoke", name="adaptiveCard/action")
        personal["value"] = {"action": {"type": "Action.Execute", "verb": "intake.confirm"}}
        response = await _bounded(client.post("/api/messages", json=personal))
        assert response.status == 503
        body = await response.json()
        assert body["error"] == "unavailable" and body["message"]
        response = await _bounded(client.get("/readyz"))
        assert response.status == 503
    finally:
        await asyncio.to_thread(private_pg.start)

    after = await client.post("/api/v1/tickets", json=_ticket("after"), headers=AUTH)
    assert after.status == 201
    assert (await client.get(f"/api/v1/tickets/{number}", headers=AUTH)).status == 200
    response = await client.post("/api/messages", json=teams_message("hallo", **chat))
    assert response.status == 200
    assert t("nl", "error") not in [r.get("text") for r in (await response.json())["activities"]]
    assert (await client.get("/readyz")).status == 200
    await client.server.app[OUTBOX].run_once()

    engine = sa.create_engine(private_pg.url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as db:
            descriptions = sorted(
                str(row.fields.get("description"))
                for row in db.execute(sa.text("SELECT fields FROM tickets"))
            )
            jobs = [
                r.state
                for r in db.execute(sa.text("SELECT state FROM outbox WHERE kind = 'deliver'"))
            ]
    finally:
        engine.dispose()
    assert descriptions == ["after", "before"]  # the refused one is not there, none twice
    assert jobs == ["done", "done"]
