"""Persons: the number of persons said in the text.

Rules chosen where the language is ambiguous:

A number (digits, or een..twintig / one..twenty) before a noun such as
personen, pers., mensen, man, deelnemers, gasten, people, guests; "met z'n
achten"; a range ("10-12 personen") gives the upper bound. "een" counts only
before persoon/personen (it is also the article). 1..10000.
"""

from __future__ import annotations

import re

from dialogs.entities._text import (
    _COLLECTIVE_WORDS,
    _COUNT_ALT,
    Span,
    _fold,
    _number,
    _word_matches,
    _words,
)

__all__ = ["MAX_PERSONS", "parse_count", "parse_persons"]

MAX_PERSONS = 10_000

_PERSON_NOUN = (
    r"(?:personen|persoon|pers\.?|people|persons|person|man|mensen|deelnemers|deelnemer"
    r"|gasten|gast|guests|guest|attendees|participants|bezoekers|visitors|pax"
    r"|collegas|collega|colleagues|medewerkers|employees|staff|studenten|students|leerlingen)"
)
_NUM_OR_WORD = rf"(?:\d{{1,5}}|{_COUNT_ALT})"
_PERSONS_RE = re.compile(
    rf"(?<![\w.,:/-])(?P<n>{_NUM_OR_WORD})"
    rf"(?:\s*(?:-|tot|a|to|of|or)\s*(?P<m>{_NUM_OR_WORD}))?"
    rf"\s*(?P<noun>{_PERSON_NOUN})(?![a-z])"
)
_COLLECTIVE_RE = re.compile(
    rf"met\s+(?:z'?n|zijn|ons|onze)\s+(?:(?P<w>{_words(_COLLECTIVE_WORDS)})|(?P<d>\d{{1,3}})-?en)\b"
)


_PERSON_HINTS = (
    "pers",
    "people",
    "man",
    "mensen",
    "deelnem",
    "gast",
    "guest",
    "attendee",
    "particip",
    "bezoeker",
    "visitor",
    "pax",
    "colleg",
    "collea",
    "medewerk",
    "employee",
    "staff",
    "student",
    "leerling",
)


def _persons(folded: str) -> tuple[int | None, list[Span]]:
    """The number of persons and the spans of every person count (for masking)."""
    value: int | None = None
    spans: list[Span] = []
    if any(hint in folded for hint in _PERSON_HINTS):
        for match in _PERSONS_RE.finditer(folded):
            first, second = match.group("n"), match.group("m")
            if "een" in (first, second) and not match.group("noun").startswith("pers"):
                continue
            values = [v for v in (_number(first), _number(second) if second else None) if v]
            if values and 1 <= max(values) <= MAX_PERSONS:
                spans.append(match.span())
                if value is None:
                    value = max(values)
    if "met " in folded:
        for collective in _word_matches(_COLLECTIVE_RE, folded):
            word = collective.group("w")
            count = _COLLECTIVE_WORDS[word] if word else int(collective.group("d"))
            if 1 <= count <= MAX_PERSONS:
                spans.append(collective.span())
                if value is None:
                    value = count
    return value, spans


def parse_persons(text: str) -> int | None:
    """A number of persons said with a noun: "12 personen", "for 8 people"."""
    return _persons(_fold(text))[0]


_COUNT_FILLER_RE = re.compile(
    r"\b(?:ongeveer|circa|ca\.?|zo'?n|rond|ruim|plm\.?|about|around|approximately|approx\.?"
    r"|roughly|some|max(?:imaal|imum)?\.?|we\s+zijn\s+(?:met)?|we\s+are|wij\s+zijn(?:\s+met)?"
    r"|met|with)\b|[~\u00b1]"
)
_BARE_COUNT_RE = re.compile(
    rf"^\s*(?P<n>{_NUM_OR_WORD})(?:\s*(?:-|tot|a|to|of|or)\s*(?P<m>{_NUM_OR_WORD}))?"
    r"\s*[.!]?\s*$"
)


def parse_count(text: str) -> int | None:
    """The answer to "how many persons?": "12", "twaalf", "ongeveer 12", "12 personen"."""
    folded = _fold(text)
    value = _persons(folded)[0]
    if value is not None:
        return value
    match = _BARE_COUNT_RE.match(_COUNT_FILLER_RE.sub(" ", folded))
    if not match:
        return None
    values = [v for v in (_number(match.group("n")), _number(match.group("m") or "")) if v]
    if values and 1 <= max(values) <= MAX_PERSONS:
        return max(values)
    return None
