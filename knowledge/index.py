"""An inverted index with numpy postings: key -> (targets, weights), and idf per key.

Built in two steps: ``add_target`` sums a target's field weights per key (keys as
ids from a ``Vocabulary`` shared by several indexes); ``freeze`` saturates them, lays all postings
out as one array sorted by key (one slice per key) and computes a weighted
document frequency. Scoring a query adds ``idf x factor x weight`` into a dense
array of targets, so its cost grows with the matching postings, not with Python
loops over them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Key = str | tuple[str, str]  # a stem, or two adjacent stems
Ints = npt.NDArray[np.int64]

SATURATION_MAX = 5.0  # the most one word can weigh for one target
SATURATION_K = 2.5  # summed field weight at which a word reaches half of that


class Vocabulary:
    """Index keys (stems and stem pairs) to dense ids."""

    def __init__(self) -> None:
        self.ids: dict[Key, int] = {}

    def __len__(self) -> int:
        return len(self.ids)


class InvertedIndex:
    def __init__(self, size: int, vocabulary: Vocabulary) -> None:
        self.size = size
        self.vocabulary = vocabulary
        # one row per (key, target): the target's summed field weight for that key
        self._rows_key = array("q")
        self._rows_sum = array("d")
        self._row_counts: list[tuple[int, int]] = []  # (target, rows) in row order
        self._starts: Ints = np.zeros(1, dtype=np.int64)
        self._targets: Ints = np.zeros(0, dtype=np.int64)
        self._weights: Floats = np.zeros(0)
        self.idf: Floats = np.zeros(0)

    def add_target(self, target: int, pieces: Iterable[tuple[Sequence[int], float]]) -> None:
        """All texts of ``target`` at once: (key ids, field weight) per text."""
        sums: dict[int, float] = {}
        for keys, weight in pieces:
            for key in keys:
                sums[key] = sums.get(key, 0.0) + weight
        self._rows_key.extend(sums)
        self._rows_sum.extend(sums.values())
        self._row_counts.append((target, len(sums)))

    def freeze(self) -> None:
        key_count = len(self.vocabulary)
        keys = np.frombuffer(self._rows_key, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        pair_keys = keys[order]
        per_target = np.array(self._row_counts, dtype=np.int64).reshape(-1, 2)
        self._targets = np.repeat(per_target[:, 0], per_target[:, 1])[order]
        summed = np.frombuffer(self._rows_sum, dtype=np.float64)[order]
        # A word used all over a target's texts is central to it, but only so much.
        self._weights = SATURATION_MAX * summed / (summed + SATURATION_K)
        counts = np.bincount(pair_keys, minlength=key_count)
        self._starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        # A target that mentions a word in passing (one FAQ question) makes the word less
        # telling than one that is about it: document frequency is weighted accordingly.
        frequency = np.bincount(pair_keys, weights=self._weights, minlength=key_count)
        with np.errstate(divide="ignore"):
            self.idf = np.log1p(self.size * SATURATION_MAX / frequency)
        self._rows_key, self._rows_sum, self._row_counts = array("q"), array("d"), []

    def __contains__(self, key: Key) -> bool:
        key_id = self.vocabulary.ids.get(key)
        return key_id is not None and self._starts[key_id + 1] > self._starts[key_id]

    def score(
        self,
        terms: Iterable[Sequence[tuple[Key, float]]],
        phrases: Iterable[Sequence[Key]],
        phrase_bonus: float,
    ) -> Floats:
        """Scores of every target: per term the best of its keys, phrases on top."""
        scores = np.zeros(self.size)
        for variants in terms:
            self._add_best(scores, variants)
        for phrase_variants in phrases:
            self._add_best(scores, [(k, phrase_bonus) for k in phrase_variants])
        return scores

    def _add_best(self, scores: Floats, variants: Sequence[tuple[Key, float]]) -> None:
        ids = self.vocabulary.ids
        found = []
        for key, factor in variants:
            key_id = ids.get(key)
            if key_id is not None and key_id + 1 < len(self._starts):
                start, end = int(self._starts[key_id]), int(self._starts[key_id + 1])
                if end > start:
                    found.append((key_id, factor, start, end))
        if not found:
            return
        if len(found) == 1:
            key_id, factor, start, end = found[0]
            scores[self._targets[start:end]] += self.idf[key_id] * factor * self._weights[start:end]
            return
        best = np.zeros(self.size)
        for key_id, factor, start, end in found:
            np.maximum.at(
                best, self._targets[start:end], self.idf[key_id] * factor * self._weights[start:end]
            )
        scores += best


def top(scores: Floats, count: int) -> list[tuple[int, float]]:
    """The ``count`` best (target, score) pairs with a score above zero, best first."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > count:
        part = np.argpartition(scores[candidates], -count)[-count:]
        candidates = candidates[part]
    ordered = candidates[np.lexsort((candidates, -scores[candidates]))]
    return [(int(t), float(scores[t])) for t in ordered]
