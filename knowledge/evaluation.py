"""Score decisions on labelled messages (``text``, ``expect``, ``lang``, ``kind``, and
optionally ``decision``: ``intake`` or ``answer``).

What is scored is a *predictor*: a function from a message to what the bot does with
it. ``frontoffice eval`` passes the bot's own decision pipeline
(``dialogs.evaluation.pipeline``), so the figures are the bot's, not a part's."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servicedesk.errors import InputError

EMERGENCY_KIND = "emergency"


@dataclass(frozen=True)
class Example:
    text: str
    expect: str
    lang: str
    kind: str
    decision: str = ""  # the act expected besides the product: intake or answer
    batch: str = ""  # lines added later to a held-out file carry their batch ("b2")


@dataclass(frozen=True)
class Prediction:
    """What the bot does with a message: the product (or 'none'), the ranked top three,
    and the act (answer, intake, choose, redirect, emergency, none, ...)."""

    predicted: str
    top3: tuple[str, ...]
    act: str


@dataclass(frozen=True)
class Outcome:
    example: Example
    predicted: str
    top3: tuple[str, ...]
    decision: str

    @property
    def right(self) -> bool:
        """Right product, and the right act where the line names one."""
        if self.predicted != self.example.expect:
            return False
        if self.example.kind == EMERGENCY_KIND and self.decision != "emergency":
            return False
        return not self.example.decision or self.example.decision == self.decision


Predictor = Callable[[str], Prediction]


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
                    str(row.get("decision", "")),
                    str(row.get("batch", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: not an example line ({exc})") from exc
    return examples


def run(predict: Predictor, examples: list[Example]) -> list[Outcome]:
    outcomes = []
    for example in examples:
        prediction = predict(example.text)
        outcomes.append(Outcome(example, prediction.predicted, prediction.top3, prediction.act))
    return outcomes


def _ratio(hits: int, total: int) -> float | None:
    """hits/total, or None when there is nothing to count (printed as n/a)."""
    return round(hits / total, 4) if total else None


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    correct = [o.right for o in outcomes]
    in_scope = [o for o in outcomes if o.example.expect != "none"]
    top3_hits = sum(o.example.expect in o.top3 for o in in_scope)
    predicted_none = [o for o in outcomes if o.predicted == "none"]
    expected_none = [o for o in outcomes if o.example.expect == "none"]
    emergencies = [o for o in outcomes if o.example.kind == EMERGENCY_KIND]
    with_decision = [o for o in outcomes if o.example.decision]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    by_batch: dict[str, list[bool]] = defaultdict(list)
    for outcome, ok in zip(outcomes, correct, strict=True):
        by_kind[outcome.example.kind].append(ok)
        by_lang[outcome.example.lang].append(ok)
        by_batch[outcome.example.batch or "b1"].append(ok)
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
        "emergency_recall": _ratio(
            sum(o.decision == "emergency" and o.predicted == o.example.expect for o in emergencies),
            len(emergencies),
        ),
        "decision_accuracy": _ratio(
            sum(o.decision == o.example.decision for o in with_decision), len(with_decision)
        ),
        "by_kind": {k: _ratio(sum(v), len(v)) for k, v in sorted(by_kind.items())},
        "by_lang": {k: _ratio(sum(v), len(v)) for k, v in sorted(by_lang.items())},
        "by_batch": {k: _ratio(sum(v), len(v)) for k, v in sorted(by_batch.items())},
    }


def misses(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if not o.right]
