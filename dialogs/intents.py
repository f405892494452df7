"""What a message asks besides a product: a command, an emergency, a follow-up on a ticket.

These are recognised before the matcher so that "status FM-2026-000123", "annuleer
mijn melding" or "er is brand" never end up as a product question. The phrases are
input patterns in both languages (what employees type), not texts the bot says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

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


def emergency(text: str, rules: list[tuple[str, list[str]]]) -> Emergency | None:
    """The emergency a message reports, from the organisation's rules
    ``[(product_id, [phrase, ...]), ...]`` (phrases folded, matched as whole words)."""
    folded = f" {fold(text)} "
    for product_id, phrases in rules:
        for phrase in phrases:
            if f" {phrase} " in folded:
                return Emergency(product_id)
    return None


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
