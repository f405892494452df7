"""The parts of ``bench/bench_load.py`` around the employees: the processes it starts
(``frontoffice serve``, the echo bot, a fresh database), the fake Bot Connector, the
ledger of what the employees were told, and the check after the run that nothing was
lost or doubled."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge" / "default"
ADMIN = "bench-admin"
API_TOKEN = "bench-token"
TENANT = "bench-tenant"
NUMBER = re.compile(r"FM-\d{4}-\d{6}")
TIMEOUT = aiohttp.ClientTimeout(total=60)


# -- the fake Bot Connector -------------------------------------------------------------


class Connector:
    """Takes what the bot posts (new messages, replies, updates) and keeps it."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.puts = 0
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        self.app.router.add_post(
            "/v3/conversations/{conversation}/activities/{reply_to}", self._post
        )
        self.app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_conversation"] = request.match_info["conversation"]
        body["_reply_to"] = request.match_info.get("reply_to")
        self.posts.append(body)
        return web.json_response({"id": uuid.uuid4().hex})

    async def _put(self, request: web.Request) -> web.Response:
        await request.read()
        self.puts += 1
        return web.json_response({"id": request.match_info["activity"]})


# -- processes ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.poll() is not None:
                tail = _tail(log)
                raise SystemExit(f"{url}: the process ended ({process.returncode}):\n{tail}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not become ready")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


def _start(
    command: list[str], log: Path, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [_frontoffice(), "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"frontoffice migrate failed:\n{done.stderr}")


def _stop(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def fresh_database(kind: str, pg_url: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        return
    admin = sa.create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"fo_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
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


def _frontoffice() -> str:
    found = Path(sys.executable).parent / "frontoffice"
    return str(found) if found.exists() else (shutil.which("frontoffice") or "frontoffice")


@dataclass
class Ledger:
    """What the employees saw: the tickets confirmed to them."""

    confirmed: dict[str, str] = field(default_factory=dict)  # number -> employee id
    confirmations: Counter[str] = field(default_factory=Counter)  # employee id -> confirms


# -- the integrity check -------------------------------------------------------------------


async def check(
    base: str, db_url: str, connector: Connector, ledger: Ledger, wait: float
) -> list[str]:
    """Wait for the tickets' channel cards, resolve every ticket, wait for the completion
    notices, then compare the database and the connector with the ledger."""
    lines: list[str] = []
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    resolve_errors = 0
    refused: list[str] = []

    async def resolve_all() -> None:
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=headers) as session:
            semaphore = asyncio.Semaphore(20)

            async def resolve(number: str) -> None:
                nonlocal resolve_errors
                async with semaphore:
                    body = {
                        "type": "resolve",
                        "actor": {"id": "bench-staff", "name": "Bench"},
                        "note": "Opgelost.",
                    }
                    async with session.post(
                        f"{base}/api/v1/tickets/{number}/events", json=body
                    ) as response:
                        if response.status != 200:
                            resolve_errors += 1
                            refused.append(
                                f"{number}: {response.status} {(await response.text())[:200]}"
                            )

            await asyncio.gather(*(resolve(n) for n in ledger.confirmed))

    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT number, requester_id FROM tickets")).all()
        per_requester = Counter(str(r.requester_id) for r in rows)
        numbers = Counter(str(r.number) for r in rows)
        confirmed = set(ledger.confirmed)
        missing = confirmed - set(numbers)
        unexpected = set(numbers) - confirmed
        doubled = [n for n, c in numbers.items() if c > 1]
        wrong_count = [
            who for who, count in ledger.confirmations.items() if per_requester[who] != count
        ]
        lines.append(
            f"tickets: {len(confirmed)} confirmed to employees, {len(numbers)} in the database; "
            f"missing {len(missing)}, not confirmed {len(unexpected)}, doubled {len(doubled)}, "
            f"employees with another count than they confirmed {len(wrong_count)}"
        )

        def cards() -> Counter[str]:
            seen: Counter[str] = Counter()
            for post in list(connector.posts):
                if not str(post["_conversation"]).startswith("19:"):
                    continue
                for number in set(NUMBER.findall(json.dumps(post.get("attachments")))):
                    seen[number] += 1
            return seen

        def notices() -> Counter[str]:
            seen: Counter[str] = Counter()
            for post in list(connector.posts):
                conversation = str(post["_conversation"])
                if not conversation.startswith("a:"):
                    continue
                for number in set(NUMBER.findall(json.dumps(post, ensure_ascii=False))):
                    if ledger.confirmed.get(number) == conversation[2:]:
                        seen[number] += 1
            return seen

        def deferred() -> set[str]:
            """Completion notices held for business hours (not urgent, sent after hours)."""
            with engine.connect() as connection:
                held = connection.execute(
                    sa.text(
                        "SELECT t.number FROM notifications n JOIN tickets t "
                        "ON t.id = n.ticket_id WHERE n.kind = 'completion' "
                        "AND n.recipient LIKE 'user:%' AND n.state = 'pending' "
                        "AND n.last_error = 'waits for business hours'"
                    )
                ).all()
            return {str(r.number) for r in held}

        # the cards first: a ticket resolved before its card is posted gets none
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if all(cards()[n] >= 1 for n in confirmed):
                break
            await asyncio.sleep(0.5)
        await resolve_all()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            waiting = deferred()
            if all(cards()[n] >= 1 and (notices()[n] >= 1 or n in waiting) for n in confirmed):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # anything doubled would arrive now
        card_count, notice_count, waiting = cards(), notices(), deferred()
        for what, counted in (("channel cards", card_count), ("completion notices", notice_count)):
            held = {n for n in confirmed if counted[n] == 0 and n in waiting}
            if what == "channel cards":
                held = set()
            lost = [n for n in confirmed if counted[n] == 0 and n not in held]
            twice = [n for n in confirmed if counted[n] > 1]
            lines.append(
                f"{what}: {sum(counted[n] == 1 for n in confirmed)} of {len(confirmed)} "
                f"sent once"
                + (f", {len(held)} held for business hours (not sent)" if held else "")
                + f"; lost {len(lost)}, doubled {len(twice)}"
            )
        with engine.connect() as connection:
            states = connection.execute(
                sa.text("SELECT state, count(*) AS n FROM notifications GROUP BY state")
            ).all()
        lines.append(
            "notification rows: "
            + (", ".join(f"{r.state} {r.n}" for r in states) or "none")
            + (f"; resolve calls refused: {resolve_errors}" if resolve_errors else "")
        )
        lines.extend(f"  refused: {line}" for line in refused[:5])
        twice_cards = sorted(n for n in confirmed if card_count[n] > 1)
        for number in twice_cards[:2]:  # what the two posts were
            for post in connector.posts:
                if str(post["_conversation"]).startswith("19:") and number in json.dumps(
                    post.get("attachments")
                ):
                    lines.append(
                        f"  card post for {number}: {post['_conversation'][:40]} "
                        f"reply_to={post['_reply_to']} "
                        f"{json.dumps(post.get('attachments'), ensure_ascii=False)[:160]}"
                    )
        lost_cards = sorted(n for n in confirmed if card_count[n] == 0)
        if lost_cards:  # what the outbox says about them
            with engine.connect() as connection:
                jobs = connection.execute(
                    sa.text(
                        "SELECT t.number, o.kind, o.state, o.attempts, o.last_error FROM outbox o "
                        "JOIN tickets t ON t.id = o.ticket_id WHERE t.number IN :numbers"
                    ).bindparams(sa.bindparam("numbers", expanding=True)),
                    {"numbers": lost_cards[:5]},
                ).all()
            lines.extend(
                f"  outbox: {j.number} {j.kind} {j.state} attempts {j.attempts} "
                f"{(j.last_error or '')[:120]}"
                for j in jobs
            )
        ok = (
            not missing
            and not unexpected
            and not doubled
            and not wrong_count
            and not resolve_errors
            and all(card_count[n] == 1 for n in confirmed)
            and all(
                notice_count[n] == 1 or (notice_count[n] == 0 and n in waiting) for n in confirmed
            )
        )
        lines.append("integrity: OK (nothing lost, nothing doubled)" if ok else "integrity: FAILED")
    finally:
        engine.dispose()
    return lines
