"""Location: building, floor and room.

Rules chosen where the language is ambiguous:

A building is one of the organisation's names, matched case and accent
insensitively; failing that, a word (or two words written apart) within
``fuzz.ratio`` 85 of a name ("stadskantor"), a distinctive word of a name
("depot" for "Depot Noord"; direction and generic words such as "noord" or
"gebouw" alone do not count, nor a word two buildings share) or a prefix of at
least five letters ("stadsk"). Words under five letters must match exactly, and
a typo is looked for only when the first three letters are right (speed).
``fuzz.ratio`` rather than ``partial_ratio``: "kantoor" must not pick
"Stadskantoor". A room needs a cue word (kamer, ruimte, lokaal, zaal, room, also
ending a compound: "koffiekamer 1.02") or building-room notation with one letter
("B1.07", not "v1.07"). With a dotted room number and no floor given, the
digits before the dot are the floor ("2.14" -> 2). "op 3" is a floor unless a
month, time, unit or counted noun follows ("op 3 december", "op 3 plekken").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from dialogs.entities._text import (
    _MONTH_ALT,
    _TOKEN_RE,
    Span,
    _fold,
    _has_digit,
    _mask,
    _word_matches,
    _words,
)

__all__ = ["Location", "parse_location"]


@dataclass(frozen=True, slots=True)
class Location:
    building: str | None
    floor: int | None
    room: str | None

    def describe(self, language: str) -> str:
        """ "Stadskantoor, 2e verdieping, kamer 2.14"; the parts that are None left out."""
        english = language.lower().startswith("en")
        parts: list[str] = []
        if self.building:
            parts.append(self.building)
        if self.floor is not None:
            parts.append(_describe_floor(self.floor, english))
        if self.room:
            parts.append(f"{'room' if english else 'kamer'} {self.room}")
        return ", ".join(parts)

    def same_place(self, other: Location) -> bool:
        """Same building and room, or (no room on either side) same building and floor."""
        if not self.building or not other.building:
            return False
        if _fold(self.building) != _fold(other.building):
            return False
        if self.room or other.room:
            return bool(self.room and other.room) and _fold(self.room or "") == _fold(
                other.room or ""
            )
        return self.floor == other.floor


def _describe_floor(floor: int, english: bool) -> str:
    if english:
        if floor == 0:
            return "ground floor"
        if floor == -1:
            return "basement"
        if floor < 0:
            return f"basement level {-floor}"
        if 10 <= floor % 100 <= 20:
            suffix = "th"
        else:
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(floor % 10, "th")
        return f"{floor}{suffix} floor"
    if floor == 0:
        return "begane grond"
    if floor == -1:
        return "kelder"
    if floor < 0:
        return f"{-floor}e kelderverdieping"
    return f"{floor}e verdieping"


_ROOM_CUE = (
    r"(?:vergader(?:zaal|kamer|ruimte)|spreekkamer|werkkamer|kamer|ruimte|lokaal|zaal"
    r"|meeting\s?room|room|rm)"
)
_ROOM_CODE = r"(?:[a-z]{1,2}-?)?\d{1,2}\.\d{1,3}[a-z]?|(?:[a-z]{1,2}-?)?\d{1,4}[a-z]?"
_ROOM_RE = re.compile(
    rf"{_ROOM_CUE}\.?\s*(?:(?:nr|no|nummer|number)\.?\s*)?[:#]?\s*"
    rf"(?P<room>{_ROOM_CODE})(?![\w]|[.,:/-]\d)"
)
# Building-room notation: one letter (not "v", for versions), floor, dot, number.
_BARE_ROOM_RE = re.compile(r"(?<![\w.-])(?P<room>[a-uw-z]-?\d{1,2}\.\d{2,3})(?![\w]|[.,]\d)")

_ORDINAL_WORDS: dict[str, int] = {
    **{
        w: n
        for n, w in enumerate(
            ("eerste", "tweede", "derde", "vierde", "vijfde", "zesde", "zevende", "achtste"),
            1,
        )
    },
    **{
        w: n
        for n, w in enumerate(
            ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"),
            1,
        )
    },
    **{"negende": 9, "tiende": 10, "elfde": 11, "twaalfde": 12},
    **{"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12},
}

_FLOOR_NOUN = r"(?:verdieping|verd\.|verd|etage|floor|storey|story)"
# Words after "op 3" that make it something other than a floor.
_NOT_FLOOR_AFTER = (
    rf"(?:{_MONTH_ALT}|uur|u|h|am|pm|%|euro|eur|x|keer|maal|stuks?|st|personen|persoon|pers"
    r"|mensen|man|people|persons|gasten|deelnemers|dagen|dag|weken|week|maanden|jaar|jaren"
    r"|minuten|min|uren|plekken|plaatsen|stoelen|tafels|punten|vragen|verdiepingen|locaties"
    r"|procent|meter|m)(?![a-z])"
)
# Starts with \b: with alternatives this mixed that is faster than without (measured).
_FLOOR_RE = re.compile(
    rf"\b(?:(?P<num>-?\d{{1,2}})\s*(?:e|de|ste|st|nd|rd|th)?|(?P<word>{_words(_ORDINAL_WORDS)}))"
    rf"\s*{_FLOOR_NOUN}(?![a-z])"
    rf"|{_FLOOR_NOUN}\s*(?:nr\.?\s*)?(?P<num2>-?\d{{1,2}})(?![\w]|[.,:/-]\d)"
    r"|(?P<num3>\d{1,2})\s*hoog\b"
    r"|(?P<ground>begane[\s-]*grond|gelijkvloers|parterre|ground[\s-]*floor|bg)\b"
    r"|(?P<basement>kelder(?:verdieping)?|souterrain|basement)\b"
    rf"|op\s+(?P<op>\d{{1,2}})(?![\w]|[.,:/-]\d)(?!\s*{_NOT_FLOOR_AFTER})"
)

# Words of building names too general to pick a building on their own.
_GENERIC_BUILDING_WORDS = frozenset(
    [
        "noord",
        "zuid",
        "oost",
        "west",
        "north",
        "south",
        "east",
        "centrum",
        "center",
        "centre",
        "gebouw",
        "building",
        "kantoor",
        "office",
        "huis",
        "house",
        "locatie",
        "location",
        "toren",
        "tower",
        "plein",
        "straat",
        "weg",
        "laan",
        "park",
        "hal",
        "hall",
        "de",
        "het",
        "een",
        "van",
        "the",
        "and",
        "en",
    ]
)
_FUZZY_CUTOFF = 85.0
_MIN_FUZZY_LEN = 5
_PREFIX_SCORE = 80.0


@dataclass(frozen=True, slots=True)
class _BuildingIndex:
    exact: re.Pattern[str] | None
    canonical: dict[str, str]  # folded name, words joined without spaces -> canonical name
    words: dict[str, str]  # whole folded name or distinctive word -> canonical name
    fuzzy: tuple[tuple[str, str], ...]  # (name or distinctive word without spaces, name)
    scan: re.Pattern[str] | None  # words that start like a name or a distinctive word


@lru_cache(maxsize=64)
def _building_index(buildings: tuple[str, ...]) -> _BuildingIndex:
    keys: dict[str, str] = {}  # folded name, single spaces -> canonical name
    for name in buildings:
        key = " ".join(_TOKEN_RE.findall(_fold(name)))
        if key:
            keys.setdefault(key, name)
    alternatives = [
        r"[\s-]*".join(re.escape(w) for w in key.split())
        for key in sorted(keys, key=len, reverse=True)
    ]
    exact = (
        re.compile(rf"(?<![a-z0-9])(?:{'|'.join(alternatives)})(?![a-z0-9])")
        if alternatives
        else None
    )
    words: dict[str, str] = {key.replace(" ", ""): name for key, name in keys.items()}
    owners: dict[str, set[str]] = {}
    for key, name in keys.items():
        for word in key.split():
            if len(word) >= 4 and word not in _GENERIC_BUILDING_WORDS:
                owners.setdefault(word, set()).add(name)
    for word, names in owners.items():
        if len(names) == 1:  # a word two buildings share picks neither
            words.setdefault(word, next(iter(names)))
    fuzzy = tuple((text, name) for text, name in words.items() if len(text) >= _MIN_FUZZY_LEN)
    canonical = {key.replace(" ", ""): name for key, name in keys.items()}
    # Typos are looked for only in words whose first three letters are right.
    heads = sorted({text[:3] for text in words}, key=len, reverse=True)
    scan = (
        re.compile(rf"(?:{'|'.join(map(re.escape, heads))})[a-z0-9]*(?=[\s-]+([a-z0-9]{{3,}}))?")
        if heads
        else None
    )
    return _BuildingIndex(exact, canonical, words, fuzzy, scan)


def _find_building(folded: str, buildings: Sequence[str]) -> tuple[str, Span] | None:
    """The building named in ``folded``: exactly, else by a distinctive word, typo or prefix."""
    if not buildings:
        return None
    index = _building_index(tuple(buildings))
    if index.exact is not None:
        match = index.exact.search(folded)
        if match:
            name = index.canonical["".join(_TOKEN_RE.findall(match.group()))]
            return name, match.span()
    if index.scan is None:
        return None
    scores: dict[str, tuple[float, int, Span]] = {}  # name -> (score, start, span)
    for match in index.scan.finditer(folded):
        start = match.start()
        if start and folded[start - 1].isalnum():
            continue
        word, following = match.group(), match.group(1)
        candidates = [(word, match.span())]
        if following:  # "stads kantoor"
            end = folded.index(following, match.end()) + len(following)
            candidates.append((word + following, (start, end)))
        for text, span in candidates:
            exact_name = index.words.get(text)
            if exact_name is not None:
                _keep(scores, exact_name, 100.0, span)
                continue
            if len(text) < _MIN_FUZZY_LEN:
                continue
            for target, name in index.fuzzy:
                if target[:3] != text[:3]:
                    continue
                if target.startswith(text):
                    _keep(scores, name, _PREFIX_SCORE, span)  # a clear prefix: "stadsk"
                elif abs(len(target) - len(text)) <= max(2, len(target) // 5):
                    score = fuzz.ratio(text, target, score_cutoff=_FUZZY_CUTOFF)
                    _keep(scores, name, score, span)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[1][1]))
    if len(ranked) > 1 and ranked[0][1][:2] == ranked[1][1][:2]:
        return None  # the same words fit two buildings equally well
    return ranked[0][0], ranked[0][1][2]


def _keep(scores: dict[str, tuple[float, int, Span]], name: str, score: float, span: Span) -> None:
    if not score:
        return
    old = scores.get(name)
    if old is None or score > old[0] or (score == old[0] and span[0] < old[1]):
        scores[name] = (score, span[0], span)


def _floor_from_match(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    for key in ("num", "num2", "num3", "op"):
        if groups[key] is not None:
            return int(groups[key])
    if groups["word"] is not None:
        return _ORDINAL_WORDS[groups["word"]]
    if groups["ground"] is not None:
        return 0
    if groups["basement"] is not None:
        return -1
    return None


def _room_floor(room: str) -> int | None:
    match = re.match(r"[A-Z]{0,2}-?(\d{1,2})\.\d", room)
    return int(match.group(1)) if match else None


_FLOOR_HINTS = (
    "verd",
    "etage",
    "floor",
    "stor",
    "grond",
    "bg",
    "gelijkvloers",
    "parterre",
    "kelder",
    "souterrain",
    "basement",
    "hoog",
    "op ",
)


def _location(
    folded: str, buildings: Sequence[str], has_digit: bool
) -> tuple[Location | None, list[Span]]:
    """The location and the spans of every room and floor expression (for masking)."""
    spans: list[Span] = []
    room: str | None = None
    if has_digit:
        # A room cue may end a compound ("koffiekamer 1.02", "stilteruimte 3.10").
        for match in [*_ROOM_RE.finditer(folded), *_word_matches(_BARE_ROOM_RE, folded)]:
            if room is None:
                room = match.group("room").upper()
            spans.append(match.span())
    floor: int | None = None
    if any(hint in folded for hint in _FLOOR_HINTS):
        room_spans = list(spans)
        for match in _word_matches(_FLOOR_RE, folded):
            if any(match.start() < e and match.end() > s for s, e in room_spans):
                continue
            value = _floor_from_match(match)
            if value is not None and -5 <= value <= 99:
                spans.append(match.span())
                if floor is None:
                    floor = value
    if floor is None and room is not None:
        floor = _room_floor(room)
    building: str | None = None
    found = _find_building(_mask(folded, spans), buildings)
    if found:
        building, span = found
        spans.append(span)
    if building is None and floor is None and room is None:
        return None, spans
    return Location(building, floor, room), spans


def parse_location(text: str, buildings: Sequence[str]) -> Location | None:
    """Building, floor and room in ``text``; None when none of the three is there."""
    folded = _fold(text)
    return _location(folded, buildings, _has_digit(folded))[0]
