"""What a message asks besides a product: a command, an emergency, a follow-up on a ticket.

These are recognised before the matcher so that "status FM-2026-000123", "annuleer
mijn melding" or "er is brand" never end up as a product question. The phrases are
input patterns in both languages (what employees type), not texts the bot says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz.distance import OSA
from wordfreq import zipf_frequency

from knowledge.model import MAX_GAP, Organisation, emergency_phrase
from knowledge.text import fold

TICKET_NUMBER = re.compile(r"\b(fm-\d{4}-\d{1,6})\b", re.IGNORECASE)


class FollowUp(StrEnum):
    LIST = "list"  # my tickets / where is my request
    STATUS = "status"  # one ticket
    CANCEL = "cancel"
    REOPEN = "reopen"
    ADD = "add"  # more information (or a photo) for a ticket


@dataclass(frozen=True, slots=True)
class FollowUpIntent:
    kind: FollowUp
    number: str | None  # FM-2026-000123, normalised; None when the message named none
    rest: str = ""  # the text besides the number (for ADD)


def _phrases(*items: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(items) + r")\b")


_LIST = _phrases(
    r"mijn (?:meldingen|melding|aanvragen|aanvraag|bestellingen|bestelling|tickets?)",
    r"waar blijft (?:mijn|de) (?:melding|aanvraag|bestelling|reparatie)",
    r"hoe staat het met mijn (?:melding|aanvraag|bestelling)",
    r"status van mijn (?:melding|meldingen|aanvraag|bestelling)",
    r"my (?:tickets?|requests?|reports?|orders?)",
    r"where is my (?:request|ticket|report|order)",
    r"status of my (?:request|ticket|report|order)s?",
)
_STATUS_WORDS = _phrases(
    "status", "stand van zaken", "hoe staat", "waar blijft", "where is", "update", "voortgang"
)
_CANCEL = _phrases(
    r"annuleer",
    r"annuleren",
    r"intrekken",
    r"trek\w* .{0,30}in",
    r"cancel",
    r"cancell?ed",
    r"hoeft niet meer",
    r"is niet meer nodig",
    r"no longer needed",
    r"not needed any ?more",
)
_REOPEN = _phrases(
    r"(?:nog )?(?:steeds )?niet opgelost",
    r"nog steeds (?:kapot|stuk|defect|niet goed)",
    r"(?:werkt|doet het) (?:nog steeds|alweer|weer) niet",
    r"heropen\w*",
    r"opnieuw open\w*",
    r"not (?:solved|fixed|resolved)",
    r"still (?:broken|not working|not fixed|leaking)",
    r"re-?open\w*",
)


def ticket_numbers(text: str) -> list[str]:
    """Ticket numbers in a message, normalised (FM-2026-000123)."""
    found = []
    for raw in TICKET_NUMBER.findall(text):
        prefix, year, serial = raw.upper().split("-")
        number = f"{prefix}-{year}-{int(serial):06d}"
        if number not in found:
            found.append(number)
    return found


def follow_up(text: str) -> FollowUpIntent | None:
    """A follow-up on the employee's tickets, or None."""
    numbers = ticket_numbers(text)
    number = numbers[0] if numbers else None
    folded = fold(TICKET_NUMBER.sub(" ", text))
    if _CANCEL.search(folded) and (number or _mentions_request(folded)):
        return FollowUpIntent(FollowUp.CANCEL, number)
    if _REOPEN.search(folded):
        return FollowUpIntent(FollowUp.REOPEN, number)
    if number is not None:
        rest = " ".join(TICKET_NUMBER.sub(" ", text).split())
        words = [w for w in fold(rest).split() if w not in _FILLER]
        if len(words) < 3 or (_STATUS_WORDS.search(folded) and len(words) < 6):
            return FollowUpIntent(FollowUp.STATUS, number)
        return FollowUpIntent(FollowUp.ADD, number, rest.strip(" :,-"))
    if _LIST.search(folded):
        return FollowUpIntent(FollowUp.LIST, None)
    return None


_FILLER = frozenset(
    [
        "de",
        "het",
        "een",
        "van",
        "mijn",
        "melding",
        "aanvraag",
        "ticket",
        "nummer",
        "number",
        "my",
        "the",
        "of",
        "for",
        "voor",
        "over",
        "met",
        "is",
        "en",
        "and",
        "graag",
        "please",
        "hoe",
        "wat",
    ]
)
_REQUEST = _phrases(
    r"mijn (?:melding|aanvraag|bestelling|reservering|lunch|order|ticket)",
    r"(?:my|the) (?:request|ticket|report|order|booking|reservation|lunch)",
    r"de (?:melding|aanvraag|bestelling|reservering)",
)


def _mentions_request(folded: str) -> bool:
    return bool(_REQUEST.search(folded))


@dataclass(frozen=True, slots=True)
class Emergency:
    product_id: str


# -- emergencies -----------------------------------------------------------------------------------
#
# The organisation's emergency phrases (organisation.yaml, ``emergencies``; the syntax is
# knowledge.model.emergency_phrase's) are compiled once per knowledge version into
# :class:`EmergencyRules`: every distinct phrase position ("slot": its alternatives) gets a
# number, a message word is mapped to the slots it fills (cached per word), and a phrase is
# only tried where a word fills its first slot. A message word that is not an ordinary Dutch
# or English word (wordfreq) fills a slot of a word at edit distance 1 (OSA: a transposition
# counts once), so "opgeslotn in de lfit" is "opgesloten in de lift".

# A word is an ordinary Dutch or English word when its Zipf frequency (log10 of its count per
# billion words; 3.0 is once per million) in either language is at least this; only the
# others are read as typos. 3.0 keeps "lfit", "opgeslotn", "bewustelos" and "flauwgevalen"
# out and "lidt" (1.2), "roek" (2.4) too, while "lift", "left", "rook", "took" are words.
ORDINARY_ZIPF = 3.0
COMPOUND_PART = 4  # "branddeur", "forearms": two ordinary words of 4+ letters are ordinary
FUZZY_MIN_LENGTH = 4  # shorter words are never read as typos ("mes", "gas")
# A prefix ("bedreig*") is read with a typo (after its first letter) only in a word at most
# this much longer: an ending ("bedriegde"), not a compound ("theateropstelling", "threat*").
FUZZY_PREFIX_REST = 4
_WORD_CACHE_LIMIT = 50_000  # words remembered per knowledge version


def _common(word: str) -> bool:
    return (
        zipf_frequency(word, "nl") >= ORDINARY_ZIPF or zipf_frequency(word, "en") >= ORDINARY_ZIPF
    )


@lru_cache(maxsize=100_000)
def is_ordinary_word(word: str) -> bool:
    """A folded word that is ordinary Dutch or English (wordfreq), or a compound of two
    such words ("branddeur" is no typo of "brandgeur", "forearms" none of "firearms")."""
    return _common(word) or any(
        _common(word[:i]) and _common(word[i:])
        for i in range(COMPOUND_PART, len(word) - COMPOUND_PART + 1)
    )


@dataclass(frozen=True, slots=True)
class _Phrase:
    rule: int  # index into EmergencyRules.products
    slots: tuple[int, ...]  # slot numbers; _GAP for "..."
    source: str  # as written in organisation.yaml


_GAP = -1


class EmergencyRules:
    """The emergency rules of one knowledge version, compiled: :meth:`find` on a message."""

    def __init__(
        self,
        rules: Sequence[tuple[str, Sequence[str], Sequence[str]]],
        groups: Mapping[str, list[str]] | None = None,
        known_words: Iterable[str] = (),
    ) -> None:
        """``rules``: (product id, phrases, exception phrases) in order of precedence;
        ``groups``: the folded ``emergency_groups``; ``known_words``: names (buildings,
        places) that are never read as typos."""
        groups = dict(groups or {})
        self.products: tuple[str, ...] = tuple(product for product, _, _ in rules)
        self._slot_ids: dict[tuple[str, ...], int] = {}
        self._phrases: list[_Phrase] = []
        self._exceptions: list[list[_Phrase]] = []
        for index, (_, phrases, exceptions) in enumerate(rules):
            self._phrases += [self._compile(index, p, groups) for p in phrases]
            self._exceptions.append([self._compile(index, p, groups) for p in exceptions])
        # Which slots a word or a prefix fills.
        self._by_word: dict[str, set[int]] = {}
        self._by_prefix: dict[str, set[int]] = {}
        for slot, slot_id in self._slot_ids.items():
            for alternative in slot:
                if alternative.endswith("*"):
                    self._by_prefix.setdefault(alternative[:-1], set()).add(slot_id)
                else:
                    self._by_word.setdefault(alternative, set()).add(slot_id)
        self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        # Typos: a phrase word and its one-letter deletions point at that word, so that the
        # phrase words at edit distance 1 of a message word are a few look-ups away
        # (symmetric deletion, then OSA to be sure); prefixes by their first letter.
        self._deletions: dict[str, list[str]] = {}
        for word in self._by_word:
            if len(word) >= FUZZY_MIN_LENGTH:
                for key in _deletions(word):
                    self._deletions.setdefault(key, []).append(word)
        self._prefixes_by_letter: dict[str, list[str]] = {}
        for prefix in self._by_prefix:
            if len(prefix) >= FUZZY_MIN_LENGTH:
                self._prefixes_by_letter.setdefault(prefix[0], []).append(prefix)
        self._starts: dict[int, list[int]] = {}  # slot -> phrases that begin with it
        for number, phrase in enumerate(self._phrases):
            self._starts.setdefault(phrase.slots[0], []).append(number)
        self._known = frozenset(w for name in known_words for w in fold(name).split())
        self._words: dict[str, tuple[frozenset[int], tuple[int, ...]]] = {}
        for language in ("nl", "en"):  # wordfreq loads its word lists now, not on a message
            zipf_frequency("brand", language)

    @classmethod
    def from_organisation(cls, organisation: Organisation) -> EmergencyRules:
        places = getattr(organisation, "places", None) or {}
        known = [*organisation.buildings]
        for names in places.values():
            for name, aliases in names.items():
                known += [name, *(aliases or [])]
        return cls(
            [
                (
                    rule.product,
                    [p for _, p in rule.words.all()],
                    [p for _, p in rule.exceptions.all()] if rule.exceptions else [],
                )
                for rule in organisation.emergencies
            ],
            organisation.emergency_groups,
            known,
        )

    def _compile(self, rule: int, phrase: str, groups: dict[str, list[str]]) -> _Phrase:
        slots = tuple(
            _GAP if slot is None else self._slot_ids.setdefault(slot, len(self._slot_ids))
            for slot in emergency_phrase(phrase, groups)
        )
        return _Phrase(rule, slots, phrase)

    # -- a message ----------------------------------------------------------------------------

    def find(self, text: str) -> Emergency | None:
        """The emergency ``text`` reports: the first rule with a phrase in it that no
        exception of the rule covers."""
        found = self.explain(text, first=True)
        return Emergency(found[0][0]) if found else None

    def explain(self, text: str, first: bool = False) -> list[tuple[str, str]]:
        """(product id, phrase) of each phrase that makes ``text`` an emergency, in the
        order of the rules; only those of the first rule that has any when ``first``."""
        filled = [self._word(w) for w in fold(text).split()]
        found: dict[int, list[tuple[_Phrase, tuple[int, ...]]]] = {}
        for start, (_, phrases) in enumerate(filled):
            for number in phrases:
                phrase = self._phrases[number]
                positions = _match(phrase.slots, filled, start)
                if positions is not None:
                    found.setdefault(phrase.rule, []).append((phrase, positions))
        out: list[tuple[str, str]] = []
        for rule in sorted(found):
            covered = self._covered(rule, filled)
            out += [
                (self.products[rule], phrase.source)
                for phrase, positions in found[rule]
                if not covered.intersection(positions)
            ]
            if out and first:
                break
        return out

    def _covered(self, rule: int, filled: list[tuple[frozenset[int], tuple[int, ...]]]) -> set[int]:
        """The message positions that an exception phrase of ``rule`` matches."""
        covered: set[int] = set()
        for phrase in self._exceptions[rule]:
            first = phrase.slots[0]
            for start, (slots, _) in enumerate(filled):
                if first in slots:
                    positions = _match(phrase.slots, filled, start)
                    if positions is not None:
                        covered.update(positions)
        return covered

    def _word(self, word: str) -> tuple[frozenset[int], tuple[int, ...]]:
        """The slots a message word fills, and the phrases that begin with one of them."""
        cached = self._words.get(word)
        if cached is not None:
            return cached
        slots = set(self._by_word.get(word, ()))
        for length in self._prefix_lengths:
            if length > len(word):
                break
            slots.update(self._by_prefix.get(word[:length], ()))
        if not slots and len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
            slots = self._fuzzy(word)
        starts = tuple(n for slot in slots for n in self._starts.get(slot, ()))
        result = (frozenset(slots), starts)
        if len(self._words) >= _WORD_CACHE_LIMIT:
            self._words.clear()
        self._words[word] = result
        return result

    def _fuzzy(self, word: str) -> set[int]:
        """The slots of the phrase words ``word`` is one typo away from, if it is a typo:
        not an ordinary word (asked only when there is such a phrase word), nor a name."""
        slots: set[int] = set()
        for key in _deletions(word):
            for candidate in self._deletions.get(key, ()):
                if OSA.distance(word, candidate, score_cutoff=1) <= 1:
                    slots.update(self._by_word[candidate])
        for prefix in self._prefixes_by_letter.get(word[0], ()):
            n = len(prefix)
            if n - 1 <= len(word) <= n + FUZZY_PREFIX_REST and any(
                OSA.distance(word[:k], prefix, score_cutoff=1) <= 1 for k in (n - 1, n, n + 1)
            ):
                slots.update(self._by_prefix[prefix])
        if slots and (word in self._known or is_ordinary_word(word)):
            return set()
        return slots


def _deletions(word: str) -> set[str]:
    """``word`` and the words it gives with one letter left out."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _match(
    slots: tuple[int, ...], filled: list[tuple[frozenset[int], tuple[int, ...]]], start: int
) -> tuple[int, ...] | None:
    """The message positions of ``slots`` matched from ``start`` on, or None."""
    if slots[0] not in filled[start][0]:
        return None
    positions = [start]

    def extend(k: int, at: int) -> bool:
        if k == len(slots):
            return True
        if slots[k] == _GAP:
            reach = range(at + 1, min(at + 2 + MAX_GAP, len(filled)))
            k += 1
        else:
            reach = range(at + 1, min(at + 2, len(filled)))
        for position in reach:
            if slots[k] in filled[position][0]:
                positions.append(position)
                if extend(k + 1, position):
                    return True
                positions.pop()
        return False

    return tuple(positions) if extend(1, start) else None


def emergency(
    text: str, rules: EmergencyRules | Sequence[tuple[str, Sequence[str]]]
) -> Emergency | None:
    """The emergency a message reports, from the organisation's compiled rules
    (:meth:`EmergencyRules.from_organisation`, built once per knowledge version), or from
    plain ``[(product_id, [phrase, ...]), ...]`` (compiled on each call: for tests)."""
    if not isinstance(rules, EmergencyRules):
        rules = EmergencyRules([(product, phrases, ()) for product, phrases in rules])
    return rules.find(text)


YES = frozenset(
    [
        "ja",
        "j",
        "yes",
        "y",
        "ok",
        "oke",
        "okay",
        "prima",
        "klopt",
        "correct",
        "bevestig",
        "bevestigen",
        "confirm",
        "goed",
        "akkoord",
        "doe",
        "maar",
        "graag",
        "sure",
        "yep",
    ]
)
NO = frozenset(["nee", "n", "no", "nope", "niet", "liever", "niet"])


def yes_or_no(text: str) -> bool | None:
    words = fold(text).split()
    if not words or len(words) > 4:
        return None
    if words[0] in YES:
        return True
    if words[0] in NO:
        return False
    return None
