"""Intake fields from an employee's free text, in Dutch and English.

Pure functions: no I/O, no SDK, no knowledge. The intake dialog calls
:func:`extract_fields` on the first message ("de kraan lekt in kamer 2.14 op de
2e verdieping van het Stadskantoor") and the ``parse_*`` functions on the answers
to its questions ("morgen om 10 uur"). Everything is a small hand-written grammar
of regular expressions, compiled at import, run on a *folded* copy of the text:
lower case, accents removed, curly quotes and dashes made plain, one character
for one character, so that a span in the folded text is the same span in the
original.

Rules chosen where the language is ambiguous:

Location
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
When
    Day: an explicit date wins over vandaag/morgen/overmorgen/"over 3 dagen",
    which win over a weekday. A weekday alone, "volgende/komende/next <day>"
    mean the next such day strictly after today; "deze/this <day>" may be today;
    "volgende week <day>", "<day> volgende week", "next week <day>" mean that
    day in the (Monday-based) week after this one. A day and month without a
    year that has passed this year means next year. Numeric dates are day first
    ("12-11" is 12 November); "12/25" (second part over 12) is read month first.
    A dotted pair ("12.12") is never a date unless a year follows ("12.12.2026").
    Weekday abbreviations (ma, di, ..., mon, tue, ...) count only before a time
    or a number ("wo 14u"), since "zo" and "do" are words too.
    Time: the leftmost time expression wins ("van 10 tot 12" -> 10:00). Hours
    1..7 without am/pm, without a leading zero and without a morning word are
    afternoon hours (office context: "half 3" -> 14:30, "om 2 uur" -> 14:00); for
    "half"/"kwart voor" the rule applies to the named hour ("half 8" -> 07:30).
    A dotted time ("14.00") needs minutes that are a multiple of five or a
    following "uur"/"u", so that "2.14" is never a time. "'s ochtends",
    "'s middags", "'s avonds" (and morning/afternoon/evening) give 09:00, 13:00,
    19:00 when no clock time is given, and make "8 uur 's avonds" 20:00. A time
    without a day is today when still ahead of ``now``, else tomorrow. "2 uur"
    after "duurt", "over", "ongeveer", ... is a duration, not a time. "volgende
    week" alone gives no day. Past dates and times are returned as said; the
    dialog decides what to do with them. Room numbers, floors, person counts,
    plates, cost centres, amounts, percentages, e-mail addresses, phone numbers,
    greetings ("goedemorgen") and "sinds ..." / "since ..." (when a fault started,
    not when to come) are masked before dates and times are looked for.
Persons
    A number (digits, or een..twintig / one..twenty) before a noun such as
    personen, pers., mensen, man, deelnemers, gasten, people, guests; "met z'n
    achten"; a range ("10-12 personen") gives the upper bound. "een" counts only
    before persoon/personen (it is also the article). 1..10000.
Plates
    Dutch side codes 1-14, written with dashes, spaces or nothing; with spaces
    only when the letters are capitals or a cue word (kenteken, plate) comes just
    before, so that "12 dec 3" is never a plate. Separators are all at the side
    code's places or absent ("KP-1234" is not a plate, "KP-12-34" is). Other
    plates only after a cue word, as upper-case letters and digits without
    separators (at least one digit, 2..10 characters).
Cost centre
    After a cue word (kostenplaats, kpl, kostenpost, cost centre/center,
    budgetnummer), 3..12 letters, digits and dashes with at least three digits.
    As an answer (:func:`parse_cost_centre_answer`) the cue is optional, and
    exactly one such code must be in the text.
Visitors
    Several lines: each line is one visitor (";" still separates visitors, and
    commas or tabs inside an entry separate name, company and e-mail). One line:
    ";" separates visitors; otherwise commas do, where a part that is an e-mail
    address, looks like a company (BV, NV, Ltd, Gemeente, ...) or stands between
    a name and an e-mail address belongs to the visitor before it; "Jan en Piet"
    is two visitors. "Name (Company) <e-mail>" and "Name - Company" are read too.
    An entry with only an e-mail address gets a name made from its local part;
    an address that is not roughly valid is dropped; a header row ("Naam, Bedrijf,
    E-mail") and a leading phrase ("bezoekers:", "mijn gasten zijn") are skipped.
    CSV: utf-8 (with or without BOM), else cp1252; the delimiter is the most
    frequent of ";", "," and tab on the first line; header names map the columns
    (also voornaam/tussenvoegsel/achternaam), without a header the e-mail column
    is found by its content, the first other column is the name and the next the
    company. At most 500 visitors.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

__all__ = [
    "Location",
    "Visitor",
    "When",
    "extract_fields",
    "parse_cost_centre",
    "parse_cost_centre_answer",
    "parse_count",
    "parse_location",
    "parse_persons",
    "parse_plate",
    "parse_visitors",
    "parse_visitors_csv",
    "parse_when",
]

MAX_PERSONS = 10_000
MAX_VISITORS = 500

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
# Location
# ---------------------------------------------------------------------------


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
_TOKEN_RE = re.compile(r"[a-z0-9]+")
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


# ---------------------------------------------------------------------------
# Persons
# ---------------------------------------------------------------------------

_PERSON_NOUN = (
    r"(?:personen|persoon|pers\.?|people|persons|person|man|mensen|deelnemers|deelnemer"
    r"|gasten|gast|guests|guest|attendees|participants|bezoekers|visitors|pax)"
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


# ---------------------------------------------------------------------------
# Licence plates
# ---------------------------------------------------------------------------

_SIDECODES = (
    "XX-99-99",
    "99-XX-99",
    "99-99-XX",
    "XX-99-XX",
    "XX-XX-99",
    "99-XX-XX",
    "99-XXX-9",
    "9-XXX-99",
    "XX-999-X",
    "X-999-XX",
    "XXX-99-X",
    "X-99-XXX",
    "9-XX-999",
    "999-XX-9",
)


def _runs(code: str) -> tuple[tuple[bool, int], ...]:
    """(is_letter, length) runs of a compact code: "AB123C" -> L2 D3 L1."""
    runs: list[tuple[bool, int]] = []
    for char in code:
        letter = not char.isdigit()
        if runs and runs[-1][0] == letter:
            runs[-1] = (letter, runs[-1][1] + 1)
        else:
            runs.append((letter, 1))
    return tuple(runs)


_SIDECODE_GROUPS: dict[tuple[tuple[bool, int], ...], tuple[int, ...]] = {
    _runs(code.replace("-", "")): tuple(len(g) for g in code.split("-")) for code in _SIDECODES
}


def _sidecode_pattern(code: str) -> str:
    """ "XX-999-X" -> a regex with an optional dash or space at the side code's places."""
    return "[- ]?".join(
        f"[A-Za-z]{{{len(group)}}}" if group[0] == "X" else f"[0-9]{{{len(group)}}}"
        for group in code.split("-")
    )


_DUTCH_PLATE_RE = re.compile(
    rf"(?<![\w@./-])(?:{'|'.join(_sidecode_pattern(code) for code in _SIDECODES)})"
    r"(?![\w@/-]|\.\w)"
)
_PLATE_CUE_RE = re.compile(
    r"(?:kenteken(?:nummer|plaat)?|nummerbord|licen[cs]e[\s-]?plate|number[\s-]?plate"
    r"|registration(?:\s+number)?|plate|reg\.?\s*(?:nr|no)\.?)\b"
    r"(?:\s*(?:is|nummer|number|nr|no)\b\.?)?\s*[:#]?\s*"
)
_PLATE_HINTS = ("kenteken", "nummerbord", "plate", "registration", "reg")
_FOREIGN_PLATE_RE = re.compile(r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+){0,3}")
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+")


def _normalise_plate(found: str) -> str | None:
    compact = found.replace("-", "").replace(" ", "").upper()
    groups = _SIDECODE_GROUPS.get(_runs(compact))
    if groups is None:
        return None
    pieces, pos = [], 0
    for size in groups:
        pieces.append(compact[pos : pos + size])
        pos += size
    return "-".join(pieces)


def _plates(
    text: str, folded: str, has_digit: bool, exclude: Sequence[Span] = ()
) -> list[tuple[str, Span]]:
    """Dutch plates in ``text``; when there are none, a foreign plate after a cue word."""
    if not has_digit:
        return []
    cue_ends = (
        {m.end() for m in _word_matches(_PLATE_CUE_RE, folded)}
        if any(hint in folded for hint in _PLATE_HINTS)
        else set()
    )
    found: list[tuple[str, Span]] = []
    pos = 0
    while True:
        match = _DUTCH_PLATE_RE.search(text, pos)
        if match is None:
            break
        start, end = match.span()
        plate = _normalise_plate(match.group())
        separators = sum(c in "- " for c in match.group())
        acceptable = (
            plate is not None
            and separators in (0, 2)  # all of the side code's separators or none: not "KP-1234"
            and not any(start < e and end > s for s, e in exclude)
        )
        if acceptable and " " in match.group():
            # With spaces only in capitals or after a cue word: "12 dec 3" is a date.
            letters = "".join(c for c in match.group() if c.isalpha())
            acceptable = letters.isupper() or start in cue_ends
        if acceptable and plate is not None:
            found.append((plate, (start, end)))
            pos = end
        else:
            pos = start + 1
    if found:
        return found
    for cue_end in sorted(cue_ends):
        foreign = _FOREIGN_PLATE_RE.match(text, cue_end)
        if not foreign:
            continue
        pieces: list[str] = []
        end = cue_end
        for piece in _ALNUM_RE.finditer(foreign.group()):
            word = piece.group()
            if pieces and not (any(c.isdigit() for c in word) or word.isupper()):
                break
            pieces.append(word)
            end = cue_end + piece.end()
        compact = "".join(pieces).upper()
        if 2 <= len(compact) <= 10 and any(c.isdigit() for c in compact):
            found.append((compact, (cue_end, end)))
            break
    return found


def parse_plate(text: str) -> str | None:
    """A licence plate: Dutch side codes as "AB-123-C", others after a cue word."""
    folded = _fold(text)
    found = _plates(text, folded, _has_digit(folded))
    return found[0][0] if found else None


# ---------------------------------------------------------------------------
# Cost centre
# ---------------------------------------------------------------------------

_COST_CUE = (
    r"(?:kostenplaats(?:nummer|nr)?|kostenpost|kpl|cost[\s-]?cent(?:re|er)(?:\s+(?:number|code))?"
    r"|budget(?:nummer|code|nr)|budget\s+(?:number|code))"
)
_COST_CODE = r"(?P<code>[a-z0-9][a-z0-9-]{1,10}[a-z0-9])(?![\w-])"
_COST_RE = re.compile(
    rf"{_COST_CUE}\b\.?\s*(?:(?:is|nr|nummer|number|code|no)\b\.?\s*)?[:#=]?\s*{_COST_CODE}"
)
_BARE_COST_RE = re.compile(rf"(?<![\w-]){_COST_CODE}")


def _valid_cost_code(code: str) -> bool:
    return 3 <= len(code) <= 12 and sum(c.isdigit() for c in code) >= 3


_COST_HINTS = ("kosten", "kpl", "cost", "budget")


def _cost_centre(folded: str) -> tuple[str | None, list[Span]]:
    """The cost centre and the spans of every cost centre (for masking)."""
    value: str | None = None
    spans: list[Span] = []
    if any(hint in folded for hint in _COST_HINTS):
        for match in _word_matches(_COST_RE, folded):
            code = match.group("code")
            if _valid_cost_code(code):
                spans.append(match.span())
                if value is None:
                    value = code.upper()
    return value, spans


def parse_cost_centre(text: str) -> str | None:
    """A cost centre after a cue word: "kostenplaats 4711", "kpl: KP-1234"."""
    return _cost_centre(_fold(text))[0]


def parse_cost_centre_answer(text: str) -> str | None:
    """The answer to "which cost centre?": a cue word is optional; one code only."""
    folded = _fold(text)
    code = _cost_centre(folded)[0]
    if code:
        return code
    codes = {m.group("code") for m in _BARE_COST_RE.finditer(folded)}
    codes = {c for c in codes if _valid_cost_code(c)}
    return codes.pop().upper() if len(codes) == 1 else None


# ---------------------------------------------------------------------------
# When
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class When:
    day: dt.date
    time: dt.time | None = None  # None when only a day was given
    tzinfo: dt.tzinfo | None = field(default=None, compare=False, repr=False)

    def at(self, default: dt.time) -> dt.datetime:
        """The moment, aware in ``now``'s time zone; ``default`` when no time was given."""
        clock = self.time if self.time is not None else default
        tz = self.tzinfo if self.tzinfo is not None else _amsterdam()
        return dt.datetime.combine(self.day, clock.replace(tzinfo=None), tzinfo=tz)


@lru_cache(maxsize=1)
def _amsterdam() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Amsterdam")


_WEEKDAY_NAMES = (
    "maandag monday",
    "dinsdag tuesday",
    "woensdag wednesday",
    "donderdag thursday",
    "vrijdag friday",
    "zaterdag saturday",
    "zondag sunday",
)
_WEEKDAYS: dict[str, int] = {
    name: day for day, names in enumerate(_WEEKDAY_NAMES) for name in names.split()
}
# Abbreviations count only before a time or date: "zo", "do", "sun" are words too.
_WEEKDAY_ABBREVIATION_NAMES = (
    "ma mon",
    "di tue tues",
    "wo wed",
    "do thu thur thurs",
    "vr fri",
    "za sat",
    "zo sun",
)
_WEEKDAY_ABBREVIATIONS: dict[str, int] = {
    name: day for day, names in enumerate(_WEEKDAY_ABBREVIATION_NAMES) for name in names.split()
}

MORNING, NOON, AFTERNOON, EVENING = "morning", "noon", "afternoon", "evening"
_PART_DEFAULTS = {
    MORNING: dt.time(9, 0),
    NOON: dt.time(12, 0),
    AFTERNOON: dt.time(13, 0),
    EVENING: dt.time(19, 0),
}
_PART_WORDS = {
    "ochtend": MORNING,
    "morgen": MORNING,
    "voormiddag": MORNING,
    "morning": MORNING,
    "middag": AFTERNOON,
    "namiddag": AFTERNOON,
    "afternoon": AFTERNOON,
    "avond": EVENING,
    "evening": EVENING,
    "tonight": EVENING,
    "noon": NOON,
    "midday": NOON,
}

# Greetings are not times: "goedemorgen", "good afternoon".
_GREETING_RE = re.compile(
    r"(?:goede?n?|goeie(?:n)?|good)\s*(?:morgen|middag|avond|ochtend|dag|morning|afternoon"
    r"|evening|day)\b"
)
# Parts of the day: found by the word itself (fast), then judged by what comes before.
_PART_RE = re.compile(
    r"(?:voormiddag|namiddag|ochtend|morgen|middag|avond|morning|afternoon|evening|tonight"
    r"|noon|midday|lunch\s*(?:tijd|time))(?P<s>s?)(?![a-z])"
)
_APOSTROPHE_S_RE = re.compile(r"(?:'s|(?<![a-z])s')\s*$")
_LUNCH_BEFORE_RE = re.compile(r"(?:tussen\s+de\s+|12\s+)$")
# "overmorgen" is a day and "goedemorgen" a greeting (masked before), not a morning.
_NOT_PART_PREFIXES = ("over", "goede", "goeie", "goeden")

_RELATIVE_DAY_RE = re.compile(
    r"\b(?P<today>vandaag|today|tonight|vanochtend|vanmorgen|vanmiddag|vanavond"
    r"|this\s+(?:morning|afternoon|evening))\b"
    r"|(?P<after>overmorgen|(?:the\s+)?day\s+after\s+tomorrow)(?:ochtend|morgen|middag|avond)?\b"
    r"|(?P<tomorrow>morgen|tomorrow)(?:ochtend|middag|avond|vroeg)?\b"
    rf"|(?:over|in)\s+(?P<n>\d{{1,2}}|{_COUNT_ALT}|a|an)\s+"
    r"(?P<unit>dagen|dag|days|day|weken|week|weeks)\b"
)
_WEEK_AHEAD = r"(?:volgende|komende|next|coming)\s+week"
_WEEKDAY_RE = re.compile(rf"(?:{_words(_WEEKDAYS)})(?=(?:s|ochtend|morgen|middag|avond)?(?![a-z]))")
# What may stand before and after a weekday: "volgende week dinsdag", "dinsdag volgende week".
_WEEKDAY_BEFORE_RE = re.compile(
    rf"(?:(?<![a-z])(?P<week>{_WEEK_AHEAD})\s+(?:op\s+|on\s+)?"
    r"|(?<![a-z])(?P<pre>volgende|komende|aanstaande|deze|next|this|coming)\s+)$"
)
_WEEKDAY_AFTER_RE = re.compile(
    rf"(?:s|ochtend|morgen|middag|avond)?\s+(?:(?:van|in)\s+(?:de\s+)?)?{_WEEK_AHEAD}\b"
)
_WEEKDAY_ABBR_RE = re.compile(
    rf"(?P<wd>{_words(_WEEKDAY_ABBREVIATIONS)})\b\.?(?=\s*(?:\d|om\b|at\b|half\b|kwart\b))"
)
_ORD_SUFFIX = r"(?:e|de|ste|st|nd|rd|th)"
_DAY_MONTH_RE = re.compile(
    rf"(?<![\w.:/-])(?P<d>\d{{1,2}}){_ORD_SUFFIX}?\s*(?:of\s+)?(?P<m>{_MONTH_ALT})\.?(?![a-z])"
    r"(?:\s*,?\s*(?P<y>\d{4})(?![\d:]))?"
)
_MONTH_DAY_RE = re.compile(
    rf"(?P<m>{_MONTH_ALT})\.?\s+(?P<d>\d{{1,2}}){_ORD_SUFFIX}?(?![\w:.]|\s*(?:uur|u|h|am|pm)\b)"
    r"(?:\s*,?\s*(?P<y>\d{4})(?![\d:]))?"
)
_ISO_DATE_RE = re.compile(
    r"(?<![\w.:/-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w:]|[-/.]\d)"
)
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\w.:/-])(?P<d>\d{1,2})(?P<sep>[-/])(?P<m>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?"
    r"(?![\w:/-]|\.\d|\s*(?:uur|u|h)\b)"
    r"|(?<![\w.:/-])(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{4}|\d{2})(?![\w:/.-]|\.\d)"
)
_DAY_OF_MONTH_RE = re.compile(rf"(?:op\s+de|de|on\s+the|the)\s+(?P<d>\d{{1,2}}){_ORD_SUFFIX}\b")

_AMPM = r"(?P<ampm>\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z]))?"
_TIME_CUE = r"(?:om|at|rond|rondom|omstreeks|around|tegen|vanaf)"
# (kind, pattern, needs a digit, hints: the pattern runs only when one of them is in the text)
_TIME_RES: tuple[tuple[str, re.Pattern[str], bool, tuple[str, ...]], ...] = (
    (
        "range",
        re.compile(
            r"(?:van|from|tussen|between)\s+(?P<h>\d{1,2})(?:[:.](?P<mi>\d{2}))?\s*(?:uur\s*)?"
            r"(?:-|tot|to|until|till|en|and)\s*\d{1,2}(?:[:.]\d{2})?(?!\d)" + _AMPM
        ),
        True,
        ("van", "from", "tussen", "between"),
    ),
    (
        "clock",
        re.compile(
            r"(?<![\w.:,/-])(?P<h>\d{1,2})(?P<sep>[:.])(?P<mi>\d{2})(?![\d]|[.:]\d)"
            r"(?P<suffix>\s*(?:uur|u|h)\b)?" + _AMPM
        ),
        True,
        (":", "."),
    ),
    (
        "compact",
        re.compile(r"(?<![\w.:,/-])(?P<h>\d{1,2})[uh](?P<mi>\d{2})?\b" + _AMPM),
        True,
        ("u", "h"),
    ),
    (
        "hour_range",
        re.compile(r"(?<![\w.:,/-])(?P<h>\d{1,2})\s*-\s*\d{1,2}\s*(?:uur|u|h)\b" + _AMPM),
        True,
        ("-",),
    ),
    (
        "half_past",
        re.compile(rf"half\s+past\s+(?P<h>\d{{1,2}}|{_HOUR_ALT})\b(?!\s*[:.]\d)" + _AMPM),
        False,
        ("half",),
    ),
    (
        "quarter",
        re.compile(
            rf"\b(?P<q>quarter|kwart|\d{{1,2}}|vijf|tien|twintig|five|ten|twenty)"
            rf"\s+(?P<dir>over|voor|past|to)\s+(?P<half>half\s+)?(?P<h>\d{{1,2}}|{_HOUR_ALT})\b"
            r"(?!\s*[:.]\d|\s*(?:dagen|dag|days|day|weken|week|weeks|uur|hours?)\b)" + _AMPM
        ),
        False,
        ("over", "voor", "past", "to"),
    ),
    (
        "half",
        re.compile(rf"half\s+(?P<h>\d{{1,2}}|{_HOUR_ALT})\b(?!\s*[:.]\d)" + _AMPM),
        False,
        ("half",),
    ),
    (
        "ampm",
        re.compile(r"(?<![\w.:,/-])(?P<h>\d{1,2})" + _AMPM.replace(")?", ")")),
        True,
        ("am", "pm", "a.m", "p.m"),
    ),
    (
        "uur",
        re.compile(rf"(?<![\w.:,/-])(?P<h>\d{{1,2}}|{_HOUR_ALT})\s*(?:uur|o'?clock)\b" + _AMPM),
        False,
        ("uur", "clock"),
    ),
    (
        "cue",
        re.compile(
            rf"{_TIME_CUE}\s+(?:(?:ca\.?|circa|ongeveer|about)\s+)?"
            rf"(?P<h>\d{{1,2}}|{_CUE_HOUR_ALT})\b(?![.,:/-]?\d|\s*(?:%|euro|eur|x)\b)" + _AMPM
        ),
        False,
        ("om", "at", "rond", "omstreeks", "around", "tegen", "vanaf"),
    ),
)
# A number of hours, not a time of day: "het duurt 2 uur", "over 2 uur".
_DURATION_BEFORE = frozenset(
    [
        "duurt",
        "duren",
        "duurde",
        "gedurende",
        "ruim",
        "circa",
        "ca",
        "ongeveer",
        "maximaal",
        "max",
        "minimaal",
        "min",
        "per",
        "elke",
        "iedere",
        "over",
        "for",
        "nog",
        "zo'n",
        "zon",
        "binnen",
    ]
)
_DURATION_AFTER_RE = re.compile(r"\s*(?:lang|durend|extra|later|eerder|nodig|werk)\b")

# Spans that are not dates or times, blanked out before dates and times are read.
_CURRENCY_RE = re.compile(
    r"(?:\u20ac|\beur\b|\beuro\b)\s*\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s*(?:\u20ac|euro|eur)\b"
)
_EMAIL_LIKE_RE = re.compile(r"\S+@\S+")
_PHONE_RE = re.compile(r"(?:\+|00)\d{2}[\s-]?\d[\d\s-]{7,12}\d|0\d{1,3}[\s-]?\d{6,8}(?!\d)")
_PERCENT_RE = re.compile(r"\d+(?:[.,]\d+)?\s*%")


_SINCE_RE = re.compile(
    r"(?:sinds|sedert|since)\s+(?:(?:de|het|the|last|vorige|afgelopen)\s+)?"
    r"[\w:.']+(?:\s+(?:uur|am|pm|'s\s+\w+))?"
)
# (pattern, needs a digit, hints)
_MISC_MASKS: tuple[tuple[re.Pattern[str], bool, tuple[str, ...]], ...] = (
    (_CURRENCY_RE, True, ("\u20ac", "eur")),
    (_EMAIL_LIKE_RE, False, ("@",)),
    (_PHONE_RE, True, ("0", "+")),
    (_PERCENT_RE, True, ("%",)),
    (_GREETING_RE, False, ("goe", "good")),
    (_SINCE_RE, False, ("sinds", "sedert", "since")),
)


def _misc_spans(folded: str, has_digit: bool) -> list[Span]:
    """Amounts, e-mail addresses, phone numbers, greetings, "sinds gisteren"."""
    spans: list[Span] = []
    for pattern, needs_digit, hints in _MISC_MASKS:
        if (has_digit or not needs_digit) and any(hint in folded for hint in hints):
            spans.extend(m.span() for m in _word_matches(pattern, folded))
    return spans


def _non_time_spans(text: str, folded: str, has_digit: bool) -> list[Span]:
    """Everything that must not be read as a date or time."""
    spans = _location(folded, (), has_digit)[1]
    spans += _persons(folded)[1]
    spans += _cost_centre(folded)[1]
    spans += [span for _, span in _plates(text, folded, has_digit, spans)]
    spans += _misc_spans(folded, has_digit)
    return spans


def _valid_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _upcoming(month: int, day: int, today: dt.date) -> dt.date | None:
    """This year's ``day month``, or next year's when it has passed."""
    for year in range(today.year, today.year + 9):
        candidate = _valid_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _explicit_date(text: str, today: dt.date) -> tuple[int, dt.date] | None:
    found: list[tuple[int, dt.date]] = []
    patterns: list[re.Pattern[str]] = []
    if "-" in text:
        patterns.append(_ISO_DATE_RE)
    if any(stem in text for stem in _MONTH_STEMS):
        patterns += (_DAY_MONTH_RE, _MONTH_DAY_RE)
    if "-" in text or "/" in text or text.count(".") >= 2:
        patterns.append(_NUMERIC_DATE_RE)
    for pattern in patterns:
        for match in _word_matches(pattern, text):
            groups = match.groupdict()
            day_text = groups.get("d") or groups.get("d2")
            month_text = groups.get("m") or groups.get("m2")
            year_text = groups.get("y") or groups.get("y2")
            if not day_text or not month_text:
                continue
            day = int(day_text)
            month = _MONTHS[month_text] if month_text in _MONTHS else int(month_text)
            if pattern is _NUMERIC_DATE_RE and month > 12 >= day:
                day, month = month, day  # 12/25: month first
            if year_text:
                date = _valid_date(_full_year(year_text), month, day)
            else:
                date = _upcoming(month, day, today) if 1 <= month <= 12 else None
            if date is not None:
                found.append((match.start(), date))
                break
    return min(found, key=lambda item: item[0]) if found else None


_RELATIVE_HINTS = ("vandaag", "today", "tonight", "van", "this", "morgen", "tomorrow", "da", "wee")


def _relative_day(text: str, today: dt.date) -> tuple[int, dt.date] | None:
    if not any(hint in text for hint in _RELATIVE_HINTS):
        return None
    for match in _word_matches(_RELATIVE_DAY_RE, text):
        if match.group("today"):
            return match.start(), today
        if match.group("after"):
            return match.start(), today + dt.timedelta(days=2)
        if match.group("tomorrow"):
            return match.start(), today + dt.timedelta(days=1)
        amount_text = match.group("n")
        amount = 1 if amount_text in ("a", "an") else _number(amount_text)
        if amount is None or amount > 400:
            continue
        days = amount * 7 if match.group("unit").startswith("we") else amount
        return match.start(), today + dt.timedelta(days=days)
    return None


def _weekday_date(weekday: int, today: dt.date, next_week: bool, may_be_today: bool) -> dt.date:
    if next_week:
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not may_be_today:
        ahead = 7
    return today + dt.timedelta(days=ahead)


def _weekday(text: str, today: dt.date, has_digit: bool) -> tuple[int, dt.date] | None:
    match = _word_search(_WEEKDAY_RE, text) if "dag" in text or "day" in text else None
    if match:
        before = _WEEKDAY_BEFORE_RE.search(text, max(0, match.start() - 24), match.start())
        after = _WEEKDAY_AFTER_RE.match(text, match.end())
        next_week = bool(after or (before and before.group("week")))
        may_be_today = bool(before and before.group("pre") in ("deze", "this"))
        weekday = _WEEKDAYS[match.group()]
        return match.start(), _weekday_date(weekday, today, next_week, may_be_today)
    match = _word_search(_WEEKDAY_ABBR_RE, text) if has_digit else None
    if match:
        weekday = _WEEKDAY_ABBREVIATIONS[match.group("wd")]
        return match.start(), _weekday_date(weekday, today, False, False)
    return None


def _day_of_month(text: str, today: dt.date) -> tuple[int, dt.date] | None:
    for match in _word_matches(_DAY_OF_MONTH_RE, text):
        day = int(match.group("d"))
        year, month = today.year, today.month
        for _ in range(3):
            candidate = _valid_date(year, month, day)
            if candidate is not None and candidate >= today:
                return match.start(), candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


_PART_HINTS = (
    "ochtend",
    "morgen",
    "middag",
    "avond",
    "morning",
    "afternoon",
    "evening",
    "tonight",
    "noon",
    "lunch",
)


def _part_of_day(text: str) -> tuple[str | None, list[Span]]:
    """The first part of the day named, and the spans of "'s morgens" and the like."""
    part: str | None = None
    spans: list[Span] = []
    if not any(hint in text for hint in _PART_HINTS):
        return None, spans
    for match in _PART_RE.finditer(text):
        start = match.start()
        word = match.group()[: len(match.group()) - len(match.group("s"))]
        before = text[max(0, start - 12) : start]
        plural = bool(match.group("s"))
        glued = bool(before) and before[-1].isalpha()  # "dinsdagmiddag", "vanavond"
        value: str | None
        if word.startswith("lunch") or word in ("noon", "midday"):
            value = NOON
        elif word == "middag" and _LUNCH_BEFORE_RE.search(before):
            value = NOON  # "tussen de middag"
        else:
            value = _PART_WORDS.get(word)
        apostrophe = _APOSTROPHE_S_RE.search(before)
        if plural and apostrophe:  # "'s morgens"
            spans.append((start - len(apostrophe.group()), match.end()))
        elif plural and not glued and word in ("morgen", "ochtend", "middag", "avond"):
            spans.append(match.span())  # "morgens"
        elif plural:
            continue
        elif glued:
            if before.endswith(_NOT_PART_PREFIXES) or word not in _GLUED_PARTS:
                continue
        elif word == "morgen":
            continue  # "morgen" on its own is tomorrow
        if value is not None and part is None:
            part = value
    return part, spans


_GLUED_PARTS = frozenset({"ochtend", "morgen", "middag", "avond"})


def _hour_value(text: str) -> int | None:
    return int(text) if text.isdigit() else _HOUR_WORDS.get(text)


def _to_24h(hour: int, ampm: str | None, leading_zero: bool, part: str | None) -> int | None:
    """The 24-hour value of a named hour (see the module docstring for the rule)."""
    if ampm:
        if not 1 <= hour <= 12:
            return None
        pm = ampm.replace(".", "").strip().startswith("p")
        return (hour % 12) + (12 if pm else 0)
    if not 0 <= hour <= 24:
        return None
    if hour == 24:
        return 0
    if leading_zero or hour == 0 or hour >= 12:
        return hour
    if part == MORNING:
        return hour
    if part in (AFTERNOON, EVENING) or 1 <= hour <= 7:
        return hour + 12
    return hour


def _time_from_match(
    kind: str, match: re.Match[str], text: str, part: str | None
) -> dt.time | None:
    groups = match.groupdict()
    hour_text = groups.get("h") or groups.get("h2") or ""
    hour = _hour_value(hour_text)
    if hour is None:
        return None
    ampm = groups.get("ampm")
    minute = 0
    offset = 0  # minutes relative to the named hour
    if kind in ("clock", "compact", "range"):
        minute = int(groups.get("mi") or 0)
        if minute > 59:
            return None
        if kind == "clock" and groups["sep"] == "." and minute % 5 and not groups["suffix"]:
            return None
    elif kind == "half_past":
        minute = 30
    elif kind == "half":
        offset = -30
    elif kind == "quarter":
        amount_text = groups["q"]
        amount = 15 if amount_text in ("kwart", "quarter") else _number(amount_text)
        if amount is None or not 1 <= amount <= 29:
            return None
        sign = 1 if groups["dir"] in ("over", "past") else -1
        offset = sign * amount - (30 if groups["half"] else 0)
    elif kind in ("uur", "cue"):
        before = text[: match.start()].split()
        if before and before[-1].strip(",.") in _DURATION_BEFORE:
            return None
        if _DURATION_AFTER_RE.match(text, match.end()):
            return None
    leading_zero = len(hour_text) == 2 and hour_text.startswith("0")
    hour24 = _to_24h(hour, ampm, leading_zero, part)
    if hour24 is None or hour24 > 23:
        return None
    total = (hour24 * 60 + minute + offset) % (24 * 60)
    return dt.time(total // 60, total % 60)


def _clock_time(text: str, part: str | None, has_digit: bool) -> dt.time | None:
    """The leftmost clock time (the longest expression when two start at the same place)."""
    best: tuple[int, int, dt.time] | None = None  # (start, -length, time)
    for kind, pattern, needs_digit, hints in _TIME_RES:
        if needs_digit and not has_digit or not any(hint in text for hint in hints):
            continue
        for match in _word_matches(pattern, text):
            if best is not None and match.start() > best[0]:
                break
            value = _time_from_match(kind, match, text, part)
            if value is None:
                continue
            key = (match.start(), -(match.end() - match.start()))
            if best is None or key < best[:2]:
                best = (key[0], key[1], value)
            break
    return best[2] if best else None


def _when(folded: str, now: dt.datetime) -> When | None:
    today = now.date()
    part, part_spans = _part_of_day(folded)
    text = _mask(folded, part_spans)
    has_digit = _has_digit(text)
    day_found = (
        (_explicit_date(text, today) if has_digit else None)
        or _relative_day(text, today)
        or _weekday(text, today, has_digit)
        or (_day_of_month(text, today) if has_digit else None)
    )
    clock = _clock_time(text, part, has_digit)
    if clock is None and part is not None:
        clock = _PART_DEFAULTS[part]
    if day_found is None and clock is None:
        return None
    if day_found is not None:
        day = day_found[1]
    else:
        assert clock is not None
        day = today if clock > now.time().replace(tzinfo=None) else today + dt.timedelta(days=1)
    return When(day, clock, now.tzinfo)


def parse_when(text: str, now: dt.datetime) -> When | None:
    """A day and perhaps a time in ``text``, relative to ``now`` (aware)."""
    folded = _fold(text)
    return _when(_mask(folded, _non_time_spans(text, folded, _has_digit(folded))), now)


# ---------------------------------------------------------------------------
# Visitors
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Visitor:
    name: str
    company: str = ""
    email: str = ""

    def describe(self) -> str:
        """ "Jan Jansen (Acme BV) <jan@acme.nl>", the missing parts left out."""
        text = self.name
        if self.company:
            text += f" ({self.company})"
        if self.email:
            text += f" <{self.email}>"
        return text


_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)
_EMAIL_FULL_RE = re.compile(rf"^{_EMAIL_RE.pattern}$")
_ANGLE_EMAIL_RE = re.compile(r"<\s*(?:mailto:)?([^<>\s]*)\s*>")
_PARENS_RE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_BULLET_RE = re.compile(r"^\s*(?:[-*\u2022\u00b7\u2013\u2014>+]+|\d{1,3}[.)])\s*")
_LEAD_PHRASE_RE = re.compile(
    r"^\s*(?:(?:dit|these|hier|here)\s+(?:zijn|is|are)\s+)?"
    r"(?:(?:hierbij|bij\s+deze)\s+)?"
    r"(?:(?:mijn|onze|de|my|our|the)\s+)?"
    r"(?:bezoekers?|gasten|gast|visitors?|guests?|deelnemers|attendees|participants"
    r"|namen|names|lijst|list)\b"
    r"(?:\s+(?:zijn|is|are|komen|:))?\s*:?\s*",
    re.IGNORECASE,
)
_COMPANY_HINT_RE = re.compile(
    r"\b(?:b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|ltd\.?|llc|inc\.?|gmbh|ag|plc|s\.?a\.?|co\.?"
    r"|corp\.?|group|groep|holding|stichting|vereniging|gemeente|provincie|ministerie"
    r"|rijkswaterstaat|universiteit|university|hogeschool|consultancy|consulting|advies"
    r"|adviseurs|services|solutions|bouw|installatie(?:s|techniek)?|techniek|& zn\.?"
    r"|en zonen|& co)(?![\w])",
    re.IGNORECASE,
)
_NAME_SEPARATOR_RE = re.compile(r"\s+[-\u2013\u2014|]\s+")
_HEADER_NAME = frozenset(
    [
        "naam",
        "name",
        "volledige",
        "naam",
        "full",
        "name",
        "bezoeker",
        "visitor",
        "gast",
        "guest",
        "deelnemer",
    ]
) | {"volledige naam", "full name", "naam bezoeker", "name visitor"}
_HEADER_FIRST = frozenset({"voornaam", "first name", "firstname", "given name", "roepnaam"})
_HEADER_MIDDLE = frozenset({"tussenvoegsel", "tussenvoegsels", "middle name", "prefix"})
_HEADER_LAST = frozenset({"achternaam", "last name", "lastname", "surname", "family name"})
_HEADER_COMPANY = frozenset(
    {"bedrijf", "company", "organisatie", "organization", "organisation", "firma", "werkgever"}
)
_HEADER_EMAIL = frozenset(
    {"e-mail", "email", "e-mailadres", "emailadres", "mail", "email address", "e-mail address"}
)


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" \t\"'.,;:")


def _is_email(text: str) -> bool:
    return bool(_EMAIL_FULL_RE.match(text.strip().strip("<>").strip()))


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    words = [w for w in re.split(r"[._+-]+", local) if w and any(c.isalpha() for c in w)]
    return " ".join(w.capitalize() for w in words)


def _make_visitor(name: str, company: str = "", email: str = "") -> Visitor | None:
    name, company, email = _clean(name), _clean(company), email.strip().strip("<>").strip()
    if email and not _is_email(email):
        email = ""
    if not any(c.isalpha() for c in name):
        name = _name_from_email(email) if email else ""
    if not name:
        return None
    return Visitor(name[:200], company[:200], email[:254])


def _visitor_from_entry(entry: str) -> Visitor | None:
    """One visitor: "Jan Jansen, Acme BV, jan@acme.nl", "Jan Jansen (Acme) <jan@acme.nl>"."""
    entry = _BULLET_RE.sub("", entry, count=1).strip()
    email = ""
    angle = _ANGLE_EMAIL_RE.search(entry)
    if angle:
        email = angle.group(1)
        entry = entry[: angle.start()] + " " + entry[angle.end() :]
    company = ""
    parens = _PARENS_RE.search(entry)
    if parens:
        company = parens.group(1) or parens.group(2) or ""
        entry = entry[: parens.start()] + " " + entry[parens.end() :]
    fields = [f.strip() for f in re.split(r"[,\t]", entry) if f.strip()]
    names: list[str] = []
    for item in fields:
        if not email and _EMAIL_RE.fullmatch(item.strip("<>")):
            email = item.strip("<>")
            continue
        if "@" in item and not any(" " in part for part in item.split("@")):
            found = _EMAIL_RE.search(item)
            if found and not email:
                email = found.group()
            rest = _EMAIL_RE.sub(" ", item).strip()
            if rest:
                names.append(rest)
            continue
        names.append(item)
    if names and not any(c.isalpha() for c in names[0]) and len(names) > 1:
        names = names[1:]
    name = names[0] if names else ""
    if not company and len(names) > 1:
        company = ", ".join(names[1:])
    if not company and name:
        split = _NAME_SEPARATOR_RE.split(name, maxsplit=1)
        if len(split) == 2:
            name, company = split
    if not email and name:
        found = _EMAIL_RE.search(name)
        if found:
            email = found.group()
            name = (name[: found.start()] + name[found.end() :]).strip()
    return _make_visitor(name, company, email)


def _looks_like_company(text: str) -> bool:
    return bool(_COMPANY_HINT_RE.search(text))


def _email_local_matches(email: str, name: str) -> bool:
    local = _fold(email.split("@", 1)[0])
    return any(len(w) >= 2 and w in local for w in _TOKEN_RE.findall(_fold(name)))


def _split_comma_list(line: str) -> list[str]:
    """One line of names separated by commas: group company/e-mail parts with their name."""
    parts = [p.strip() for p in line.split(",") if p.strip()]
    if len(parts) > 1:
        parts[-1:] = _split_and(parts[-1])
    entries: list[str] = []
    i = 0
    while i < len(parts):
        entry = [parts[i]]
        i += 1
        has_company = has_email = False
        while i < len(parts):
            part = parts[i]
            if _is_email(part) and not has_email:
                entry.append(part)
                has_email = True
                i += 1
                continue
            if has_company or has_email:
                break
            if _looks_like_company(part):
                entry.append(part)
                has_company = True
                i += 1
                continue
            nxt = parts[i + 1] if i + 1 < len(parts) else ""
            if (
                _is_email(nxt)
                and not _email_local_matches(nxt, part)
                and (_email_local_matches(nxt, entry[0]) or " " not in part)
            ):
                entry.append(part)
                has_company = True
                i += 1
                continue
            break
        entries.append(", ".join(entry))
    return entries


_AND_RE = re.compile(r"\s+(?:en|and)\s+", re.IGNORECASE)


def _split_and(text: str) -> list[str]:
    """ "Jan Jansen en Piet Pietersen" -> two names; "Jansen en Zonen BV" stays one."""
    pieces = _AND_RE.split(text)
    if len(pieces) == 2 and all(p.strip() and not _looks_like_company(p) for p in pieces):
        return [p.strip() for p in pieces]
    return [text]


def _is_header_entry(entry: str) -> bool:
    cells = [_clean(_fold(c)) for c in re.split(r"[,;\t]", entry) if c.strip()]
    known = _HEADER_NAME | _HEADER_FIRST | _HEADER_LAST | _HEADER_COMPANY | _HEADER_EMAIL
    return bool(cells) and all(c in known for c in cells)


def parse_visitors(text: str) -> list[Visitor]:
    """Visitors from a pasted list (see the module docstring for the rules)."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return []
    first = lines[0]
    stripped = _LEAD_PHRASE_RE.sub("", first, count=1)
    if stripped != first:
        lines[0] = stripped.strip()
    elif first.endswith(":") and len(lines) > 1 and "@" not in first:
        lines[0] = ""
    lines = [line for line in lines if line.strip(" :")]
    if not lines:
        return []
    entries: list[str] = []
    if len(lines) > 1:
        for line in lines:
            entries.extend(e for e in line.split(";") if e.strip())
    elif ";" in lines[0]:
        entries.extend(e for e in lines[0].split(";") if e.strip())
    elif "," in lines[0]:
        entries.extend(_split_comma_list(_BULLET_RE.sub("", lines[0], count=1)))
    else:
        entries.extend(_split_and(_BULLET_RE.sub("", lines[0], count=1)))
    if entries and _is_header_entry(entries[0]):
        entries = entries[1:]
    visitors: list[Visitor] = []
    for entry in entries:
        visitor = _visitor_from_entry(entry)
        if visitor is not None:
            visitors.append(visitor)
            if len(visitors) >= MAX_VISITORS:
                break
    return visitors


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_columns(row: Sequence[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = _clean(_fold(cell)).replace("_", " ")
        for kind, names in (
            ("name", _HEADER_NAME),
            ("first", _HEADER_FIRST),
            ("middle", _HEADER_MIDDLE),
            ("last", _HEADER_LAST),
            ("company", _HEADER_COMPANY),
            ("email", _HEADER_EMAIL),
        ):
            if key in names and kind not in columns:
                columns[kind] = i
                break
    if "name" in columns or "first" in columns or "last" in columns:
        return columns
    if "email" in columns and "company" in columns:
        return columns
    return None


def parse_visitors_csv(data: bytes) -> list[Visitor]:
    """Visitors from a CSV file (see the module docstring for the formats)."""
    text = _decode(data)
    if not text.strip():
        return []
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    rows = [[cell.strip() for cell in row] for row in reader]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    columns = _header_columns(rows[0])
    if columns is not None:
        rows = rows[1:]

    def cell(row: Sequence[str], kind: str) -> str:
        index = columns.get(kind) if columns else None
        return row[index] if index is not None and index < len(row) else ""

    visitors: list[Visitor] = []
    for row in rows:
        if columns is not None:
            name = cell(row, "name") or " ".join(
                p for p in (cell(row, "first"), cell(row, "middle"), cell(row, "last")) if p
            )
            visitor = _make_visitor(name, cell(row, "company"), cell(row, "email"))
        else:
            email = next((c for c in row if _is_email(c)), "")
            others = [c for c in row if c and c != email]
            visitor = _make_visitor(
                others[0] if others else "", others[1] if len(others) > 1 else "", email
            )
        if visitor is not None:
            visitors.append(visitor)
            if len(visitors) >= MAX_VISITORS:
                break
    return visitors


# ---------------------------------------------------------------------------
# The first message
# ---------------------------------------------------------------------------


def extract_fields(text: str, now: dt.datetime, buildings: Sequence[str]) -> dict[str, object]:
    """The intake fields really present in a first message.

    Keys among "location" (Location), "when" (When), "persons" (int), "plate" (str)
    and "cost_centre" (str). Location, persons, cost centre and plate are read
    first; their spans are blanked out before the date and time are read.
    """
    folded = _fold(text)
    has_digit = _has_digit(folded)
    fields: dict[str, object] = {}
    location, spans = _location(folded, buildings, has_digit)
    if location is not None:
        fields["location"] = location
    persons, person_spans = _persons(folded)
    if persons is not None:
        fields["persons"] = persons
    cost_centre, cost_spans = _cost_centre(folded)
    if cost_centre is not None:
        fields["cost_centre"] = cost_centre
    spans += person_spans + cost_spans
    plates = _plates(text, folded, has_digit, spans)
    if plates:
        fields["plate"] = plates[0][0]
    spans += [span for _, span in plates]
    spans += _misc_spans(folded, has_digit)
    when = _when(_mask(folded, spans), now)
    if when is not None:
        fields["when"] = when
    return fields
