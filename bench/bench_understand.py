"""Latency of the whole decision pipeline (dialogs/understand.py) per message.

The matcher is one step of it; the pipeline also reads commands, emergencies,
follow-ups and complaints, sets named places aside (a second match when a message
names one) and reads the intake fields. This times ``understand`` on every message of
the eval files (public and held-out), as the first message of a conversation, after a
warm-up pass, on one core:

    .venv/bin/python bench/bench_understand.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogs.understand import NO_DIALOG, understand  # noqa: E402
from knowledge.evaluation import read_examples  # noqa: E402
from knowledge.loader import DEFAULT_DIR  # noqa: E402
from knowledge.reload import build_snapshot  # noqa: E402

FILES = ("queries.jsonl", "holdout_messages.jsonl")


def main(rounds: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    snapshot = build_snapshot(DEFAULT_DIR)
    texts = [e.text for f in FILES for e in read_examples(ROOT / "tests" / "data" / f)]
    now = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    for text in texts:  # warm-up: caches of stems, word frequencies, places
        understand(text, NO_DIALOG, snapshot, now)
    samples: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            understand(text, NO_DIALOG, snapshot, now)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"{len(texts)} messages x {rounds} rounds, one core")
    print("| step | mean ms | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    print(
        f"| understand (pipeline) | {statistics.fmean(samples):.3f} | "
        f"{statistics.median(samples):.3f} | {p99:.3f} | {samples[-1]:.3f} |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    main(parser.parse_args().rounds)
