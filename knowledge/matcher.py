"""The matcher: from an employee's words to a product, an FAQ answer or a plain no.

How it scores (see docs/MATCHER.md for the calibration):

1. ``Analyzer`` folds the text and turns each token into stem keys (Dutch and
   English Snowball stems, equivalents mapped to one key).
2. Each query token is looked up in an inverted index of the knowledge: exact
   keys first; otherwise the token is split as a Dutch compound (head and
   modifier, with linking ``s``/``e``/``en``); otherwise it is taken for a typo of the
   most similar knowledge word of about the same length (rapidfuzz, normalised
   Levenshtein similarity). Adjacent token pairs are looked up as phrases ("te koud",
   "zit vast") and as one word ("vergader ruimte").
3. A product (or redirect) scores the sum over query tokens of idf x field weight x
   similarity; field weights add up per product and saturate. FAQ entries are a
   second index. Out-of-scope cues (knowledge/default/out_of_scope.yaml) are matched
   as whole phrases.
4. ``_decide`` turns the ranking into one decision with calibrated ``Thresholds``.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from knowledge.index import InvertedIndex, Vocabulary, top
from knowledge.loader import Knowledge
from knowledge.model import Product
from knowledge.text import Analyzer, is_common_word, is_ordinary_word

# Field weights: how strongly a word in this part of the knowledge points at its target.
NAME_WEIGHT = 3.0
SYNONYM_WEIGHT = 2.5
DESCRIPTION_WEIGHT = 1.5
QUESTION_WEIGHT = 0.5
ANSWER_WEIGHT = 0.3
PHRASE_BONUS = 1.0  # an adjacent pair that matches counts once more on top of its words
FUZZY_MIN_SIMILARITY = 0.8
FUZZY_MIN_LENGTH = 5
COMPOUND_MIN_PART = 3
COMPOUND_MIN_HEAD = 4
INFLECTION_MIN_ROOT = 5
CUE_PART_MIN = 5
SETTING_MAX_WORDS = 30  # a message this long or longer: settings weigh as subjects  # a Dutch cue word this long also names compounds with it
LOOKUP_CACHE = 100_000  # query words remembered per knowledge version
INFLECTION_FACTOR = 0.9
_INFLECTIONS = (  # suffix, the suffixes of the other forms
    ("ingen", ("ing", "en")),
    ("ing", ("en", "ingen")),
    ("en", ("ing", "")),
    ("de", ("en", "ing")),
    ("te", ("en", "ing")),
)
SPECIFIC_MAX_PRODUCTS = 2  # a word in the own texts of at most this many products is telling  # "schuur" is not "sch" + "uur"
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


_Term = tuple[tuple[str, float], ...]  # one query word: its index keys with a similarity factor
_Pair = tuple[str, str]  # two adjacent words, by their first keys


@dataclass(frozen=True, slots=True)
class _Word:
    key_ids: tuple[int, ...]
    first: str


_NOT_CONTENT = _Word((), "")


class Matcher:
    """Built once per knowledge version; ``match`` is pure and thread-safe."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        # The build makes millions of small objects that all live on: the cyclic garbage
        # collector would scan them again and again for nothing (a third of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(knowledge, thresholds)
        finally:
            if collecting:
                gc.enable()

    def _build(self, knowledge: Knowledge, thresholds: Thresholds | None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._knowledge = knowledge
        location_words = [*knowledge.organisation.buildings]
        self.analyzer = Analyzer(knowledge.language, extra_stopwords=location_words)
        self._targets: list[_Target] = []
        self._faqs: list[tuple[str, str]] = []  # (product id, faq id)
        self._surface: dict[str, tuple[str, ...]] = {}  # folded word -> its keys
        self._by_length: dict[int, list[str]] = defaultdict(list)  # for typo look-up
        self._vocabularies: dict[int, frozenset[str]] = {}  # target -> its words, on demand

        products = list(knowledge.products.values())
        topics = knowledge.out_of_scope
        vocabulary = Vocabulary()
        self._index = InvertedIndex(len(products), vocabulary)
        self._faq_index = InvertedIndex(max(sum(len(p.faq) for p in products), 1), vocabulary)
        self._vocabulary_ids = vocabulary
        self._analysed: dict[str, tuple[int, ...]] = {}
        self._words: dict[str, _Word] = {}

        self._strong: list[frozenset[str]] = []  # per target: keys of name, synonyms, description
        self._own: list[frozenset[str]] = []  # per target: keys of its name and synonyms
        for product in products:
            target = len(self._targets)
            kind = TargetKind.REDIRECT if product.is_redirect else TargetKind.PRODUCT
            self._targets.append(_Target(product.id, kind))
            self._own.append(
                frozenset(
                    key
                    for text, weight in self._product_texts(product)
                    if weight >= SYNONYM_WEIGHT
                    for token in self.analyzer.tokens(text)
                    if self.analyzer.is_content(token)
                    for key in self.analyzer.keys(token)
                )
            )
            self._strong.append(
                frozenset(
                    key
                    for text, weight in self._product_texts(product)
                    if weight > QUESTION_WEIGHT
                    for token in self.analyzer.tokens(text)
                    if self.analyzer.is_content(token)
                    for key in self.analyzer.keys(token)
                )
            )
            self._index.add_target(
                target,
                [
                    (self._analyse_text(text), weight)
                    for text, weight in self._product_texts(product)
                ],
            )
            for entry in product.faq:
                self._faqs.append((product.id, entry.id))
                faq_target = len(self._faqs) - 1
                texts = [(q, 1.0) for _lang, q in entry.questions.all()]
                texts += [(entry.answer.nl, ANSWER_WEIGHT), (entry.answer.en, ANSWER_WEIGHT)]
                self._faq_index.add_target(
                    faq_target, [(self._analyse_text(text), weight) for text, weight in texts]
                )
        # Out-of-scope cues are matched as whole phrases, never word by word:
        # "wat voor weer" is small talk, "weer" alone is not.
        # Cues are matched on the folded words themselves, not their stems: "gedicht" is not
        # "dicht", "training" is not "train".
        self._cues: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self._settings = frozenset(topic.id for topic in topics if topic.context)
        # A Dutch one-word cue also names the compounds it starts or ends ("huisarts" in
        # "huisartsenpost", "gedicht" in "sinterklaasgedicht"); English ones do not
        # ("train" is not "training").
        self._cue_parts: dict[str, str] = {}  # Dutch one-word cue -> its topic
        self._compound_cues: dict[str, str | None] = {}
        for topic in topics:
            for lang, phrase in topic.synonyms.all():
                words = tuple(self.analyzer.tokens(phrase))
                if words:
                    self._cues[words[0]].append((words, topic.id))
                if lang == "nl" and len(words) == 1 and len(words[0]) >= CUE_PART_MIN:
                    self._cue_parts.setdefault(words[0], topic.id)
        self._index.freeze()
        self._faq_index.freeze()
        self._analysed, self._words = {}, {}
        self._target_index = {target.id: i for i, target in enumerate(self._targets)}
        self._lookups: dict[str, tuple[tuple[str, float], ...]] = {}
        self._anagrams: dict[str, str] = {}
        for word in self._surface:
            if len(word) >= FUZZY_MIN_LENGTH - 1:
                self._by_length[len(word)].append(word)
            if len(word) == FUZZY_MIN_LENGTH - 1:
                self._anagrams.setdefault("".join(sorted(word)), word)
        is_ordinary_word("lift")  # load the word lists now, not on an employee's message

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

    def _analyse_text(self, text: str) -> tuple[int, ...]:
        """A knowledge text's index keys (words and adjacent pairs) as ids (cached)."""
        cached = self._analysed.get(text)
        if cached is not None:
            return cached
        ids = self._vocabulary_ids.ids
        out: list[int] = []
        previous: str | None = None
        for token in self.analyzer.tokens(text):
            word = self._words.get(token)
            if word is None:
                word = self._words[token] = self._describe(token)
            if word is _NOT_CONTENT:
                previous = None
                continue
            out.extend(word.key_ids)
            if previous is not None:
                pair = (previous, word.first)
                pair_id = ids.get(pair)
                if pair_id is None:
                    pair_id = ids[pair] = len(ids)
                out.append(pair_id)
            previous = word.first
        result = tuple(out)
        self._analysed[text] = result
        return result

    def _describe(self, token: str) -> _Word:
        """A knowledge word, once: its keys as ids, and its first key for pairs."""
        if not self.analyzer.is_content(token):
            return _NOT_CONTENT
        keys = self.analyzer.keys(token)
        self._surface.setdefault(token, keys)
        ids = self._vocabulary_ids.ids
        key_ids = tuple(ids.setdefault(key, len(ids)) for key in keys)
        return _Word(key_ids, keys[0])

    # -- matching -----------------------------------------------------------------

    def _lookup(self, token: str) -> tuple[tuple[str, float], ...]:
        """A query word's index keys with their similarity (remembered: words repeat)."""
        found = self._lookups.get(token)
        if found is None:
            if len(self._lookups) >= LOOKUP_CACHE:
                self._lookups.clear()
            found = self._lookups[token] = self._look_up(token)
        return found

    def _look_up(self, token: str) -> tuple[tuple[str, float], ...]:
        keys = self.analyzer.keys(token)
        found = tuple((k, 1.0) for k in keys if k in self._index or k in self._faq_index)
        if found:
            return found
        found = self._inflected(token)
        if found:
            return found
        ordinary = is_ordinary_word(token)
        # an established word ("burgemeester", "binnenstad") means more than its parts
        split = () if ordinary and is_common_word(token) else self._split_compound(token)
        if split:
            return split
        if ordinary:
            return ()  # a real word the knowledge does not use is not a typo of one it does
        if len(token) >= FUZZY_MIN_LENGTH:
            return self._fuzzy(token)
        if len(token) == FUZZY_MIN_LENGTH - 1:
            return self._swapped(token)
        return ()

    def knows(self, text: str) -> bool:
        """Does ``text`` hold a word the knowledge uses (so blanking it changes a match)?"""
        return any(
            self._lookup(token)
            for token in self.analyzer.tokens(text)
            if self.analyzer.is_content(token)
        )

    def _inflected(self, token: str) -> tuple[tuple[str, float], ...]:
        """Another form of a knowledge word the stemmer keeps apart: "ziekmelden" for
        "ziekmelding", "reservering" for "reserveren"."""
        for suffix, others in _INFLECTIONS:
            if token.endswith(suffix) and len(token) - len(suffix) >= INFLECTION_MIN_ROOT:
                root = token[: -len(suffix)]
                for other in others:
                    keys = self.analyzer.keys(root + other)
                    found = tuple((k, INFLECTION_FACTOR) for k in keys if k in self._index)
                    if found:
                        return found
        return ()

    def _swapped(self, token: str) -> tuple[tuple[str, float], ...]:
        """A short typo is taken only as two letters swapped ("lfit" -> "lift")."""
        word = self._anagrams.get("".join(sorted(token)))
        if word is None or Levenshtein.distance(token, word) > 2:
            return ()
        return tuple((k, FUZZY_MIN_SIMILARITY) for k in self._surface[word])

    def _split_compound(self, token: str) -> tuple[tuple[str, float], ...]:
        best: tuple[tuple[str, float], ...] = ()
        best_head = 0
        for cut in range(COMPOUND_MIN_PART, len(token) - COMPOUND_MIN_HEAD + 1):
            head = token[cut:]
            head_keys = [k for k in self.analyzer.keys(head) if k in self._index]
            if not head_keys or len(head) <= best_head:
                continue
            found = [(k, COMPOUND_HEAD_FACTOR) for k in head_keys]
            modifier = token[:cut]
            for candidate in (modifier, modifier[:-1], modifier[:-2]):
                if len(candidate) < COMPOUND_MIN_PART:
                    continue
                modifier_keys = [k for k in self.analyzer.keys(candidate) if k in self._index]
                if modifier_keys:
                    found.extend((k, COMPOUND_MODIFIER_FACTOR) for k in modifier_keys)
                    break
            best, best_head = tuple(found), len(head)
        return best

    def _fuzzy(self, token: str) -> tuple[tuple[str, float], ...]:
        """A typo: the most similar knowledge word of about the same length (rapidfuzz)."""
        best: tuple[str, float] | None = None
        for offset in (0, -1, 1, -2, 2):  # same length first: ties go to it
            length = len(token) + offset
            words = self._by_length.get(length)
            if not words:
                continue
            found = process.extractOne(
                token,
                words,
                scorer=OSA.normalized_similarity,  # two letters swapped is one slip
                # rapidfuzz turns the cut-off into a whole edit distance: stay just below
                score_cutoff=(FUZZY_MIN_SIMILARITY if best is None else best[1]) - 0.005,
            )
            if found is None or found[1] < FUZZY_MIN_SIMILARITY - 1e-9:
                continue
            if best is None or found[1] > best[1]:
                best = (found[0], found[1])
        if best is None:
            return ()
        best_word, best_similarity = best
        return tuple((k, best_similarity) for k in self._surface[best_word])

    def _analyse(self, text: str) -> tuple[list[str], list[_Term], list[tuple[_Pair, ...]], float]:
        """Tokens, matched terms, adjacent pairs, and the share of words the knowledge lacks."""
        tokens = self.analyzer.tokens(text)
        terms: list[_Term] = []
        phrases: dict[tuple[_Pair, ...], None] = {}
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
                    terms.append(found)
                elif not any(ch.isdigit() for ch in token):
                    unknown += 1
            if previous is not None and content:
                phrases[((previous[0], keys[0]),)] = None
                # "vergader ruimte", "zit sta" written apart: try the compound as one word
                joined = tuple(
                    (k, 1.0) for k in self.analyzer.keys(previous_token + token) if k in self._index
                )
                if joined:
                    terms.append(joined)
            previous = keys if content else None
            previous_token = token
        return tokens, terms, list(phrases), (unknown / len(seen) if seen else 1.0)

    def match(self, text: str, whole: str | None = None) -> Match:
        """Match ``text``; ``whole`` is the full message when ``text`` has parts blanked
        out (names, places): its out-of-scope cues still count ("de Albert Heijn")."""
        text = text[:2000]
        tokens, terms, phrases, unknown = self._analyse(text)
        is_question = self.analyzer.is_question(tokens, text)
        scores = self._index.score(terms, phrases, PHRASE_BONUS)
        faq_scores = self._faq_index.score(terms, phrases, PHRASE_BONUS)
        products = [Candidate(self._targets[t].id, round(score, 3)) for t, score in top(scores, 5)]
        faq = [
            Candidate(self._faqs[f][0], round(score, 3), self._faqs[f][1])
            for f, score in top(faq_scores, 5)
        ]
        cue_tokens = tokens if whole is None else self.analyzer.tokens(whole[:2000])
        cues = self._cues_in(cue_tokens)
        own_evidence = self._without_cues(cue_tokens, cues, products)
        decision, topic = self._decide(
            products, cues, faq, is_question, unknown, terms, own_evidence, len(cue_tokens)
        )
        return Match(decision, tuple(products), tuple(faq), is_question, topic)

    def _without_cues(
        self,
        tokens: list[str],
        cues: list[tuple[str, tuple[str, ...], int]],
        products: list[Candidate],
    ) -> bool:
        """Does the top product keep evidence of its own once the words of the out-of-scope
        subjects are set aside: a word of its name or synonyms ("pasje" in "pasje kwijt in
        de trein") and a clear score on the rest of the message ("verlengen" alone is not
        enough)?"""
        if not cues or not products:
            return False
        gone = {i for _topic, cue, start in cues for i in range(start, start + len(cue))}
        own = self._own[self._target_index[products[0].product_id]]
        rest = [token for i, token in enumerate(tokens) if i not in gone]
        named = any(
            any(k in own for k, _ in self._lookup(token))
            for token in rest
            if self.analyzer.is_content(token)
        )
        if not named:
            return False
        _tokens, terms, phrases, _unknown = self._analyse(" ".join(rest))
        scores = self._index.score(terms, phrases, PHRASE_BONUS)
        target = self._target_index[products[0].product_id]
        return float(scores[target]) >= self.thresholds.none_below * 2

    def _decide(
        self,
        products: list[Candidate],
        topics: list[tuple[str, tuple[str, ...], int]],
        faq: list[Candidate],
        is_question: bool,
        unknown: float,
        terms: list[_Term],
        own_evidence: bool,
        long_message: int = 0,
    ) -> tuple[Decision, str | None]:
        t = self.thresholds
        top = products[0] if products else None
        if top is None or top.score < t.none_below:
            return Decision.NONE, (topics[0][0] if topics else None)
        if unknown > t.unknown_share and top.score < t.none_below * 2:
            return Decision.NONE, None  # mostly words the knowledge never uses: not ours
        # An out-of-scope setting ("thuis", "in mijn tuin") vetoes any product that does not
        # cover it; an out-of-scope subject ("de trein", "aandelen") only when the product
        # has too little evidence of its own without the subject's words. In a long message
        # a setting is only a subject: a driving licence mentioned in passing does not undo
        # the pool car asked for.
        setting_vetoes = long_message < SETTING_MAX_WORDS
        for topic, cue, _start in topics:
            if self._covers(top.product_id, cue):
                continue
            if (setting_vetoes and topic in self._settings) or not own_evidence:
                return Decision.NONE, topic
        # Evidence: a word of the product's own name, synonyms or description, besides the
        # words of an out-of-scope setting it happens to share ("thuis" in a home office).
        setting = {
            k for _topic, cue, _s in topics for token in cue for k in self.analyzer.keys(token)
        }
        strong = self._strong[self._target_index[top.product_id]]
        if not any(k in strong and k not in setting for term in terms for k, _ in term):
            return Decision.NONE, (topics[0][0] if topics else None)
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

    def _vocabulary(self, product_id: str) -> frozenset[str]:
        """The words of a product's own texts (computed when first needed)."""
        target = self._target_index[product_id]
        words = self._vocabularies.get(target)
        if words is None:
            product = self._knowledge.products[product_id]
            words = frozenset(
                token
                for text, _weight in self._product_texts(product)
                for token in self.analyzer.tokens(text)
                if self.analyzer.is_content(token)
            )
            self._vocabularies[target] = words
        return words

    def _compound_cue(self, token: str) -> str | None:
        """The topic of a Dutch cue word that starts or ends ``token`` with at least three
        letters to spare (a compound, not an inflection: "trouwens" is not "trouwen")."""
        if token in self._compound_cues:
            return self._compound_cues[token]
        found: str | None = None
        for cut in range(CUE_PART_MIN, len(token) - 2):
            found = self._cue_parts.get(token[:cut]) or self._cue_parts.get(token[-cut:])
            if found is not None:
                break
        if len(self._compound_cues) >= LOOKUP_CACHE:
            self._compound_cues.clear()
        self._compound_cues[token] = found
        return found

    def _cues_in(self, tokens: list[str]) -> list[tuple[str, tuple[str, ...], int]]:
        """Out-of-scope cue phrases in the message: (topic, words, position)."""
        found: list[tuple[str, tuple[str, ...], int]] = []
        for start, token in enumerate(tokens):
            for phrase, topic in self._cues.get(token, ()):
                if tuple(tokens[start : start + len(phrase)]) == phrase:
                    found.append((topic, phrase, start))
            if len(token) >= CUE_PART_MIN + 3 and token not in self._cues:
                topic_of_part = self._compound_cue(token)
                if topic_of_part is not None:
                    found.append((topic_of_part, (token,), start))
        return found

    def _covers(self, product_id: str, cue: tuple[str, ...]) -> bool:
        """Does the product's own vocabulary use the cue's content words ('thuis' for home office)?"""
        words = self._vocabulary(product_id)
        content = [token for token in cue if self.analyzer.is_content(token)]
        # a part of a compound counts: "prive" is in "privepakketten"
        return bool(content) and all(
            token in words or any(token in word for word in words if len(word) > len(token))
            for token in content
        )
