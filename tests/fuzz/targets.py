"""What is fuzzed, one ``Target`` per entry point.

A target makes ``count`` inputs from a seeded random generator and runs each; every
input that fails (a 5xx, no answer, an ERROR logged, a 4xx without ``error`` and
``message``, an exception, or more than the per-input time budget) comes back as a
``Finding`` with what is needed to replay it.
"""

from __future__ import annotations

import copy
import json
import random
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.fuzz import seeds
from tests.fuzz.harness import TOKEN, LoopbackApp, Outcome
from tests.fuzz.mutate import HUGE, ODD_STRINGS, ODD_VALUES, Mutator, dump, nested

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PARSER_BUDGET = 1.0  # seconds per input (texts up to 20,000 characters)
UNDERSTAND_BUDGET = 2.0  # seconds per input (texts up to 4,000 characters)
KNOWLEDGE_BUDGET = 10.0  # seconds per folder check
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
PROBLEM_LINE = re.compile(r"^.+:\d+: \S.*$", re.S)


@dataclass
class Finding:
    target: str
    why: str
    request: dict[str, Any]  # method, path, headers; or function and arguments
    body: bytes


@dataclass
class Result:
    target: str
    tried: int = 0
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    background: list[str] = field(default_factory=list)  # errors of the app's own loops


def readable_4xx(outcome: Outcome) -> bool:
    if not 400 <= outcome.status < 500:
        return True
    try:
        body = json.loads(outcome.body)
    except ValueError:
        return False
    return isinstance(body, dict) and "error" in body and "message" in body


# -- HTTP targets -------------------------------------------------------------------------


def _http(
    name: str,
    app: LoopbackApp,
    result: Result,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Outcome:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    outcome = app.request(method, path, data=body, headers=all_headers)
    result.tried += 1
    bucket = f"{outcome.status // 100}xx" if outcome.status else "none"
    result.statuses[bucket] = result.statuses.get(bucket, 0) + 1
    why = outcome.why() if outcome.failed else None
    if why is None and not readable_4xx(outcome):
        why = f"HTTP {outcome.status} without a JSON error and message: {outcome.body[:200]!r}"
    if why is not None:
        detail = "\n".join(outcome.errors)[:4000]
        request = {"method": method, "path": path, "headers": all_headers, "detail": detail}
        result.findings.append(Finding(name, why, request, body))
    return outcome


def fuzz_messages(app: LoopbackApp, count: int, rng: random.Random, result: Result) -> None:
    mutator = Mutator(rng, app.connector_url + "/")
    pool = seeds.message_seeds(app.connector_url + "/")
    for _ in range(count):
        body = mutator.body(rng.choice(pool))
        _http("messages", app, result, "POST", "/api/messages", body)


def fuzz_updates(app: LoopbackApp, count: int, rng: random.Random, result: Result) -> None:
    mutator = Mutator(rng, app.connector_url + "/")
    pool = seeds.update_seeds(app.connector_url + "/")
    for _ in range(count):
        body = mutator.body(rng.choice(pool))
        _http("updates", app, result, "POST", "/api/messages", body)


def _ticket(app: LoopbackApp) -> str:
    outcome = app.post("/api/v1/tickets", json.dumps(seeds.new_ticket()).encode(), AUTH)
    return str(json.loads(outcome.body)["number"])


def fuzz_invokes(app: LoopbackApp, count: int, rng: random.Random, result: Result) -> None:
    url = app.connector_url + "/"
    ticket = _ticket(app)
    pool = seeds.harvest_clicks(url, lambda raw: app.post("/api/messages", raw).body, ticket)
    mutator = Mutator(rng, url)
    for index in range(count):
        seed = rng.choice(pool)
        if index % 3 == 0:  # the action itself in an odd shape
            activity = json.loads(json.dumps(seed))
            action = activity["value"]["action"]
            part = rng.choice(("action", "type", "verb", "data", "value", "name"))
            odd = copy.deepcopy(rng.choice(ODD_VALUES + ODD_STRINGS[:20]))
            if part == "action":
                activity["value"]["action"] = odd
            elif part == "value":
                activity["value"] = odd
            elif part == "name":
                activity["name"] = rng.choice(
                    ("composeExtension/query", "task/fetch", "signin/verifyState", "", "x")
                )
            else:
                action[part] = odd
            body = dump(mutator._sanitise(activity))
        else:
            body = mutator.body(seed)
        _http("invokes", app, result, "POST", "/api/messages", body)


def fuzz_ticket_api(app: LoopbackApp, count: int, rng: random.Random, result: Result) -> None:
    mutator = Mutator(rng, app.connector_url + "/")
    numbers = [_ticket(app) for _ in range(3)]
    events = seeds.event_seeds()
    for index in range(count):
        choice = index % 5
        if choice in (0, 1):
            body = mutator.body(seeds.new_ticket())
            _http("ticket-api", app, result, "POST", "/api/v1/tickets", body, AUTH)
        elif choice in (2, 3):
            number = rng.choice(numbers + ["FM-2026-999999", "x" * 300, "%00", "..%2F.."])
            body = mutator.body(rng.choice(events))
            path = f"/api/v1/tickets/{number}/events"
            _http("ticket-api", app, result, "POST", path, body, AUTH)
            if rng.random() < 0.05:
                numbers.append(_ticket(app))
        else:
            query = rng.choice(
                (
                    "?status=open",
                    "?status=" + rng.choice(ODD_STRINGS[:30]).encode("utf-8", "replace").hex(),
                    "?requester="
                    + "a" * rng.choice((1_000, 2_001, 7_000)),  # aiohttp: lines <= 8 KB
                    "?requester=%00&status=all",
                    "?status=open&status=all",
                )
            )
            path = rng.choice(("/api/v1/tickets" + query, f"/api/v1/tickets/{rng.choice(numbers)}"))
            _http("ticket-api", app, result, "GET", path, b"", AUTH)


def fuzz_webhook(app: LoopbackApp, count: int, rng: random.Random, result: Result) -> None:
    mutator = Mutator(rng, app.connector_url + "/")
    pool = seeds.status_seeds(_ticket(app))
    for _ in range(count):
        body = mutator.body(rng.choice(pool))
        path = "/api/v1/backoffices/fmis/status"
        _http("webhook", app, result, "POST", path, body, app.signed(body))


def fuzz_schemathesis(app: LoopbackApp, count: int, rng: random.Random, result: Result) -> None:
    """The ticket API as docs/openapi.yaml describes it, cases made by schemathesis
    (valid and invalid ones), each checked for a server error and for a response that
    does not match the document."""
    from tests.fuzz.openapi import run_schemathesis

    run_schemathesis(app, count, rng.randrange(2**32), result)


# -- in-process targets -------------------------------------------------------------------


def texts(rng: random.Random, limit: int) -> Iterator[str]:
    """Texts an employee might type, and texts nobody would: mutated messages from the
    eval files, odd unicode, digit soup and long repetitions, up to ``limit`` characters."""
    corpus = list(seeds.SCRIPT) + _eval_texts()
    while True:
        kind = rng.randrange(8)
        base = rng.choice(corpus)
        if kind == 0:
            text = "".join(chr(rng.choice(_CODEPOINTS)) for _ in range(rng.randrange(1, 80)))
        elif kind == 1:
            cut = rng.randrange(len(base) + 1)
            text = base[:cut] + rng.choice(ODD_STRINGS) + base[cut:]
        elif kind == 2:
            unit = rng.choice(
                (base + " ", "1 ", "2.14 ", "kamer ", "om ", "a", "-", "9", "@", ", ")
            )
            text = unit * (rng.randrange(1, limit) // len(unit) + 1)
        elif kind == 3:
            words = base.split()
            rng.shuffle(words)
            text = " ".join(words)
        elif kind == 4:
            text = " ".join(str(rng.randrange(-10, 10 ** rng.randrange(1, 12))) for _ in range(30))
        elif kind == 5:
            text = "".join(rng.choice((c.upper(), c, c + "\u0301")) for c in base)
        elif kind == 6:
            text = "\n".join(rng.choice(corpus) for _ in range(rng.randrange(1, 40)))
        else:
            text = base
        yield text[:limit]


_CODEPOINTS = (
    list(range(0x20, 0x7F)) * 4
    + list(range(0xA0, 0x250))
    + list(range(0x300, 0x370))
    + list(range(0x590, 0x700))
    + list(range(0x2000, 0x2070))
    + list(range(0xD800, 0xD808))
    + list(range(0xFE00, 0xFE10))
    + [0, 9, 10, 13, 0x85, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0x1F4A9, 0x10FFFF, 0x1D7CF]
)
_EVAL: list[str] = []


def _eval_texts() -> list[str]:
    if not _EVAL:
        data = Path(__file__).resolve().parent.parent / "data"
        for name in ("queries.jsonl", "holdout_messages.jsonl"):
            for line in (data / name).read_text("utf-8").splitlines():
                if line.strip():
                    text = json.loads(line).get("text")
                    if isinstance(text, str):
                        _EVAL.append(text)
    return _EVAL


def _timed(
    name: str,
    result: Result,
    budget: float,
    function: str,
    call: Callable[[str], object],
    argument: str,
) -> None:
    started = time.perf_counter()
    why = None
    try:
        call(argument)
    except Exception as exc:  # noqa: BLE001 - every exception is a finding
        why = f"{type(exc).__name__}: {exc}"[:300] + "\n" + traceback.format_exc()[-3000:]
    seconds = time.perf_counter() - started
    result.tried += 1
    if why is None and seconds > budget:
        why = f"took {seconds:.2f} s (budget {budget} s) on {len(argument)} characters"
    if why is not None:
        body = argument.encode("utf-8", "surrogatepass")
        result.findings.append(Finding(name, why, {"function": function}, body))


def parser_calls() -> dict[str, Callable[[str], object]]:
    from dialogs import extract
    from knowledge.loader import load_knowledge

    knowledge = load_knowledge(_knowledge_dir())
    buildings = knowledge.organisation.buildings
    places = knowledge.organisation.places
    return {
        "extract_fields": lambda s: extract.extract_fields(s, NOW, buildings, places),
        "parse_location": lambda s: extract.parse_location(s, buildings, places),
        "parse_when": lambda s: extract.parse_when(s, NOW),
        "parse_persons": extract.parse_persons,
        "parse_count": extract.parse_count,
        "parse_plate": extract.parse_plate,
        "parse_cost_centre": extract.parse_cost_centre,
        "parse_cost_centre_answer": extract.parse_cost_centre_answer,
        "parse_visitors": extract.parse_visitors,
        "visitors_in_message": extract.visitors_in_message,
        "parse_visitors_csv": lambda s: extract.parse_visitors_csv(
            s.encode("utf-8", "surrogatepass")
        ),
        "entity_spans": extract.entity_spans,
        "mask_entities": extract.mask_entities,
    }


def _knowledge_dir() -> Path:
    from knowledge.loader import DEFAULT_DIR

    return DEFAULT_DIR


def fuzz_parsers(count: int, rng: random.Random, result: Result) -> None:
    calls = parser_calls()
    names = sorted(calls)
    for call in calls.values():  # first calls load word lists and build indexes: not
        for text in seeds.SCRIPT + tuple(_eval_texts()[:50]):  # part of any input's time
            call(text)
    source = texts(rng, 20_000)
    for index in range(count):
        name = names[index % len(names)]
        text = next(source)
        _timed("parsers", result, PARSER_BUDGET, name, calls[name], text)


def understand_call() -> Callable[[str], object]:
    from dialogs.understand import NO_DIALOG, understand
    from knowledge.reload import build_snapshot

    snapshot = build_snapshot(_knowledge_dir())
    return lambda text: understand(text.strip(), NO_DIALOG, snapshot, NOW)


def fuzz_understand(count: int, rng: random.Random, result: Result) -> None:
    call = understand_call()
    for text in seeds.SCRIPT:
        call(text)
    source = texts(rng, 4_000)
    for _ in range(count):
        text = next(source)
        _timed("understand", result, UNDERSTAND_BUDGET, "understand", call, text)


def mutate_yaml(text: str, rng: random.Random) -> str:
    """A knowledge file with one to three edits an editor might make by mistake (or on
    purpose): lines dropped, doubled, re-indented or cut, odd scalars, tabs, anchors and
    aliases, deep flow collections, huge values."""
    lines = text.splitlines()
    for _ in range(rng.choice((1, 1, 2, 3))):
        if not lines:
            lines = [""]
        at = rng.randrange(len(lines))
        kind = rng.randrange(11)
        if kind == 0:
            del lines[at]
        elif kind == 1:
            lines.insert(at, lines[at])
        elif kind == 2:
            lines[at] = " " * rng.choice((1, 2, 3, 4, 8)) + lines[at]
        elif kind == 3:
            lines[at] = lines[at].lstrip()
        elif kind == 4:
            lines[at] = lines[at][: rng.randrange(len(lines[at]) + 1)]
        elif kind == 5:
            key = lines[at].split(":", 1)[0] if ":" in lines[at] else "x"
            odd = rng.choice(
                (
                    "",
                    "~",
                    "null",
                    "[]",
                    "{}",
                    "-1",
                    "1e999",
                    ".nan",
                    "yes",
                    "0x1F",
                    "2026-13-45",
                    "!!binary aGk=",
                    "!!python/object:os.system x",
                    "*undefined",
                    "&a [*a]",
                    '"\\ud800"',
                    "'",
                    '"',
                    "|",
                    ">-",
                    "\t",
                    "@",
                    "`",
                    "%TAG",
                    "? x",
                    "x: y: z",
                )
            )
            lines[at] = f"{key}: {odd}"
        elif kind == 6:
            lines[at] = lines[at].replace("  ", "\t", 1)
        elif kind == 7:
            lines[at] = lines[at] + " " + dump(nested(rng.choice((10, 200, 5000)), rng)).decode()
        elif kind == 8:
            lines.insert(at, "x" * rng.choice(HUGE[:4]) + ": " + "y" * 100)
        elif kind == 9:
            lines[at] = "".join(chr(rng.choice(_CODEPOINTS)) for _ in range(20)) + lines[at]
        else:
            lines.insert(at, rng.choice(("---", "...", "- x", "? ", ": ", "&anchor", "<<: *x")))
    return "\n".join(lines) + rng.choice(("\n", "", "\n\n"))


def fuzz_knowledge(count: int, rng: random.Random, result: Result) -> None:
    """check_knowledge on a copy of the default knowledge with one file mutated: every
    problem is a ``file:line: ...`` message, never an exception."""
    from knowledge.loader import check_knowledge

    folder = Path(tempfile.mkdtemp(prefix="fuzz-knowledge-")) / "knowledge"
    shutil.copytree(_knowledge_dir(), folder)
    files = sorted(folder.rglob("*.yaml"))
    originals = {path: path.read_text("utf-8") for path in files}
    try:
        for _ in range(count):
            path = rng.choice(files[:6] * 4 + files)  # the shared files more often
            text = mutate_yaml(originals[path], rng)
            path.write_text(text, "utf-8", errors="surrogatepass")
            name = str(path.relative_to(folder))

            def check(_text: str) -> None:
                knowledge, problems = check_knowledge(folder)
                bad = [p for p in problems if not PROBLEM_LINE.match(p)]
                if bad:
                    raise AssertionError(f"a problem without file:line: {bad[0][:200]!r}")
                if knowledge is None and not problems:
                    raise AssertionError("no knowledge and no problem")

            _timed("knowledge", result, KNOWLEDGE_BUDGET, f"check_knowledge:{name}", check, text)
            path.write_text(originals[path], "utf-8")
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


HTTP_TARGETS: dict[str, Callable[[LoopbackApp, int, random.Random, Result], None]] = {
    "messages": fuzz_messages,
    "invokes": fuzz_invokes,
    "updates": fuzz_updates,
    "ticket-api": fuzz_ticket_api,
    "webhook": fuzz_webhook,
    "schemathesis": fuzz_schemathesis,
}
LOCAL_TARGETS: dict[str, Callable[[int, random.Random, Result], None]] = {
    "parsers": fuzz_parsers,
    "understand": fuzz_understand,
    "knowledge": fuzz_knowledge,
}
