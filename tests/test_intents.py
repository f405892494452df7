"""Follow-ups, emergencies and yes/no recognised before the matcher (dialogs/intents.py)."""

from __future__ import annotations

import pytest

from dialogs.intents import FollowUp, emergency, follow_up, ticket_numbers, yes_or_no
from dialogs.messages import LANGUAGES, catalogue
from knowledge.reload import Snapshot
from knowledge.text import fold


@pytest.mark.parametrize(
    ("text", "kind", "number"),
    [
        ("status FM-2026-000123", FollowUp.STATUS, "FM-2026-000123"),
        ("fm-2026-123", FollowUp.STATUS, "FM-2026-000123"),
        ("Hoe staat het met FM-2026-000123?", FollowUp.STATUS, "FM-2026-000123"),
        ("waar blijft mijn melding", FollowUp.LIST, None),
        ("Waar blijft mijn bestelling?", FollowUp.LIST, None),
        ("my tickets", FollowUp.LIST, None),
        ("where is my request", FollowUp.LIST, None),
        ("annuleer FM-2026-000123", FollowUp.CANCEL, "FM-2026-000123"),
        ("cancel my lunch order", FollowUp.CANCEL, None),
        ("de lunch is niet meer nodig, annuleer mijn bestelling", FollowUp.CANCEL, None),
        ("het is nog niet opgelost", FollowUp.REOPEN, None),
        ("FM-2026-000123 werkt nog steeds niet", FollowUp.REOPEN, "FM-2026-000123"),
        ("still broken", FollowUp.REOPEN, None),
        ("FM-2026-000123: het water staat nu ook in de gang", FollowUp.ADD, "FM-2026-000123"),
    ],
)
def test_follow_ups(text: str, kind: FollowUp, number: str | None) -> None:
    intent = follow_up(text)
    assert intent is not None and (intent.kind, intent.number) == (kind, number)


@pytest.mark.parametrize(
    "text",
    [
        "de verwarming doet het niet",
        "annuleer",  # the stop command, not a ticket's cancellation
        "ik wil een vergaderzaal annuleren voor morgen",  # no ticket named: the matcher decides
        "wat kost een werklunch?",
    ],
)
def test_not_follow_ups(text: str) -> None:
    assert follow_up(text) is None


def test_ticket_numbers_are_normalised_and_unique() -> None:
    assert ticket_numbers("fm-2026-7 en FM-2026-000007, FM-2025-12") == [
        "FM-2026-000007",
        "FM-2025-000012",
    ]


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("Er is brand op de 2e verdieping!", "bhv"),
        ("Ik ruik gas in de kelder", "bhv"),
        ("Someone is unconscious in the hallway", "bhv"),
        ("Er zit iemand vast in de lift", "storing.lift"),
        ("a colleague is stuck in the elevator", "storing.lift"),
        ("Er is een vechtpartij bij de receptie", "beveiliging.incident"),
        ("De brandblusser moet gekeurd worden", None),
        ("De rookmelder piept", None),
        ("Wanneer is de BHV-oefening?", None),
    ],
)
def test_emergencies(snapshot: Snapshot, text: str, product: str | None) -> None:
    rules = [
        (rule.product, [fold(p) for _, p in rule.words.all()])
        for rule in snapshot.knowledge.organisation.emergencies
    ]
    found = emergency(text, rules)
    assert (found.product_id if found else None) == product


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("ja", True),
        ("Ja, graag", True),
        ("yes please", True),
        ("ok", True),
        ("nee", False),
        ("No thanks", False),
        ("misschien", None),
        ("ja maar dan wel op de 3e verdieping graag", None),
    ],
)
def test_yes_or_no(text: str, answer: bool | None) -> None:
    assert yes_or_no(text) is answer


def test_both_languages_have_every_message() -> None:
    nl, en = (set(catalogue(language)) for language in LANGUAGES)
    assert nl == en, sorted(nl ^ en)
