"""Sweep the matcher's decision thresholds on a labelled file and print what the bot's
decision pipeline then gives.

The defaults in ``knowledge.matcher.Thresholds`` were read off this table
(docs/MATCHER.md). Run: ``.venv/bin/python bench/calibrate.py [FILE.jsonl]``
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path

from dialogs.evaluation import pipeline
from knowledge.evaluation import read_examples, run, summarise
from knowledge.loader import DEFAULT_DIR, load_knowledge
from knowledge.matcher import Matcher, Thresholds
from knowledge.reload import Snapshot

ROOT = Path(__file__).resolve().parent.parent


def main(path: Path) -> None:
    knowledge = load_knowledge(DEFAULT_DIR)
    examples = read_examples(path)
    base = Thresholds()
    sweeps = {
        "none_below": [5.0, 7.0, 8.0, 9.0, 10.0, 11.0, 13.0],
        "unknown_share": [0.3, 0.4, 0.5, 0.6, 0.8, 1.01],
        "choose_ratio": [0.6, 0.7, 0.8, 0.9],
        "answer_min": [3.0, 5.0, 8.0],
    }
    print(f"{len(examples)} examples from {path.name}; defaults {base}\n")
    print("| threshold | value | accuracy | top3 | none precision | none recall | en |")
    print("|---|---|---|---|---|---|---|")
    for name, values in sweeps.items():
        for value in values:
            thresholds = dataclasses.replace(base, **{name: value})
            snapshot = Snapshot(knowledge, Matcher(knowledge, thresholds), datetime.now(UTC))
            summary = summarise(run(pipeline(snapshot), examples))
            mark = " (default)" if getattr(base, name) == value else ""
            print(
                f"| {name} | {value}{mark} | {summary['accuracy']} | {summary['top3']} | "
                f"{summary['none_precision']} | {summary['none_recall']} | "
                f"{summary['by_lang'].get('en')} |"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "queries.jsonl")
