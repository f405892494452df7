"""Text analysis for the matcher: folding, abbreviations, stemming, equivalents.

``Analyzer.tokens`` turns a message into folded tokens (lower case, accents
removed, chat shorthand expanded); ``Analyzer.keys`` gives the index keys of a
token: its Dutch and English Snowball stems, mapped onto the first word of an
equivalence group. Results are cached: an employee's words repeat a lot.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer
from wordfreq import zipf_frequency

from knowledge.model import Language

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Snowball stemmers keep state while they work: one lock, and a cache shared by every
# version of the knowledge (stems do not change when an admin edits a file).
_STEMMERS = (snowballstemmer.stemmer("dutch"), snowballstemmer.stemmer("english"))
_STEM_LOCK = threading.Lock()


@lru_cache(maxsize=500_000)
def stems(token: str) -> tuple[str, ...]:
    """The Dutch and English stems of a folded token (one when they agree)."""
    with _STEM_LOCK:
        nl = _STEMMERS[0].stemWord(token)
        en = _STEMMERS[1].stemWord(token)
    return (nl,) if nl == en else (nl, en)


# A word at least this common (Zipf scale: 3 = once per million words) in Dutch or English
# is an ordinary word: never "corrected" into a catalogue word as if it were a typo.
# Typos of catalogue words score 0 ("verwarmnig", "parkeergarge"); rare real words
# ("dimmer" 2.4) and misspellings that happen to exist ("toliet" 1.5) stay below 2.5.
ORDINARY_ZIPF = 2.5


@lru_cache(maxsize=200_000)
def is_ordinary_word(token: str) -> bool:
    """Is a folded token a real, ordinary word of Dutch or English (wordfreq)?"""
    return (
        zipf_frequency(token, "nl", wordlist="best") >= ORDINARY_ZIPF
        or zipf_frequency(token, "en", wordlist="best") >= ORDINARY_ZIPF
    )


COMMON_ZIPF = 3.5  # an established word: not split as a compound ("burgemeester")


@lru_cache(maxsize=200_000)
def is_common_word(token: str) -> bool:
    return (
        zipf_frequency(token, "nl", wordlist="best") >= COMMON_ZIPF
        or zipf_frequency(token, "en", wordlist="best") >= COMMON_ZIPF
    )


_APOSTROPHE = re.compile(r"[’'`´]")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: 'Hygiënemiddelen!' -> 'hygienemiddelen'."""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHE.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


class Analyzer:
    def __init__(self, language: Language, extra_stopwords: Iterable[str] = ()) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}
        self.stopwords: frozenset[str] = frozenset(
            token
            for word in [*language.stopwords.nl, *language.stopwords.en, *extra_stopwords]
            for token in fold(word).split()
        )
        self._abbreviations = {
            fold(short): tuple(fold(long).split()) for short, long in language.abbreviations.items()
        }
        self._canonical: dict[str, str] = {}
        for group in language.equivalents:
            head = self._raw_keys(fold(group[0]).replace(" ", ""))[0]
            for word in group:
                for key in self._raw_keys(fold(word).replace(" ", "")):
                    self._canonical.setdefault(key, head)
        self.question_starts: tuple[tuple[str, ...], ...] = tuple(
            tuple(fold(phrase).split())
            for phrase in [*language.question_starts.nl, *language.question_starts.en]
        )

    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        for token in fold(text).split():
            out.extend(self._abbreviations.get(token, (token,)))
        return out

    @staticmethod
    def _raw_keys(token: str) -> tuple[str, ...]:
        return stems(token)

    def keys(self, token: str) -> tuple[str, ...]:
        """Index keys of a folded token (cached)."""
        cached = self._cache.get(token)
        if cached is None:
            keys = tuple(dict.fromkeys(self._canonical.get(k, k) for k in self._raw_keys(token)))
            canonical_whole = self._canonical.get(token)
            if canonical_whole is not None and canonical_whole not in keys:
                keys = (canonical_whole, *keys)
            cached = keys
            if len(self._cache) < 200_000:
                self._cache[token] = cached
        return cached

    def is_content(self, token: str) -> bool:
        """Does this token say something about what is asked?"""
        return len(token) >= 2 and token not in self.stopwords and not token.isdigit()

    def is_question(self, tokens: list[str], text: str) -> bool:
        if "?" in text:
            return True
        return any(tuple(tokens[: len(start)]) == start for start in self.question_starts)
