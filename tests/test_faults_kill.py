"""SIGKILL of ``frontoffice serve`` in the middle of a burst, on PostgreSQL.

A real ``serve`` subprocess on a fresh database, a fake Bot Connector and the burst:
tickets through the ticket API (their requesters chatted before, so each gets a receipt),
chat intakes to confirmation, an intake left half-way, and ``take`` clicks on the queue
cards. The process is killed with SIGKILL mid-burst, started again and left to settle.
Then: every ticket whose creation was acknowledged exists once (and no request made two),
the half-way intake continues where it was, every ticket has its queue card posted once
(the fake connector's POSTs per ticket; a second POST only where the store counts a
stale intent reposted, the documented window), every receipt went out at most once and
none is left pending, and no notification reached a chat twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from tests.chat import Chat, buttons
from tests.conftest import PG_URL, FakeConnector, _fresh_pg_database
from tests.test_queue_channel import CHANNEL, STAFF, card_invoke, channel_message, data_of
from tests.test_queue_channel import knowledge_dir as knowledge_dir  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="needs FRONTOFFICE_TEST_PG_URL (a PostgreSQL server)"),
]
TOKEN = "kill-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
API_TICKETS, INTAKES, SETTLE_SECONDS = 24, 6, 40.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """``frontoffice serve`` as a subprocess that can be killed and started again."""

    def __init__(self, db_url: str, knowledge: Path, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {
            **os.environ,
            "FRONTOFFICE_DB_URL": db_url,
            "FRONTOFFICE_KNOWLEDGE_DIR": str(knowledge),
            "FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS": "0",
            "FRONTOFFICE_API_TOKEN": TOKEN,
            "FRONTOFFICE_OUTBOX_SECONDS": "0.2",
            "FRONTOFFICE_OUTBOX_RETRY_SECONDS": "0.5",
            "FRONTOFFICE_OUTBOX_LEASE_SECONDS": "3",
            "FRONTOFFICE_NOTIFY_SECONDS": "0.3",
            "FRONTOFFICE_NOTIFY_RETRY_SECONDS": "0.5",
            "FRONTOFFICE_NOTIFY_LEASE_SECONDS": "3",
            "FRONTOFFICE_POLL_SECONDS": "0",
            "FRONTOFFICE_LOG_FORMAT": "text",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "frontoffice.cli", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        await asyncio.to_thread(self._spawn)
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"serve did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def pg_db() -> Iterator[str]:
    yield from _fresh_pg_database()


@pytest.fixture
async def serve(
    pg_db: str,
    knowledge_dir: Path,
    tmp_path: Path,  # noqa: F811
) -> AsyncIterator[Serve]:
    organisation = knowledge_dir / "organisation.yaml"  # always open: receipts go out now
    text = organisation.read_text("utf-8")
    always = 'days: [mon, tue, wed, thu, fri, sat, sun]\n  open: "00:00"\n  close: "23:59"'
    text = text.replace(
        'days: [mon, tue, wed, thu, fri]\n  open: "08:00"\n  close: "17:30"', always
    )
    assert always in text
    organisation.write_text(text, "utf-8")
    app = Serve(pg_db, knowledge_dir, tmp_path / "serve.log")
    yield app
    app.stop()


async def test_a_sigkill_mid_burst_loses_and_doubles_nothing(
    serve: Serve, connector: tuple[FakeConnector, str], pg_db: str
) -> None:
    fake, connector_url = connector
    await serve.start()
    async with aiohttp.ClientSession(
        base_url=serve.url, timeout=aiohttp.ClientTimeout(total=20)
    ) as http:
        # the queue's channel, and requesters who chatted once (so receipts can reach them)
        response = await http.post(
            "/api/messages", json=channel_message("koppel technische-dienst", connector_url)
        )
        assert response.status == 200
        for n in range(API_TICKETS):
            await _chat(http, f"aad-api-{n}").say("hallo", serviceUrl=connector_url)
        half_way = _chat(http, "aad-half")
        await half_way.say(
            "De lamp in kamer 2.14 van het Stadskantoor is kapot", serviceUrl=connector_url
        )
        assert "Bevestigen" in _titles(half_way)

        acknowledged: dict[str, str] = {}  # marker -> ticket number (201 seen)
        confirmed: dict[str, str] = {}  # intake user -> confirmation text
        clicks: list[int] = []

        async def api_ticket(n: int) -> None:
            marker = f"burst-{n}-{uuid.uuid4().hex[:6]}"
            body = {
                "product": "storing.verwarming",
                "requester": {"id": f"aad-api-{n}", "name": "Ada", "language": "nl"},
                "channel": "phone",
                "fields": {"location": "Stadskantoor 2.14", "cost_centre": "4711"},
                "description": marker,
            }
            await asyncio.sleep(n * 0.05)
            try:
                async with http.post("/api/v1/tickets", json=body, headers=AUTH) as response:
                    if response.status == 201:
                        acknowledged[marker] = (await response.json())["number"]
            except (aiohttp.ClientError, TimeoutError):
                pass  # in flight when the process died: may or may not exist, never twice

        async def intake(n: int) -> None:
            chat = _chat(http, f"aad-intake-{n}")
            await asyncio.sleep(n * 0.1)
            try:
                await chat.say(
                    "De lamp in kamer 3.01 van het Stadskantoor is kapot", serviceUrl=connector_url
                )
                card = await chat.press("Bevestigen")
                confirmed[chat.user] = json.dumps(card)
            except (aiohttp.ClientError, TimeoutError, AssertionError):
                pass

        async def take_clicks() -> None:
            for _ in range(15):
                await asyncio.sleep(0.1)
                for card in list(fake.cards()):
                    take = [v for v, d in buttons(card).values() if v == "ticket.take"]
                    if not take:
                        continue
                    activity = card_invoke("ticket.take", data_of(card), connector_url, STAFF)
                    try:
                        async with http.post("/api/messages", json=activity) as response:
                            clicks.append(response.status)
                    except (aiohttp.ClientError, TimeoutError):
                        clicks.append(0)

        async def killer() -> None:
            await asyncio.sleep(0.8)
            await asyncio.to_thread(serve.kill)

        await asyncio.gather(
            *(api_ticket(n) for n in range(API_TICKETS)),
            *(intake(n) for n in range(INTAKES)),
            take_clicks(),
            killer(),
        )
        await serve.start()
        # the half-way intake goes on where it was
        card = await half_way.press("Bevestigen")
        assert "Bevestigen" not in buttons(card)
        await _settle(pg_db, serve.log)

    engine = sa.create_engine(pg_db.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as db:
            tickets = list(db.execute(sa.text("SELECT number, fields, requester_id FROM tickets")))
            cards = list(
                db.execute(
                    sa.text(
                        "SELECT t.number, c.activity_id, c.reposts FROM card_messages c "
                        "JOIN tickets t ON t.id = c.ticket_id"
                    )
                )
            )
            receipts = list(
                db.execute(
                    sa.text(
                        "SELECT t.number, n.state FROM notifications n JOIN tickets t "
                        "ON t.id = n.ticket_id WHERE n.kind = 'confirmation' "
                        "AND n.recipient LIKE 'user:%'"
                    )
                )
            )
            steps = Counter(
                (r.number, r.type)
                for r in db.execute(
                    sa.text(
                        "SELECT t.number, e.type FROM ticket_events e "
                        "JOIN tickets t ON t.id = e.ticket_id"
                    )
                )
            )
    finally:
        engine.dispose()

    # card clicks: a take is applied once or not at all; every event of a ticket once
    assert all(count == 1 for (_, kind), count in steps.items() if kind != "delivered"), steps

    # tickets: each acknowledged one exists once; no request made two
    by_description = Counter(
        marker
        for t in tickets
        for marker in [m for m in json.dumps(t.fields).split('"') if m.startswith("burst-")]
    )
    assert acknowledged, "the burst created tickets before the kill"
    for marker, number in acknowledged.items():
        assert by_description[marker] == 1, marker
        assert number in {t.number for t in tickets}
    assert all(count == 1 for count in by_description.values()), by_description
    per_requester = Counter(t.requester_id for t in tickets)
    assert all(count == 1 for count in per_requester.values()), per_requester
    assert per_requester["aad-half"] == 1  # the dialog state survived the kill
    for user in confirmed:
        assert per_requester[user] == 1

    # queue cards: every ticket has its card, posted once (or once more, counted)
    posted = Counter(
        a.get("summary")
        for a in fake.posts
        if a["_conversation"] == CHANNEL and not a.get("_reply_to") and a.get("attachments")
    )
    reposts = {c.number: c.reposts for c in cards}
    for ticket in tickets:
        assert ticket.number in reposts, f"no card for {ticket.number}"
        assert 1 <= posted[ticket.number] <= 1 + reposts[ticket.number], ticket.number
    assert all(c.activity_id for c in cards)

    # receipts: none left pending; none twice in a chat; no notification doubled
    assert {r.state for r in receipts} <= {"sent", "unconfirmed", "skipped"}
    personal = Counter(
        (a["_conversation"], json.dumps([a.get("text"), a.get("attachments")], sort_keys=True))
        for a in fake.posts
        if a["_conversation"].startswith("a:")
    )
    assert all(count == 1 for count in personal.values()), [k for k, c in personal.items() if c > 1]
    sent = {r.number for r in receipts if r.state == "sent"}
    for number in acknowledged.values():
        assert number in sent or number in {r.number for r in receipts if r.state == "unconfirmed"}
    assert clicks, "card clicks were made during the burst"
    print(  # shown with -s: how the kill fell
        f"kill: {len(acknowledged)}/{API_TICKETS} API tickets acknowledged, "
        f"{len(confirmed)}/{INTAKES} intakes confirmed, {len(tickets)} tickets, "
        f"clicks {Counter(clicks)}, reposted cards {sum(reposts.values())}, "
        f"cards in the channel twice {sum(1 for t in tickets if posted[t.number] > 1)}"
    )


def _chat(http: aiohttp.ClientSession, user: str) -> Chat:
    return Chat(http, user=user, name=f"Name {user}", conversation=f"a:{user}")  # type: ignore[arg-type]


def _titles(chat: Chat) -> set[str]:
    return {title for card in chat.cards() for title in buttons(card)}


async def _settle(db_url: str, log: Path) -> None:
    """Wait until the outbox and the notification schedule have nothing left to do."""
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    query = sa.text(
        "SELECT (SELECT count(*) FROM outbox WHERE state NOT IN ('done', 'failed')) + "
        "(SELECT count(*) FROM notifications WHERE state IN ('pending', 'claimed', 'sending') "
        " AND kind = 'confirmation') + "
        "(SELECT count(*) FROM card_messages WHERE activity_id IS NULL)"
    )
    try:
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            with engine.connect() as db:
                if db.execute(query).scalar_one() == 0:
                    return
            await asyncio.sleep(0.5)
        with engine.connect() as db:
            left = {
                "outbox": list(
                    db.execute(
                        sa.text(
                            "SELECT kind, state, attempts, last_error FROM outbox WHERE state NOT IN ('done', 'failed')"
                        )
                    )
                ),
                "notifications": list(
                    db.execute(
                        sa.text(
                            "SELECT recipient, state, attempts, last_error FROM notifications WHERE state IN ('pending', 'claimed', 'sending') AND kind = 'confirmation'"
                        )
                    )
                ),
                "cards": list(
                    db.execute(sa.text("SELECT * FROM card_messages WHERE activity_id IS NULL"))
                ),
            }
        raise AssertionError(f"the app did not settle ({log}): {left}")
    finally:
        engine.dispose()
