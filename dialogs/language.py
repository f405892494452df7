"""Which language an employee writes in: Dutch or English."""

from __future__ import annotations

from knowledge.text import fold

_DUTCH = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "is",
        "ik",
        "je",
        "jij",
        "mijn",
        "niet",
        "wat",
        "hoe",
        "waar",
        "wanneer",
        "kan",
        "kun",
        "mag",
        "wil",
        "graag",
        "op",
        "in",
        "van",
        "voor",
        "met",
        "bij",
        "er",
        "dat",
        "die",
        "deze",
        "zijn",
        "hebben",
        "heb",
        "wordt",
        "geen",
        "nog",
        "ook",
        "al",
        "even",
        "hoi",
        "hallo",
        "bedankt",
        "goedemorgen",
        "alsjeblieft",
        "kapot",
        "doet",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "is",
        "i",
        "you",
        "my",
        "not",
        "what",
        "how",
        "where",
        "when",
        "can",
        "could",
        "may",
        "would",
        "please",
        "in",
        "of",
        "for",
        "with",
        "at",
        "there",
        "that",
        "this",
        "these",
        "are",
        "have",
        "has",
        "no",
        "still",
        "also",
        "hi",
        "hello",
        "thanks",
        "thank",
        "morning",
        "broken",
        "does",
        "doesnt",
        "isnt",
        "it",
        "its",
        "our",
        "we",
    ]
)


def detect(text: str) -> str | None:
    """'nl', 'en', or None when the text does not tell."""
    tokens = fold(text).split()
    dutch = sum(token in _DUTCH for token in tokens)
    english = sum(token in _ENGLISH for token in tokens)
    if dutch == english:
        return None
    return "nl" if dutch > english else "en"


def from_locale(locale: str | None) -> str | None:
    if not locale:
        return None
    prefix = locale.split("-")[0].lower()
    return prefix if prefix in ("nl", "en") else None


def choose(text: str, locale: str | None, default: str) -> str:
    return detect(text) or from_locale(locale) or default
