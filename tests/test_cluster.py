"""``frontoffice serve --workers N`` as real processes (frontoffice/cluster.py).

Two workers on one port and one fresh PostgreSQL database answer employees through
/api/messages (every response names its worker in ``X-Worker``): both workers answer,
every intake becomes exactly one ticket although each "Bevestigen" is clicked twice at
once and once more later (each on a new connection, so on either worker), and SIGTERM to the parent stops both workers cleanly.
A worker that dies is not hidden: the parent logs it at ERROR, stops the other and
exits 1. More than one worker on SQLite is refused with the command to use instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from servicedesk.persistence.database import create_engine
from servicedesk.persistence.database import tickets as tickets_table
from tests.chat import Chat, buttons
from tests.conftest import PG_URL, _fresh_pg_database
from tests.playground import FRONTOFFICE_BIN, ROOT, free_port

USERS = 16


class Cluster:
    """``frontoffice serve --workers N`` in its own process group, output to a file."""

    def __init__(self, workdir: Path, db_url: str, workers: int = 2) -> None:
        self.log_path = workdir / "cluster.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTOFFICE_", "Micro"))}
        env.update(
            FRONTOFFICE_DB_URL=db_url,
            FRONTOFFICE_LOG_FORMAT="text",
            FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS="0",
            FRONTOFFICE_POLL_SECONDS="0",
        )
        workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(FRONTOFFICE_BIN), "serve", "--workers", str(workers)]
                + ["--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def workers(self) -> list[int]:
        """The pids of the parent's children (the workers)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    async def until_ready(self, workers: int, seconds: float = 60.0) -> None:
        """Until /healthz answers from every worker (new connections land on either)."""
        seen: set[str] = set()
        deadline = time.monotonic() + seconds
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, self.log()
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            seen.add(response.headers.get("X-Worker", ""))
                except aiohttp.ClientError:
                    pass
                if len(seen) == workers:
                    return
                await asyncio.sleep(0.05)
        raise AssertionError(f"workers {seen} after {seconds} s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


class HttpClient:
    """What ``tests.chat.Chat`` needs of a test client, over real HTTP: every request on a
    new connection, so that the kernel may hand it to either worker; notes the worker."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url, self.session = url, session
        self.workers: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    async def post(self, path: str, json: Any) -> aiohttp.ClientResponse:
        response = await self.session.post(f"{self.url}{path}", json=json)
        await response.read()
        self.workers[response.headers.get("X-Worker", "?")] += 1
        self.statuses[response.status] += 1
        return response


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("FRONTOFFICE_TEST_PG_URL is not set")
    yield from _fresh_pg_database()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_workers_share_the_port_and_the_work_and_stop_together(
    tmp_path: Path, pg_url: str
) -> None:
    cluster = Cluster(tmp_path / "run1", pg_url)
    try:
        await cluster.until_ready(2)
        pids = cluster.workers()
        assert len(pids) == 2
        connector = aiohttp.TCPConnector(force_close=True, limit=8)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = HttpClient(cluster.url, session)

            async def employee(n: int) -> None:
                chat = Chat(
                    cast(TestClient, client), user=f"aad-{n:02d}", conversation=f"a:p-{n:02d}"
                )
                await chat.say("Wat kost een werklunch per persoon?")
                assert chat.text(), "an answer"
                await chat.say(f"De lamp in kamer 2.{n:02d} van het Stadskantoor is kapot")
                verb, data = buttons(chat.cards()[-1])["Bevestigen"]
                # twice at once (a double click; Teams retrying), each on a new connection
                first, second = await asyncio.gather(chat.click(verb, data), chat.click(verb, data))
                assert "FM-" in str(first) and str(first) == str(second)
                third = await chat.click(verb, data)  # and later once more
                assert str(third) == str(first)

            await asyncio.gather(*(employee(n) for n in range(USERS)))
        assert client.statuses == {200: USERS * 5}
        assert set(client.workers) == {"1", "2"}, client.workers  # both answered

        engine = create_engine(pg_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.select(tickets_table.c.requester_id, tickets_table.c.number)
                ).all()
        finally:
            engine.dispose()
        assert Counter(r.requester_id for r in rows) == {f"aad-{n:02d}": 1 for n in range(USERS)}
        assert len({r.number for r in rows}) == USERS

        cluster.proc.send_signal(signal.SIGTERM)  # the parent only: it tells the workers
        assert cluster.proc.wait(40) == 0, cluster.log()
        assert all(_gone(pid) for pid in pids)
        log = cluster.log()
        assert "stopping the workers" in log
        assert "ERROR" not in log and "Traceback" not in log, log
    finally:
        cluster.stop()

    # started again on the same database (at head: nothing to migrate); a worker dies
    cluster = Cluster(tmp_path / "run2", pg_url)
    try:
        await cluster.until_ready(2)
        first, other = cluster.workers()
        os.kill(first, signal.SIGKILL)
        assert cluster.proc.wait(40) == 1, cluster.log()
        assert _gone(other)
        assert "ERROR" in cluster.log() and "worker exited; stopping the others" in cluster.log()
    finally:
        cluster.stop()


def test_several_workers_on_sqlite_are_refused_with_the_command_to_use(tmp_path: Path) -> None:
    db = tmp_path / "fo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTOFFICE_")}
    result = subprocess.run(
        [str(FRONTOFFICE_BIN), "serve", "--workers", "2", "--db", f"sqlite:///{db}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs PostgreSQL" in result.stderr and "postgresql://" in result.stderr
    assert not db.exists()  # refused before anything was done
    env["FRONTOFFICE_WORKERS"] = "3"
    result = subprocess.run(
        [str(FRONTOFFICE_BIN), "serve", "--db", f"sqlite:///{db}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--workers 3 needs PostgreSQL" in result.stderr


# -- what several processes share on one PostgreSQL ---------------------------------------


async def test_two_confirms_of_one_intake_at_once_make_one_ticket(client: TestClient) -> None:
    from bot.keys import TICKETS

    chat = Chat(client)
    await chat.say("De lamp in kamer 2.14 van het Stadskantoor is kapot")
    verb, data = buttons(chat.cards()[-1])["Bevestigen"]
    first, second = await asyncio.gather(chat.click(verb, data), chat.click(verb, data))
    assert "FM-" in str(first) and str(first) == str(second)
    assert len(await client.server.app[TICKETS].find("aad-user-1", open_only=False)) == 1


@pytest.mark.slow
@pytest.mark.postgres
def test_processes_starting_together_migrate_one_after_the_other(pg_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTOFFICE_")}
    command = [str(FRONTOFFICE_BIN), "migrate", "--db", pg_url]
    # without the advisory lock, all but one fail: relation "alembic_version" already exists
    starts = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [(p.wait(60), *(stream.decode() for stream in p.communicate())) for p in starts]
    assert [code for code, _, _ in results] == [0] * 4, results
    assert len({out for _, out, _ in results}) == 1  # "database at revision …"


@pytest.mark.postgres
async def test_background_work_runs_in_one_process_at_a_time(pg_url: str) -> None:
    from servicedesk.persistence.locks import one_at_a_time

    first, second = create_engine(pg_url), create_engine(pg_url)  # two processes' pools
    try:
        async with one_at_a_time(first, "backoffice-poll") as mine:
            assert mine
            async with one_at_a_time(second, "backoffice-poll") as theirs:
                assert not theirs
            async with one_at_a_time(second, "insight") as other_work:
                assert other_work
        async with one_at_a_time(second, "backoffice-poll") as theirs:
            assert theirs  # given back
    finally:
        first.dispose()
        second.dispose()
