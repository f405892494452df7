"""The matcher: from an employee's words to a product, an FAQ answer or a plain no.

How it scores (see docs/MATCHER.md for the calibration):

1. ``Analyzer`` folds the text and turns each token into stem keys (Dutch and
   English Snowball stems, equivalents mapped to one key).
2. Each query token is looked up in an inverted index of the knowledge: exact
   keys first; otherwise the token is split as a Dutch compound (head and
   modifier, with linking ``s``/``e``/``en``); otherwise a typo is looked up in a
   deletion neighbourhood and confirmed with rapidfuzz's normalised Levenshtein
   similarity. Adjacent token pairs are looked up as phrases ("te koud", "zit vast").
3. A product (or redirect) scores the sum over query tokens of idf x field weight x
   similarity; field weights add up per product and saturate. FAQ entries are a
   second index. Out-of-scope cues (knowledge/default/out_of_scope.yaml) are matched
   as whole phrases.
4. ``_decide`` turns the ranking into one decision with calibrated ``Thresholds``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import Levenshtein

from knowledge.loader import Knowledge
from knowledge.model import Product
from knowledge.text import Analyzer

# Field weights: how strongly a word in this part of the knowledge points at its target.
NAME_WEIGHT = 3.0
SYNONYM_WEIGHT = 2.5
DESCRIPTION_WEIGHT = 1.5
QUESTION_WEIGHT = 0.5
ANSWER_WEIGHT = 0.3
PHRASE_BONUS = 1.0  # an adjacent pair that matches counts once more on top of its words
SATURATION_MAX = 5.0  # the most one word can weigh for one product
SATURATION_K = 2.5  # summed field weight at which a word reaches half of that
FUZZY_MIN_SIMILARITY = 0.8
FUZZY_MIN_LENGTH = 5
COMPOUND_MIN_PART = 3
COMPOUND_HEAD_FACTOR = 0.9
COMPOUND_MODIFIER_FACTOR = 0.5


class Decision(StrEnum):
    ANSWER = "answer"
    PRODUCT = "product"
    CHOOSE = "choose"
    REDIRECT = "redirect"
    NONE = "none"


class TargetKind(StrEnum):
    PRODUCT = "product"
    REDIRECT = "redirect"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated on tests/data/queries.jsonl; see docs/MATCHER.md."""

    none_below: float = 10.0  # top product score under this: nothing fits
    unknown_share: float = 0.5  # most words unknown to the knowledge and a weak top: nothing fits
    choose_ratio: float = 0.8  # runner-up at least this share of the top: offer a choice
    choose_max_confidence: float = 40.0  # ... unless the top is already this strong
    answer_min: float = 5.0  # best FAQ entry score for an answer


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked candidate: a product, or an FAQ entry of a product."""

    product_id: str
    score: float
    faq_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.product_id}#{self.faq_id}" if self.faq_id else self.product_id


@dataclass(frozen=True, slots=True)
class Match:
    decision: Decision
    candidates: tuple[Candidate, ...]  # products best first (no out-of-scope topics)
    faq: tuple[Candidate, ...]  # FAQ entries best first
    is_question: bool
    out_of_scope: str | None = None  # the topic that won, if any

    @property
    def predicted_id(self) -> str:
        """The id an evaluation compares: product, redirect id, or 'none'."""
        if self.decision is Decision.NONE or not self.candidates:
            return "none"
        if self.decision is Decision.ANSWER and self.faq:
            return self.faq[0].product_id
        return self.candidates[0].product_id

    @property
    def choices(self) -> tuple[Candidate, ...]:
        return self.candidates[:3] if self.decision is Decision.CHOOSE else ()


@dataclass(frozen=True, slots=True)
class _Target:
    id: str
    kind: TargetKind


class _Index:
    """An inverted index from key to (target, weight), with idf."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self._building: dict[str, dict[int, float]] = defaultdict(dict)
        self.idf: dict[str, float] = {}

    def add(self, key: str, target: int, weight: float) -> None:
        bucket = self._building[key]
        bucket[target] = bucket.get(target, 0.0) + weight

    def freeze(self) -> None:
        """Saturate: a word used all over a product's texts is central to it, but only so much."""
        for key, bucket in self._building.items():
            postings = [
                (target, SATURATION_MAX * total / (total + SATURATION_K))
                for target, total in bucket.items()
            ]
            self.postings[key] = postings
            # A product that only mentions a word in passing (one FAQ question) makes it
            # less telling than one that is about it: document frequency weighted so.
            frequency = sum(weight for _, weight in postings) / SATURATION_MAX
            self.idf[key] = math.log(1.0 + self.size / frequency)
        self._building = defaultdict(dict)


@dataclass(frozen=True, slots=True)
class _QueryTerm:
    keys: tuple[tuple[str, float], ...]  # (key, factor)


class Matcher:
    """Built once per knowledge version; ``match`` is pure and thread-safe."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._knowledge = knowledge
        location_words = [*knowledge.organisation.buildings]
        self.analyzer = Analyzer(knowledge.language, extra_stopwords=location_words)
        self._targets: list[_Target] = []
        self._faqs: list[tuple[str, str]] = []  # (product id, faq id)
        self._surface: dict[str, tuple[str, ...]] = {}  # folded word -> its keys
        self._deletes: dict[str, list[str]] = defaultdict(list)
        self._vocabulary: dict[int, set[str]] = defaultdict(set)  # target -> folded words

        products = list(knowledge.products.values())
        topics = knowledge.out_of_scope
        self._index = _Index(len(products))
        faq_count = sum(len(p.faq) for p in products)
        self._faq_index = _Index(max(faq_count, 1))

        for product in products:
            target = len(self._targets)
            kind = TargetKind.REDIRECT if product.is_redirect else TargetKind.PRODUCT
            self._targets.append(_Target(product.id, kind))
            for text, weight in self._product_texts(product):
                self._add_text(self._index, target, text, weight)
            for entry in product.faq:
                faq_target = len(self._faqs)
                self._faqs.append((product.id, entry.id))
                for _lang, question in entry.questions.all():
                    self._add_text(self._faq_index, faq_target, question, 1.0, vocabulary=False)
                for answer in (entry.answer.nl, entry.answer.en):
                    self._add_text(
                        self._faq_index, faq_target, answer, ANSWER_WEIGHT / 1.0, vocabulary=False
                    )
        # Out-of-scope cues are matched as whole phrases, never word by word:
        # "wat voor weer" is small talk, "weer" alone is not.
        self._cues: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for topic in topics:
            for _lang, phrase in topic.synonyms.all():
                keys = tuple(self._cue_key(token) for token in self.analyzer.tokens(phrase))
                if keys:
                    self._cues[keys[0]].append((keys, topic.id))
        self._index.freeze()
        self._faq_index.freeze()
        self._target_index = {target.id: i for i, target in enumerate(self._targets)}
        for word in self._surface:
            if len(word) >= FUZZY_MIN_LENGTH:
                for variant in _deletions(word):
                    self._deletes[variant].append(word)

    # -- building ---------------------------------------------------------------

    @staticmethod
    def _product_texts(product: Product) -> Iterable[tuple[str, float]]:
        yield product.name.nl, NAME_WEIGHT
        yield product.name.en, NAME_WEIGHT
        if product.synonyms:
            for _lang, phrase in product.synonyms.all():
                yield phrase, SYNONYM_WEIGHT
        yield product.description.nl, DESCRIPTION_WEIGHT
        yield product.description.en, DESCRIPTION_WEIGHT
        for entry in product.faq:
            for _lang, question in entry.questions.all():
                yield question, QUESTION_WEIGHT

    def _add_text(
        self, index: _Index, target: int, text: str, weight: float, vocabulary: bool = True
    ) -> None:
        tokens = self.analyzer.tokens(text)
        previous: tuple[str, ...] | None = None
        for token in tokens:
            keys = self.analyzer.keys(token)
            content = self.analyzer.is_content(token)
            if content:
                for key in keys:
                    index.add(key, target, weight)
                if vocabulary:
                    self._surface.setdefault(token, keys)
                    self._vocabulary[target].add(token)
            if previous is not None and content:
                for left in previous:
                    for right in keys:
                        index.add(f"{left} {right}", target, weight)
            previous = keys if content else None

    # -- matching -----------------------------------------------------------------

    def _lookup(self, token: str) -> tuple[tuple[str, float], ...]:
        index = self._index.postings
        keys = self.analyzer.keys(token)
        found = tuple((k, 1.0) for k in keys if k in index or k in self._faq_index.postings)
        if found:
            return found
        split = self._split_compound(token)
        if split:
            return split
        if len(token) >= FUZZY_MIN_LENGTH:
            return self._fuzzy(token)
        return ()

    def _split_compound(self, token: str) -> tuple[tuple[str, float], ...]:
        best: tuple[tuple[str, float], ...] = ()
        best_head = 0
        for cut in range(COMPOUND_MIN_PART, len(token) - COMPOUND_MIN_PART + 1):
            head = token[cut:]
            head_keys = [k for k in self.analyzer.keys(head) if k in self._index.postings]
            if not head_keys or len(head) <= best_head:
                continue
            found = [(k, COMPOUND_HEAD_FACTOR) for k in head_keys]
            modifier = token[:cut]
            for candidate in (modifier, modifier[:-1], modifier[:-2]):
                if len(candidate) < COMPOUND_MIN_PART:
                    continue
                modifier_keys = [
                    k for k in self.analyzer.keys(candidate) if k in self._index.postings
                ]
                if modifier_keys:
                    found.extend((k, COMPOUND_MODIFIER_FACTOR) for k in modifier_keys)
                    break
            best, best_head = tuple(found), len(head)
        return best

    def _fuzzy(self, token: str) -> tuple[tuple[str, float], ...]:
        seen: set[str] = set()
        best_similarity = 0.0
        best_word = ""
        for variant in (token, *_deletions(token)):
            for word in self._deletes.get(variant, ()):
                if word in seen:
                    continue
                seen.add(word)
                similarity = Levenshtein.normalized_similarity(token, word)
                if similarity > best_similarity:
                    best_similarity, best_word = similarity, word
            if variant in self._surface and variant not in seen:
                seen.add(variant)
                similarity = Levenshtein.normalized_similarity(token, variant)
                if similarity > best_similarity:
                    best_similarity, best_word = similarity, variant
        if best_similarity < FUZZY_MIN_SIMILARITY:
            return ()
        return tuple((k, best_similarity) for k in self._surface[best_word])

    def _analyse(
        self, text: str
    ) -> tuple[list[str], list[_QueryTerm], list[tuple[str, ...]], float]:
        tokens = self.analyzer.tokens(text)
        terms: list[_QueryTerm] = []
        phrases: list[tuple[str, ...]] = []
        previous: tuple[str, ...] | None = None
        previous_token = ""
        seen: set[str] = set()
        unknown = 0
        for token in tokens:
            content = self.analyzer.is_content(token)
            keys = self.analyzer.keys(token)
            if content and token not in seen:
                seen.add(token)
                found = self._lookup(token)
                if found:
                    terms.append(_QueryTerm(found))
                elif not any(ch.isdigit() for ch in token):
                    unknown += 1
            if previous is not None and content:
                phrases.append(tuple(f"{left} {right}" for left in previous for right in keys))
                # "vergader ruimte", "zit sta" written apart: try the compound as one word
                joined = [
                    k
                    for k in self.analyzer.keys(previous_token + token)
                    if k in self._index.postings
                ]
                if joined:
                    terms.append(_QueryTerm(tuple((k, 1.0) for k in joined)))
            previous = keys if content else None
            previous_token = token
        return tokens, terms, phrases, (unknown / len(seen) if seen else 1.0)

    @staticmethod
    def _score(
        index: _Index, terms: list[_QueryTerm], phrases: list[tuple[str, ...]]
    ) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term in terms:
            best: dict[int, float] = {}
            for key, factor in term.keys:
                postings = index.postings.get(key)
                if postings is None:
                    continue
                idf = index.idf[key] * factor
                for target, weight in postings:
                    value = idf * weight
                    if value > best.get(target, 0.0):
                        best[target] = value
            for target, value in best.items():
                scores[target] += value
        seen: set[tuple[str, ...]] = set()
        for variants in phrases:
            if variants in seen:
                continue
            seen.add(variants)
            best = {}
            for phrase in variants:
                postings = index.postings.get(phrase)
                if postings is None:
                    continue
                idf = index.idf[phrase] * PHRASE_BONUS
                for target, weight in postings:
                    if idf * weight > best.get(target, 0.0):
                        best[target] = idf * weight
            for target, value in best.items():
                scores[target] += value
        return scores

    def match(self, text: str) -> Match:
        text = text[:2000]
        tokens, terms, phrases, unknown = self._analyse(text)
        is_question = self.analyzer.is_question(tokens, text)
        scores = self._score(self._index, terms, phrases)
        faq_scores = self._score(self._faq_index, terms, phrases)

        ranked = sorted(scores.items(), key=lambda item: -item[1])
        products = [Candidate(self._targets[t].id, round(s, 3)) for t, s in ranked]
        topics = self._cues_in(tokens)
        faq = sorted(
            (
                Candidate(self._faqs[f][0], round(s, 3), self._faqs[f][1])
                for f, s in faq_scores.items()
            ),
            key=lambda c: -c.score,
        )[:5]
        decision, topic = self._decide(products, topics, faq, is_question, unknown)
        return Match(decision, tuple(products[:5]), tuple(faq), is_question, topic)

    def _decide(
        self,
        products: list[Candidate],
        topics: list[tuple[str, tuple[str, ...]]],
        faq: list[Candidate],
        is_question: bool,
        unknown: float,
    ) -> tuple[Decision, str | None]:
        t = self.thresholds
        top = products[0] if products else None
        if top is None or top.score < t.none_below:
            return Decision.NONE, (topics[0][0] if topics else None)
        if unknown > t.unknown_share and top.score < t.none_below * 2:
            return Decision.NONE, None  # mostly words the knowledge never uses: not ours
        for topic, cue in topics:
            if not self._covers(top.product_id, cue):
                return Decision.NONE, topic
        if self._knowledge.products[top.product_id].is_redirect:
            return Decision.REDIRECT, None
        if (
            is_question
            and faq
            and faq[0].product_id == top.product_id
            and faq[0].score >= t.answer_min
        ):
            return Decision.ANSWER, None
        close = [c for c in products[1:3] if c.score >= top.score * t.choose_ratio]
        if close and top.score < t.choose_max_confidence:
            return Decision.CHOOSE, None
        return Decision.PRODUCT, None

    def _cue_key(self, token: str) -> str:
        return self.analyzer.keys(token)[0]

    def _cues_in(self, tokens: list[str]) -> list[tuple[str, tuple[str, ...]]]:
        """Out-of-scope topics whose cue phrases occur in the message, with the words used."""
        keys = [self._cue_key(token) for token in tokens]
        found: list[tuple[str, tuple[str, ...]]] = []
        for start, key in enumerate(keys):
            for phrase, topic in self._cues.get(key, ()):
                if tuple(keys[start : start + len(phrase)]) == phrase:
                    found.append((topic, tuple(tokens[start : start + len(phrase)])))
        return found

    def _covers(self, product_id: str, cue: tuple[str, ...]) -> bool:
        """Does the product's own vocabulary use the cue's content words ('thuis' for home office)?"""
        words = self._vocabulary[self._target_index[product_id]]
        content = [token for token in cue if self.analyzer.is_content(token)]
        return bool(content) and all(token in words for token in content)


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]
