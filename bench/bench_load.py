"""Load on /api/messages: the front office next to a stock botbuilder echo bot, same run.

Everything runs on loopback as separate processes: ``frontoffice serve`` (local mode, a
fresh SQLite file or a fresh PostgreSQL database), the stock botbuilder 4.17.1 echo bot
of ``bench/echo_bot.py`` (msrest unpatched), and this process, which plays the employees
(one personal chat each, closed loop: the next request goes when the answer is in) and
runs a fake Bot Connector (a real aiohttp server; the activities' ``serviceUrl`` points
to it) for what does not come back through ``expectReplies``: ticket cards posted in the
queues' channels and notifications in the employees' chats.

Scenarios, each at every concurrency (10, 50, 200 conversations by default):

- ``faq``: FAQ questions from the shipped knowledge, ``deliveryMode: expectReplies``.
- ``mix``: per employee, in a loop: an FAQ question and a click on its feedback button
  (``adaptiveCard/action`` invoke), a whole intake (the bot's replies are read to see
  what it asks; its questions are answered; the summary's Confirm is clicked), "mijn
  meldingen" and "status FM-…" of their own ticket.

The echo bot answers the same FAQ traffic at the same concurrency just before; the ratio
is ours over the echo bot's requests per second. After the runs the bench resolves every
ticket through the ticket API and checks, from the database and the fake connector, that
every confirmed ticket exists once, every ticket's card reached its queue's channel once,
and every completion notice reached its employee once.

Run: ``.venv/bin/python bench/bench_load.py`` (quick: a few minutes); ``--help`` for the
full settings (``--duration 20 --db both --workers 1,2``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # load_parts, beside this file
from load_parts import (  # noqa: E402
    ADMIN,
    API_TOKEN,
    KNOWLEDGE,
    NUMBER,
    ROOT,
    TENANT,
    TIMEOUT,
    Connector,
    Ledger,
    _free_port,
    _frontoffice,
    _migrate,
    _start,
    _stop,
    _wait_ready,
    check,
    fresh_database,
)

# Intakes whose questions the bench knows how to answer (see ``_answer``).
INTAKES = [
    ("nl", "de verwarming doet het niet"),
    ("nl", "Er drupt water uit het plafond in de gang"),
    ("en", "The lift is stuck between two floors"),
    ("nl", "het is veel te koud op mijn werkplek"),
    ("en", "There is a leak in the ceiling near the printers"),
]


# -- employees ---------------------------------------------------------------------------


@dataclass
class Cell:
    """The figures of one scenario at one concurrency."""

    latencies: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    flows: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def merge(self, other: Cell) -> None:
        self.latencies.extend(other.latencies)
        self.kinds.update(other.kinds)
        self.errors.update(other.errors)
        self.flows.update(other.flows)
        self.seconds += other.seconds

    def row(self) -> dict[str, float]:
        data = sorted(self.latencies)
        if not data:
            return {"rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}

        def pick(share: float) -> float:
            return data[min(len(data) - 1, int(len(data) * share))]

        return {
            "rps": len(data) / self.seconds,
            "p50": statistics.median(data),
            "p95": pick(0.95),
            "p99": pick(0.99),
            "n": len(data),
        }




class Employee:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        service_url: str,
        name: str,
        language: str,
        cell: Cell,
        window: Window,
    ) -> None:
        self.session = session
        self.url = url
        self.service_url = service_url
        self.id = name
        self.language = language
        self.cell = cell
        self.window = window
        self.tickets: list[str] = []

    def _activity(self, **extra: Any) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "timestamp": "2026-12-04T10:00:00.000Z",
            "from": {"id": f"29:{self.id}", "name": "Bench Employee", "aadObjectId": self.id},
            "conversation": {
                "id": f"a:{self.id}",
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "recipient": {"id": "28:bench-bot", "name": "Frontoffice"},
            "locale": "en-GB" if self.language == "en" else "nl-NL",
            "channelData": {"tenant": {"id": TENANT}},
        }
        activity.update(extra)
        return activity

    async def _post(self, kind: str, body: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, json=body) as response:
                payload = await response.json() if response.status == 200 else None
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.window.record(self.cell, kind, started, error=type(exc).__name__)
            return None
        error = None if status in (200, 201) else f"HTTP {status}"
        self.window.record(self.cell, kind, started, error=error)
        return payload

    async def say(self, text: str, kind: str) -> list[dict[str, Any]]:
        body = self._activity(type="message", text=text, deliveryMode="expectReplies")
        payload = await self._post(kind, body)
        return list(payload.get("activities") or []) if isinstance(payload, dict) else []

    async def click(self, verb: str, data: dict[str, Any], kind: str) -> dict[str, Any] | None:
        body = self._activity(
            type="invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}},
        )
        payload = await self._post(kind, body)
        return payload if isinstance(payload, dict) else None


class Window:
    """The measured interval: requests that end inside it count."""

    def __init__(self, warmup: float, duration: float) -> None:
        now = time.perf_counter()
        self.start = now + warmup
        self.end = self.start + duration

    @property
    def over(self) -> bool:
        return time.perf_counter() >= self.end

    def record(self, cell: Cell, kind: str, started: float, error: str | None) -> None:
        ended = time.perf_counter()
        if not self.start <= ended <= self.end:
            if error:  # errors count whenever they happen
                cell.errors[error] += 1
            return
        if error:
            cell.errors[error] += 1
            return
        cell.latencies.append((ended - started) * 1000)
        cell.by_kind[kind].append((ended - started) * 1000)
        cell.kinds[kind] += 1


def _actions(activities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for activity in activities:
        for attachment in activity.get("attachments") or []:
            content = attachment.get("content")
            if isinstance(content, dict):
                for action in content.get("actions") or []:
                    if isinstance(action, dict) and action.get("verb"):
                        found.setdefault(str(action["verb"]), action.get("data") or {})
    return found


def _text(activities: list[dict[str, Any]]) -> str:
    return json.dumps(activities, ensure_ascii=False).lower()


def _answer(question: str, language: str, rng: random.Random) -> str | None:
    """An answer to what the bot asks, or None when the bench does not know it."""
    floor = rng.randint(1, 4)
    room = f"{floor}.{rng.randint(1, 30):02d}"
    if "welke verdieping" in question or "which floor" in question:
        return f"{floor}e verdieping" if language == "nl" else f"floor {floor}"
    if "welk gebouw" in question or "which building" in question:
        return rng.choice(["Stadskantoor", "Werf", "Depot Noord"])
    if "waar is het" in question or "where is it" in question or "waar " in question:
        building = rng.choice(["Stadskantoor", "Werf", "Depot Noord"])
        if language == "nl":
            return f"{building}, {floor}e verdieping, kamer {room}"
        return f"{building}, floor {floor}, room {room}"
    return None


async def faq_loop(
    employee: Employee, questions: list[tuple[str, str]], rng: random.Random
) -> None:
    while not employee.window.over:
        _, question = rng.choice(questions)
        await employee.say(question, "faq")


async def mix_loop(
    employee: Employee, questions: list[tuple[str, str]], rng: random.Random, ledger: Ledger
) -> None:
    while not employee.window.over:
        language, question = rng.choice(questions)
        replies = await employee.say(question, "faq")
        vote = _actions(replies).get("faq.vote")
        if vote is not None and not employee.window.over:
            await employee.click("faq.vote", vote, "click")
        if employee.window.over:
            break
        await intake(employee, rng, ledger)
        if employee.window.over:
            break
        await employee.say("mijn meldingen", "status")
        if employee.tickets and not employee.window.over:
            await employee.say(f"status {employee.tickets[-1]}", "status")


async def intake(employee: Employee, rng: random.Random, ledger: Ledger) -> None:
    language, text = rng.choice(INTAKES)
    replies = await employee.say(text, "intake")
    for _ in range(8):
        actions = _actions(replies)
        if "intake.confirm" in actions:
            answer = await employee.click("intake.confirm", actions["intake.confirm"], "confirm")
            numbers = NUMBER.findall(json.dumps(answer)) if answer else []
            if numbers:
                ledger.confirmed[numbers[0]] = employee.id
                ledger.confirmations[employee.id] += 1
                employee.tickets.append(numbers[0])
                employee.cell.flows["ticket"] += 1
            else:
                employee.cell.flows["confirm without a ticket number"] += 1
            return
        for verb in ("duplicate.file", "intake.keep"):
            if verb in actions:
                answer = await employee.click(verb, actions[verb], "click")
                replies = [{"attachments": [{"content": (answer or {}).get("value")}]}]
                break
        else:
            reply = _answer(_text(replies), language, rng)
            if reply is None:
                employee.cell.flows["intake question the bench cannot answer"] += 1
                await employee.say("stop", "intake")
                return
            replies = await employee.say(reply, "intake")
    employee.cell.flows["intake not finished in 8 steps"] += 1
    await employee.say("stop", "intake")


async def run_cell(
    url: str,
    service_url: str,
    scenario: str,
    concurrency: int,
    warmup: float,
    duration: float,
    questions: list[tuple[str, str]],
    ledger: Ledger,
    prefix: str,
) -> Cell:
    cell = Cell()
    window = Window(warmup, duration)
    connector = aiohttp.TCPConnector(limit=concurrency + 10, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as session:
        tasks = []
        for number in range(concurrency):
            rng = random.Random(f"{prefix}-{number}")
            language = "en" if number % 4 == 3 else "nl"
            employee = Employee(
                session, url, service_url, f"{prefix}-{number}", language, cell, window
            )
            if scenario == "faq":
                tasks.append(faq_loop(employee, questions, rng))
            else:
                tasks.append(mix_loop(employee, questions, rng, ledger))
        await asyncio.gather(*tasks)
    cell.seconds = duration
    return cell


async def faq_questions(url: str, service_url: str, sample: int) -> list[tuple[str, str]]:
    """FAQ questions from the shipped knowledge that the bot answers with an FAQ card."""
    questions: list[tuple[str, str]] = []
    for path in sorted((KNOWLEDGE / "products").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for faq in data.get("faq") or []:
            for language, texts in (faq.get("questions") or {}).items():
                questions.extend((str(language), str(text)) for text in texts)
    random.Random(7).shuffle(questions)
    kept: list[tuple[str, str]] = []
    cell = Cell()
    window = Window(0, 1e9)
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for number, (language, text) in enumerate(questions[:sample]):
            employee = Employee(
                session, url, service_url, f"calibrate-{number}", language, cell, window
            )
            if "faq.vote" in _actions(await employee.say(text, "faq")):
                kept.append((language, text))
    return kept


async def link_queues(url: str, service_url: str) -> int:
    """``koppel <queue>`` in one channel per queue, as an admin: ticket cards go there."""
    queues = yaml.safe_load((KNOWLEDGE / "queues.yaml").read_text(encoding="utf-8")) or {}
    linked = 0
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for queue in queues:
            channel = f"19:{queue}@thread.tacv2"
            message_id = str(uuid.uuid4().int)[:13]
            body = {
                "type": "message",
                "id": message_id,
                "serviceUrl": service_url,
                "channelId": "msteams",
                "text": f"<at>Frontoffice</at> koppel {queue}",
                "from": {"id": f"29:{ADMIN}", "name": "Bench Admin", "aadObjectId": ADMIN},
                "conversation": {
                    "id": f"{channel};messageid={message_id}",
                    "conversationType": "channel",
                    "tenantId": TENANT,
                },
                "recipient": {"id": "28:bench-bot", "name": "Frontoffice"},
                "entities": [
                    {
                        "type": "mention",
                        "text": "<at>Frontoffice</at>",
                        "mentioned": {"id": "28:bench-bot", "name": "Frontoffice"},
                    }
                ],
                "channelData": {
                    "tenant": {"id": TENANT},
                    "team": {"id": "19:bench-team@thread.tacv2"},
                    "channel": {"id": channel},
                },
                "locale": "nl-NL",
                "deliveryMode": "expectReplies",
            }
            async with session.post(url, json=body) as response:
                if response.status == 200 and "gekoppeld" in await response.text():
                    linked += 1
    return linked


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Result:
    db: str
    workers: int
    scenario: str
    concurrency: int
    ours: Cell
    echo: Cell


async def serve_block(
    args: argparse.Namespace,
    db: str,
    workers: int,
    echo_url: str,
    connector: Connector,
    folder: Path,
    results: list[Result],
    reports: list[str],
) -> None:
    connector.posts.clear()  # ticket numbers start again in every fresh database
    with fresh_database(db, args.pg_url, folder) as db_url:
        port = _free_port()
        env = {
            **os.environ,
            "FRONTOFFICE_DB_URL": db_url,
            "FRONTOFFICE_ADMINS": ADMIN,
            "FRONTOFFICE_API_TOKEN": API_TOKEN,
            "FRONTOFFICE_NOTIFY_RATE": "0",
            "FRONTOFFICE_NOTIFY_SECONDS": "1",
            "FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS": "0",
            "FRONTOFFICE_LOG_LEVEL": args.log_level,
        }
        env.pop("MicrosoftAppId", None)
        if args.source:  # another checkout's code (e.g. main, for before/after figures)
            env["PYTHONPATH"] = args.source
        _migrate(env)
        command = [_frontoffice(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        if args.profile:  # py-spy records the server while the bench runs
            command = [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                "--rate",
                "250",
                "--output",
                f"{args.profile}-{db}-{workers}.txt",
                "--",
                *command,
            ]
        if workers != 1 or args.pass_workers:
            command += ["--workers", str(workers)]
        log = folder / f"serve-{db}-{workers}.log"
        process = _start(command, log, env, cwd=args.source or None)
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                await _wait_ready(f"{base}/healthz", process, log)
            except SystemExit as exc:
                if "--workers" in command and "unrecognized arguments: --workers" in str(exc):
                    raise SystemExit(
                        "frontoffice serve does not accept --workers yet (it comes with the "
                        "cluster work, branch i15-cluster); run with --workers 1"
                    ) from exc
                raise
            url = f"{base}/api/messages"
            linked = await link_queues(url, connector.url)
            questions = await faq_questions(url, connector.url, args.calibrate)
            print(
                f"[{db}, {workers} worker(s)] {linked} queue channels linked; "
                f"{len(questions)} of {args.calibrate} FAQ questions answered as FAQ",
                flush=True,
            )
            ledger = Ledger()
            for concurrency in args.concurrency:
                echo = await run_cell(
                    f"{echo_url}/api/messages",
                    connector.url,
                    "faq",
                    concurrency,
                    args.warmup,
                    args.duration,
                    questions,
                    Ledger(),
                    f"echo-{db}-{workers}-{concurrency}",
                )
                cells = []
                for scenario in args.scenarios:
                    prefix = f"{db}-{workers}-{scenario}-{concurrency}-{uuid.uuid4().hex[:4]}"
                    ours = await run_cell(
                        url,
                        connector.url,
                        scenario,
                        concurrency,
                        args.warmup,
                        args.duration,
                        questions,
                        ledger,
                        prefix,
                    )
                    cells.append((scenario, ours))
                # the echo bot again after ours: the machine is shared, so its figures
                # are the mean of a run just before and one just after
                echo.merge(
                    await run_cell(
                        f"{echo_url}/api/messages",
                        connector.url,
                        "faq",
                        concurrency,
                        args.warmup,
                        args.duration,
                        questions,
                        Ledger(),
                        f"echo2-{db}-{workers}-{concurrency}",
                    )
                )
                for scenario, ours in cells:
                    result = Result(db, workers, scenario, concurrency, ours, echo)
                    results.append(result)
                    print(_line(result), flush=True)
            lines = await check(base, db_url, connector, ledger, args.check_wait)
            if args.keep and db == "sqlite":
                shutil.copy(db_url.removeprefix("sqlite:///"), folder / f"kept-{workers}.db")
            reports.append(f"[{db}, {workers} worker(s)]")
            reports.extend("  " + line for line in lines)
            for line in lines:
                print(f"  {line}", flush=True)
        finally:
            _stop(process, signal.SIGINT if args.profile else signal.SIGTERM)
        if process.returncode not in (0, -signal.SIGTERM):
            reports.append(f"  frontoffice serve ended with {process.returncode}; log: {log}")


def _line(r: Result) -> str:
    o, e = r.ours.row(), r.echo.row()
    ratio = o["rps"] / e["rps"] if e["rps"] else float("nan")
    errors = sum(r.ours.errors.values())
    return (
        f"| {r.db} | {r.workers} | {r.scenario} | {r.concurrency} | {o['rps']:.0f} "
        f"| {o['p50']:.0f} | {o['p95']:.0f} | {o['p99']:.0f} | {errors} "
        f"| {e['rps']:.0f} | {e['p99']:.0f} | {sum(r.echo.errors.values())} | {ratio:.2f} |"
    )


HEADER = (
    "| db | workers | scenario | conversations | req/s | p50 ms | p95 ms | p99 ms | errors "
    "| echo req/s | echo p99 ms | echo errors | ratio |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


async def main(args: argparse.Namespace) -> int:
    connector = Connector()
    await connector.start()
    folder = Path(tempfile.mkdtemp(prefix="frontoffice-bench-"))
    echo_port = _free_port()
    echo_log = folder / "echo.log"
    echo = _start(
        [sys.executable, str(ROOT / "bench" / "echo_bot.py"), "--port", str(echo_port)], echo_log
    )
    echo_url = f"http://127.0.0.1:{echo_port}"
    results: list[Result] = []
    reports: list[str] = []
    try:
        await _wait_ready(f"{echo_url}/healthz", echo, echo_log)
        print(
            f"{os.cpu_count()} cores; {args.duration:g} s per cell after {args.warmup:g} s "
            f"warm-up; closed loop, one personal chat per employee\n",
            flush=True,
        )
        print(HEADER, flush=True)
        for db in args.dbs:
            for workers in args.workers:
                await serve_block(args, db, workers, echo_url, connector, folder, results, reports)
    finally:
        _stop(echo)
        await connector.stop()
    print("\n" + HEADER)
    for result in results:
        print(_line(result))
    mixes = [r for r in results if r.scenario == "mix"]
    if mixes:
        print("\nmix by kind of request: count, p50 / p99 ms")
        for r in mixes:
            parts = []
            for kind, values in sorted(r.ours.by_kind.items()):
                values.sort()
                p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
                parts.append(f"{kind} {len(values)}, {statistics.median(values):.0f}/{p99:.0f}")
            print(f"  {r.db}, {r.workers} worker(s), {r.concurrency}: " + "; ".join(parts))
    flows: Counter[str] = Counter()
    errors: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        flows.update(result.ours.flows)
        for name, count in result.ours.errors.items():
            errors[f"{result.db}/{result.workers}/{result.scenario}/{result.concurrency}"][
                name
            ] += count
    print("intake outcomes:", dict(flows) or "-")
    if errors:
        print("errors:", {k: dict(v) for k, v in errors.items()})
    print("\n" + "\n".join(reports))
    failed = any("FAILED" in line for line in reports) or bool(errors)
    if failed and args.keep:
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--concurrency",
        type=_ints,
        default=[10, 50, 200],
        help="conversations at once, comma-separated (default 10,50,200)",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per cell")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--scenarios", type=lambda s: s.split(","), default=["faq", "mix"])
    parser.add_argument(
        "--db",
        choices=("sqlite", "pg", "both"),
        default=None,
        help="default: both when FRONTOFFICE_TEST_PG_URL is set, else sqlite",
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL too (same as --db both)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("FRONTOFFICE_TEST_PG_URL", ""),
        help="server to create the fresh database on (FRONTOFFICE_TEST_PG_URL)",
    )
    parser.add_argument(
        "--workers",
        type=_ints,
        default=[1],
        help="frontoffice serve --workers N; comma-separated runs (e.g. 1,2)",
    )
    parser.add_argument(
        "--pass-workers", action="store_true", help="pass --workers also when it is 1"
    )
    parser.add_argument(
        "--calibrate",
        type=int,
        default=120,
        help="FAQ questions tried at start (those answered as FAQ are used)",
    )
    parser.add_argument(
        "--check-wait",
        type=float,
        default=90.0,
        help="seconds to wait for cards and notices before checking",
    )
    parser.add_argument("--log-level", default="INFO", help="FRONTOFFICE_LOG_LEVEL for serve")
    parser.add_argument(
        "--profile", metavar="PREFIX", help="run serve under py-spy (pip install py-spy)"
    )
    parser.add_argument(
        "--source", metavar="DIR", help="run serve from another checkout (PYTHONPATH=DIR)"
    )
    parser.add_argument("--keep", action="store_true", help="keep logs and SQLite files")
    args = parser.parse_args(argv)
    db = args.db or ("both" if args.pg or args.pg_url else "sqlite")
    if args.pg and args.db is None:
        db = "both"
    if args.source:
        args.source = str(Path(args.source).resolve())
    args.dbs = ["sqlite", "pg"] if db == "both" else [db]
    if "pg" in args.dbs and not args.pg_url:
        args.pg_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
