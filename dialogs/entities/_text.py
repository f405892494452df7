"""Shared helpers: folding, masking, word matching, numbers and month names.

Text is read on a *folded* copy: lower case, accents removed, curly quotes and
dashes made plain, one character for one character, so that a span in the folded
text is the same span in the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

Span = tuple[int, int]

# ---------------------------------------------------------------------------
# Folding and masking
# ---------------------------------------------------------------------------

_SPECIAL_CHARS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2022": "*",
    "\u00b7": "*",
    "\u00e6": "a",
    "\u00f8": "o",
    "\u00df": "s",
}
_FOLD_CACHE: dict[str, str] = {}


def _fold_char(char: str) -> str:
    folded = _FOLD_CACHE.get(char)
    if folded is None:
        folded = _SPECIAL_CHARS.get(char)
        if folded is None:
            base = unicodedata.normalize("NFKD", char)[:1] or char
            folded = base.lower()[:1] or base
            if unicodedata.category(folded).startswith("Z"):
                folded = " "
        _FOLD_CACHE[char] = folded
    return folded


def _fold(text: str) -> str:
    """Lower case without accents, one character for one character."""
    if text.isascii():
        return text.lower().replace("`", "'")
    return "".join(map(_fold_char, text))


def _mask(text: str, spans: Iterable[Span]) -> str:
    """``text`` with the spans blanked out (same length, so positions stay)."""
    ordered = sorted(spans)
    if not ordered:
        return text
    parts: list[str] = []
    pos = 0
    for start, end in ordered:
        start = max(start, pos)
        if end <= start:
            continue
        parts.append(text[pos:start])
        parts.append(" " * (end - start))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _has_digit(text: str) -> bool:
    return _DIGIT_RE.search(text) is not None


_DIGIT_RE = re.compile(r"\d")


def _word_matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, only the matches that start a word.

    The patterns leave out a leading ``\\b``: a pattern that starts with literal words
    lets the regex engine skip ahead, several times faster than one starting with ``\\b``.
    """
    for match in pattern.finditer(text):
        start = match.start()
        if start == 0 or not text[start - 1].isalnum():
            yield match


def _word_search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    return next(_word_matches(pattern, text), None)


def _words(mapping: Iterable[str]) -> str:
    """A regex alternation of words, longest first."""
    return "|".join(sorted((re.escape(w) for w in mapping), key=len, reverse=True))


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

_NL_COUNTS = (
    "een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien "
    "zestien zeventien achttien negentien twintig"
)
_EN_COUNTS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_COUNT_WORDS: dict[str, int] = {
    **{w: n for n, w in enumerate(_NL_COUNTS.split(), 1)},
    **{w: n for n, w in enumerate(_EN_COUNTS.split(), 1)},
}
_COUNT_ALT = _words(_COUNT_WORDS)
# "met z'n achten": the collective forms.
_COLLECTIVE_WORDS: dict[str, int] = {
    w: n
    for n, w in enumerate(
        ("-", "tweeen", "drieen", "vieren", "vijven", "zessen", "zevenen", "achten", "negenen"),
        1,
    )
    if n > 1
} | {"tienen": 10, "elven": 11, "twaalven": 12, "twintigen": 20}
_HOUR_WORDS: dict[str, int] = {w: n for w, n in _COUNT_WORDS.items() if n <= 12}
_HOUR_ALT = _words(_HOUR_WORDS)
# Hour words accepted after "om"/"at" without "uur": not een/one (an article, "at one point").
_CUE_HOUR_ALT = _words(w for w, n in _HOUR_WORDS.items() if n > 1)


def _number(token: str) -> int | None:
    token = token.strip()
    if token.isdigit():
        return int(token)
    return _COUNT_WORDS.get(token)


# ---------------------------------------------------------------------------
# Month names (location, when) and word tokens (location, visitors)
# ---------------------------------------------------------------------------

_MONTH_NAMES = (
    "januari january jan",
    "februari february feb febr",
    "maart march mrt mar",
    "april apr",
    "mei may",
    "juni june jun",
    "juli july jul",
    "augustus august aug",
    "september sept sep",
    "oktober october okt oct",
    "november nov",
    "december dec",
)
_MONTHS: dict[str, int] = {
    name: month for month, names in enumerate(_MONTH_NAMES, 1) for name in names.split()
}
_MONTH_ALT = _words(_MONTHS)
_MONTH_STEMS = frozenset(name[:3] for name in _MONTHS)
_TOKEN_RE = re.compile(r"[a-z0-9]+")
