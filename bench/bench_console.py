"""Latency of the desk console's pages, measured at the client over loopback against the
whole app in this process (SQLite in a temporary folder, the shipped knowledge):

    .venv/bin/python bench/bench_console.py [--requests 200] [--tickets 500]

Pages: the desk search (the bot's decision pipeline and the product's conditions), the
ticket form's check (intake checks, known-problem look-up, the summary with the SLA
clock), the ticket list (first page, and filtered on "at risk", which judges every open
ticket on the business-hours clock) and a ticket page. Prints p50 / p90 / p99 in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.keys import TICKETS  # noqa: E402
from frontoffice.settings import Settings  # noqa: E402
from servicedesk.clock import FixedClock  # noqa: E402
from servicedesk.service import NewTicket  # noqa: E402
from servicedesk.tickets import Channel, Requester  # noqa: E402

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
TUESDAY_10AM = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _figures(name: str, samples: list[float]) -> str:
    samples.sort()
    q = statistics.quantiles(samples, n=100)
    return f"{name:<34} p50 {q[49]:6.1f}  p90 {q[89]:6.1f}  p99 {q[98]:6.1f} ms  (n={len(samples)})"


async def main(requests: int, ticket_count: int) -> None:
    folder = Path(tempfile.mkdtemp())
    settings = Settings(
        db_url=f"sqlite:///{folder}/bench.db",
        knowledge_reload_seconds=0,
        outbox_seconds=0,
        poll_seconds=0,
        notify_seconds=0,
        insight_flush_seconds=0,
        log_level="WARNING",
    )
    app = create_app(settings, clock=FixedClock(TUESDAY_10AM))
    async with TestClient(TestServer(app)) as client:
        tickets = app[TICKETS]
        for i in range(ticket_count):
            await tickets.create(
                NewTicket(
                    "storing.verwarming" if i % 2 else "storing.lekkage",
                    Requester(f"aad-{i}", f"Medewerker {i}", f"m{i}@example.org"),
                    Channel.PHONE,
                    {"location": f"Stadskantoor, kamer {i % 40}.{i % 17}", "description": "x"},
                )
            )
        page = await client.get("/desk/signin")
        token = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
        await client.post(
            "/desk/signin", data={"_csrf": token, "name": "Bench", "role": "admin"}
        )
        page = await client.get("/desk/signin")
        token = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
        number = "FM-2026-000001"
        form = {
            "_csrf": token,
            "step": "check",
            "caller_name": "Ada",
            "caller_email": "ada@example.org",
            "caller_lang": "nl",
            "channel": "phone",
            "f_building": "Werf",
            "f_place": "kantine",
            "f_description": "lekkage in de kantine",
        }
        cases = {
            "search 'lekkage in de kantine'": lambda: client.get(
                "/desk/search", params={"q": "lekkage in de kantine"}
            ),
            "search 'wat kost een werklunch?'": lambda: client.get(
                "/desk/search", params={"q": "wat kost een werklunch?"}
            ),
            "form check (summary)": lambda: client.post("/desk/file/storing.lekkage", data=form),
            f"ticket list ({ticket_count} tickets)": lambda: client.get("/desk/tickets"),
            "ticket list, at risk": lambda: client.get("/desk/tickets", params={"sla": "at_risk"}),
            "ticket page": lambda: client.get(f"/desk/tickets/{number}"),
        }
        print(f"bench_console: {requests} requests per page, {ticket_count} tickets, SQLite")
        for name, call in cases.items():
            for _ in range(10):  # warm-up
                response = await call()
                assert response.status == 200, (name, response.status, await response.text())
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await call()
                await response.read()
                samples.append((time.perf_counter() - started) * 1000)
            print(_figures(name, samples))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.tickets))
