"""Measure the matcher on labelled messages (``text``, ``expect``, ``lang``, ``kind``)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.matcher import Matcher
from servicedesk.errors import InputError


@dataclass(frozen=True)
class Example:
    text: str
    expect: str
    lang: str
    kind: str


@dataclass(frozen=True)
class Outcome:
    example: Example
    predicted: str
    top3: tuple[str, ...]
    decision: str


def read_examples(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(
                Example(
                    str(row["text"]),
                    str(row["expect"]),
                    str(row.get("lang", "")),
                    str(row.get("kind", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: not an example line ({exc})") from exc
    return examples


def run(matcher: Matcher, examples: list[Example]) -> list[Outcome]:
    outcomes = []
    for example in examples:
        match = matcher.match(example.text)
        outcomes.append(
            Outcome(
                example,
                match.predicted_id,
                tuple(c.product_id for c in match.candidates[:3]),
                match.decision.value,
            )
        )
    return outcomes


def _ratio(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    correct = [o.predicted == o.example.expect for o in outcomes]
    in_scope = [o for o in outcomes if o.example.expect != "none"]
    top3_hits = sum(o.example.expect in o.top3 for o in in_scope)
    predicted_none = [o for o in outcomes if o.predicted == "none"]
    expected_none = [o for o in outcomes if o.example.expect == "none"]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    for outcome, ok in zip(outcomes, correct, strict=True):
        by_kind[outcome.example.kind].append(ok)
        by_lang[outcome.example.lang].append(ok)
    return {
        "n": n,
        "accuracy": _ratio(sum(correct), n),
        "top3": _ratio(top3_hits, len(in_scope)),
        "none_precision": _ratio(
            sum(o.example.expect == "none" for o in predicted_none), len(predicted_none)
        ),
        "none_recall": _ratio(
            sum(o.predicted == "none" for o in expected_none), len(expected_none)
        ),
        "by_kind": {k: _ratio(sum(v), len(v)) for k, v in sorted(by_kind.items())},
        "by_lang": {k: _ratio(sum(v), len(v)) for k, v in sorted(by_lang.items())},
    }


def misses(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.predicted != o.example.expect]
