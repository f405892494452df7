"""``make fuzz``: every target with its share of the inputs, in parallel processes.

    .venv/bin/python -m tests.fuzz                      # 100,000 inputs, 2 processes
    .venv/bin/python -m tests.fuzz --inputs 5000 --only messages,invokes --seed 7
    .venv/bin/python -m tests.fuzz --replay build/fuzz/messages/3f2a9c1b0d4e.json

Prints the inputs tried per target and in total, the HTTP status classes seen, and
every failure (5xx, no answer, an ERROR logged, a 4xx without ``error`` and
``message``, an exception, over the per-input time budget), each saved under
``build/fuzz/<target>/`` as ``<hash>.json`` (what was called, why it failed) and
``<hash>.body`` (the exact bytes), so it can be replayed. Exit code 1 when anything
failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import multiprocessing
import random
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tests.fuzz.harness import LoopbackApp
from tests.fuzz.targets import HTTP_TARGETS, LOCAL_TARGETS, Finding, Result

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "fuzz"
# Shares of the inputs: the cheap in-process targets get many, the HTTP ones fewer.
SHARES = {
    "messages": 0.22,
    "invokes": 0.12,
    "updates": 0.06,
    "ticket-api": 0.08,
    "webhook": 0.04,
    "schemathesis": 0.04,
    "parsers": 0.33,
    "understand": 0.09,
    "knowledge": 0.02,
}


def run_target(name: str, count: int, seed: int) -> Result:
    """``count`` inputs of target ``name`` (used by the runner and by the tests' slice)."""
    rng = random.Random(f"{name}:{seed}")
    result = Result(name)
    started = time.perf_counter()
    if name in LOCAL_TARGETS:
        LOCAL_TARGETS[name](count, rng, result)
    else:
        with (
            tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as folder,
            LoopbackApp(Path(folder)) as app,
        ):
            HTTP_TARGETS[name](app, count, rng, result)
            result.background = list(app.background_errors)
    result.seconds = time.perf_counter() - started
    return result


def _job(args: tuple[str, int, int]) -> Result:
    logging.disable(logging.WARNING)  # the app's warnings for each refused input
    try:
        return run_target(*args)
    except BaseException as exc:  # noqa: BLE001 - a broken target is reported, the rest runs on
        result = Result(args[0])
        why = f"the target itself failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        result.findings.append(Finding(args[0], why, {"job": list(args)}, b""))
        return result


def save(finding: Finding) -> Path:
    digest = hashlib.sha1(finding.body + finding.why.encode()).hexdigest()[:12]
    folder = OUT / finding.target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{digest}.body").write_bytes(finding.body)
    record = {"target": finding.target, "why": finding.why, **finding.request}
    path = folder / f"{digest}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False), "utf-8")
    return path


def replay(path: Path) -> int:
    """Send (or call) a saved input again and print what happens now."""
    record = json.loads(path.read_text("utf-8"))
    body = path.with_suffix(".body").read_bytes()
    if "function" in record:
        from tests.fuzz.targets import parser_calls, understand_call

        function = record["function"]
        text = body.decode("utf-8", "surrogatepass")
        started = time.perf_counter()
        if function == "understand":
            understand_call()(text)
        elif function in parser_calls():
            parser_calls()[function](text)
        else:
            print(f"replay {function} by hand: the file is {path.with_suffix('.body')}")
            return 2
        print(f"{function}: no exception, {time.perf_counter() - started:.3f} s")
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="fuzz-replay-") as folder,
        LoopbackApp(Path(folder)) as app,
    ):
        headers = dict(record.get("headers") or {})
        if record["path"].endswith("/status") and "backoffices" in record["path"]:
            headers.update(app.signed(body))
        outcome = app.request(
            record["method"],
            record["path"],
            data=body or None,
            headers=headers,
            params=record.get("query") or None,
        )
    print(f"HTTP {outcome.status} in {outcome.seconds:.3f} s: {outcome.body[:500]}")
    for line in outcome.errors:
        print(line)
    return 1 if outcome.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--inputs", type=int, default=100_000, help="in total (default 100000)")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--only", default="", help="comma-separated targets")
    parser.add_argument("--replay", type=Path, help="a saved build/fuzz/<target>/<hash>.json")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    names = [n for n in SHARES if not args.only or n in args.only.split(",")]
    total_share = sum(SHARES[n] for n in names)
    # big targets are cut in pieces so that the processes finish together
    jobs: list[tuple[str, int, int]] = []
    for name in names:
        count = max(1, round(args.inputs * SHARES[name] / total_share))
        pieces = max(1, min(args.jobs * 2, count // 2_000)) if name != "schemathesis" else 1
        for piece in range(pieces):
            share = count // pieces + (1 if piece < count % pieces else 0)
            jobs.append((name, share, args.seed * 100 + piece))
    jobs.sort(key=lambda job: -job[1])
    shutil.rmtree(OUT, ignore_errors=True)  # what is saved is this run's findings
    print(f"fuzzing {args.inputs} inputs, seed {args.seed}, {args.jobs} processes", flush=True)
    started = time.perf_counter()
    results: dict[str, Result] = {}
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.jobs, maxtasksperchild=1) as pool:
        for result in pool.imap_unordered(_job, jobs):
            merged = results.setdefault(result.target, Result(result.target))
            merged.tried += result.tried
            merged.seconds += result.seconds
            merged.findings += result.findings
            merged.background += result.background
            for bucket, n in result.statuses.items():
                merged.statuses[bucket] = merged.statuses.get(bucket, 0) + n
            print(f"  {result.target}: {result.tried} in {result.seconds:.0f} s", flush=True)
    return report(results, time.perf_counter() - started)


def report(results: dict[str, Result], seconds: float) -> int:
    print()
    print("| target | inputs | failures | HTTP statuses | CPU s |")
    print("|---|---|---|---|---|")
    total = failures = 0
    for name in SHARES:
        if name not in results:
            continue
        result = results[name]
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items())) or "-"
        print(
            f"| {name} | {result.tried} | {len(result.findings)} | {statuses} "
            f"| {result.seconds:.0f} |"
        )
        total += result.tried
        failures += len(result.findings)
    print(f"| total | {total} | {failures} | | {seconds:.0f} wall |")
    for result in results.values():
        for finding in result.findings:
            path = save(finding)
            print(f"FAIL {finding.target}: {finding.why.splitlines()[0]}")
            print(
                f"     saved {path.relative_to(ROOT)} (replay: python -m tests.fuzz --replay {path.relative_to(ROOT)})"
            )
    background = [line for result in results.values() for line in result.background]
    if background:
        print(f"errors of the app's background loops (no input's): {len(background)}")
        for line in sorted(set(background))[:5]:
            print(f"     {line}")
    print(f"fuzz: {total} inputs, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
