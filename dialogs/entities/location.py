"""Location: building, floor, room and named place.

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
digits before the dot are the floor ("2.14" -> 2). Toilets, pantries, kitchens and
offices are rooms only with a dotted number ("damestoilet 3.02"; not "de toiletten 3
keer"). "op 3" is a floor unless a month, time, unit or counted noun follows ("op 3
december", "op 3 plekken").

A named place is one of the organisation's places of a building (``places``: building
-> Dutch name -> other words for it), matched like a building (case and accents
ignored; typos in words of five letters or more whose first three letters are right)
and also in the plural ("kantines", "archieven", "raadzalen"). Floor and room words
are read first, so "kelder" stays a floor. A place word right after "een", "a" or
"an" is not a named place ("een parkeerplaats"). When the building is not named and
only one building has the place, the place gives the building ("de raadzaal"); when
the text names a building, the place is looked up in that building first, else it is
kept as written (the employee said it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
from knowledge.text import is_ordinary_word

__all__ = ["Location", "Places", "parse_location"]

# Building -> the Dutch name of a named place -> other words for it (organisation.yaml).
Places = Mapping[str, Mapping[str, Sequence[str]]]


@dataclass(frozen=True, slots=True)
class Location:
    building: str | None
    floor: int | None
    room: str | None
    place: str | None = None  # a named place of the building, its Dutch name ("kantine")

    def describe(self, language: str) -> str:
        """ "Stadskantoor, 2e verdieping, kamer 2.14", "Werf, kantine"; the parts that are
        None left out."""
        english = language.lower().startswith("en")
        parts: list[str] = []
        if self.building:
            parts.append(self.building)
        if self.floor is not None:
            parts.append(_describe_floor(self.floor, english))
        if self.place:
            parts.append(self.place)
        if self.room:
            parts.append(f"{'room' if english else 'kamer'} {self.room}")
        return ", ".join(parts)

    def same_place(self, other: Location) -> bool:
        """Same building and room; else (no room on either side) same building and named
        place; else (no place either) same building and floor."""
        if not self.building or not other.building:
            return False
        if _fold(self.building) != _fold(other.building):
            return False
        if self.room or other.room:
            return bool(self.room and other.room) and _fold(self.room or "") == _fold(
                other.room or ""
            )
        if self.place or other.place:
            return bool(self.place and other.place) and _fold(self.place or "") == _fold(
                other.place or ""
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
# Rooms that are rooms only with a dotted number ("damestoilet 3.02", "pantry 2.10"): with
# a plain number these words are as often counted ("de toiletten 3 keer per dag").
_DOTTED_ROOM_RE = re.compile(
    r"(?:toilet(?:ten|s)?|wc|pantry|keuken|office)\.?\s*(?:(?:nr|no|nummer|number)\.?\s*)?"
    r"[:#]?\s*(?P<room>(?:[a-z]{1,2}-?)?\d{1,2}\.\d{1,3}[a-z]?)(?![\w]|[.,:/-]\d)"
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


# -- named places ---------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")
_INDEFINITE_RE = re.compile(r"(?:^|[^a-z0-9])(?:een|a|an)\s+$")


def _after_article(folded: str, end: int) -> bool:
    """Does an indefinite article ("een", "a", "an") end just before ``end``? (Only the
    few characters before it are looked at.)"""
    return _INDEFINITE_RE.search(folded, max(0, end - 8), end) is not None


_PlacesKey = tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]


def _plurals(word: str) -> set[str]:
    """A word and its likely plurals, Dutch and English (a few impossible forms do no harm)."""
    forms = {word, word + "s"}
    last = word[-1:]
    if last == "e":
        forms.add(word + "n")  # garage -> garagen (and garages above)
    elif last not in _VOWELS:
        forms.add(word + "en")  # stalling -> stallingen, magazijn -> magazijnen
        if last == "f":
            forms.add(word[:-1] + "ven")  # archief -> archieven
        if len(word) >= 3 and word[-2] == word[-3] and word[-2] in _VOWELS:
            forms.add(word[:-2] + last + "en")  # zaal -> zalen
        elif len(word) >= 3 and word[-2] in _VOWELS and word[-3] not in _VOWELS:
            forms.add(word + last + "en")  # terras -> terrassen
        if last in "sxh":
            forms.add(word + "es")  # (English) boxes, benches
    return forms


@dataclass(frozen=True, slots=True)
class _PlaceIndex:
    exact: re.Pattern[str] | None
    forms: dict[str, dict[str, str]]  # form, words joined without spaces -> building -> place
    fuzzy: dict[str, tuple[str, ...]]  # first three letters -> names of five letters or more


def _places_key(places: Places) -> _PlacesKey:
    return tuple(
        (building, tuple((name, tuple(words)) for name, words in named.items()))
        for building, named in places.items()
    )


@lru_cache(maxsize=64)
def _place_index(key: _PlacesKey) -> _PlaceIndex:
    forms: dict[str, dict[str, str]] = {}
    patterns: set[str] = set()
    fuzzy: dict[str, list[str]] = {}
    for building, named in key:
        for name, words in named:
            for word in (name, *words):
                tokens = _TOKEN_RE.findall(_fold(word))
                if not tokens:
                    continue
                base = "".join(tokens)
                if len(base) >= _MIN_FUZZY_LEN and base not in fuzzy.get(base[:3], []):
                    # typos only against the words as written: a plural would let
                    # "receptionist" pass for "receptions"
                    fuzzy.setdefault(base[:3], []).append(base)
                for last in _plurals(tokens[-1]):
                    form = [*tokens[:-1], last]
                    forms.setdefault("".join(form), {}).setdefault(building, name)
                    patterns.add(r"[\s-]*".join(map(re.escape, form)))
    alternatives = sorted(patterns, key=len, reverse=True)
    exact = re.compile(rf"(?:{'|'.join(alternatives)})(?![a-z0-9])") if alternatives else None
    return _PlaceIndex(exact, forms, {head: tuple(f) for head, f in fuzzy.items()})


_LAST_INDEX: list[tuple[Places, _PlaceIndex]] = []  # the last places seen (one knowledge)


def _index_of(places: Places) -> _PlaceIndex:
    """The index of ``places``; the same mapping again (each message of one knowledge
    version) is found by identity, without rebuilding its key."""
    if _LAST_INDEX and _LAST_INDEX[0][0] is places:
        return _LAST_INDEX[0][1]
    index = _place_index(_places_key(places))
    _LAST_INDEX[:] = [(places, index)]
    return index


def _find_place(
    folded: str, places: Places, building: str | None
) -> tuple[str, str | None, Span] | None:
    """The named place in ``folded``: (its Dutch name, the building it gives or None, span).

    The place is looked up in ``building`` when one is named; a place no building has
    under that word is kept under its first building's name."""
    if not places:
        return None
    index = _index_of(places)
    found: list[tuple[str, Span]] = []  # (form, span), in text order
    if index.exact is not None:
        for match in _word_matches(index.exact, folded):
            if not _after_article(folded, match.start()):
                found.append(("".join(_TOKEN_RE.findall(match.group())), match.span()))
    if not found:
        found = _fuzzy_places(folded, index)
    if not found:
        return None
    if building is not None:
        for form, span in found:
            owners = index.forms[form]
            if building in owners:
                return owners[building], None, span
    form, span = found[0]
    owners = index.forms[form]
    name = next(iter(owners.values()))
    if building is None and len(owners) == 1:
        return name, next(iter(owners)), span
    return name, None, span


def _fuzzy_places(folded: str, index: _PlaceIndex) -> list[tuple[str, Span]]:
    """Typos: a word, or two words written together, within ``fuzz.ratio`` 85 of a form."""
    tokens = list(_TOKEN_RE.finditer(folded))
    best: tuple[float, str, Span] | None = None
    for i, token in enumerate(tokens):
        if token.group()[:3] not in index.fuzzy:
            continue  # no place starts like it (nor like it joined with the next word)
        if token.start() and folded[token.start() - 1].isalnum():
            continue
        if _after_article(folded, token.start()):
            continue
        candidates = [(token.group(), token.span())]
        if i + 1 < len(tokens):
            candidates.append(
                (token.group() + tokens[i + 1].group(), (token.start(), tokens[i + 1].end()))
            )
        for text, span in candidates:
            if len(text) < _MIN_FUZZY_LEN:
                continue
            if text == token.group() and is_ordinary_word(text):
                continue  # a real word is not a slip of a place's name
            for form in index.fuzzy.get(text[:3], ()):
                if abs(len(form) - len(text)) > max(2, len(form) // 5):
                    continue
                score = fuzz.ratio(text, form, score_cutoff=_FUZZY_CUTOFF)
                if score and (best is None or score > best[0]):
                    best = (score, form, span)
    return [(best[1], best[2])] if best else []


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
    folded: str, buildings: Sequence[str], has_digit: bool, places: Places | None = None
) -> tuple[Location | None, list[Span]]:
    """The location and the spans of every room, floor, building and place (for masking)."""
    spans: list[Span] = []
    room: str | None = None
    if has_digit:
        # A room cue may end a compound ("koffiekamer 1.02", "stilteruimte 3.10").
        cued = sorted(
            [*_ROOM_RE.finditer(folded), *_DOTTED_ROOM_RE.finditer(folded)],
            key=lambda m: m.start(),
        )
        for match in [*cued, *_word_matches(_BARE_ROOM_RE, folded)]:
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
    place: str | None = None
    named = _find_place(_mask(folded, spans), places, building) if places else None
    if named:
        place, owner, span = named
        building = building or owner
        spans.append(span)
    if building is None and floor is None and room is None and place is None:
        return None, spans
    return Location(building, floor, room, place), spans


def parse_location(
    text: str, buildings: Sequence[str], places: Places | None = None
) -> Location | None:
    """Building, floor, room and named place in ``text``; None when none is there."""
    folded = _fold(text)
    return _location(folded, buildings, _has_digit(folded), places)[0]
