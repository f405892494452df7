"""The assignment card: what staff see, which actions they get, and valid card JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dialogs.queue_cards import (
    AUTO_REFRESH_LIMIT,
    VERBS,
    CardContext,
    Viewer,
    assignment_card,
    error_card,
)
from servicedesk.tickets import Actor, Deadlines, EventType, MissingInformation, Requester, Status
from tests.factories import a_lift_ticket

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STAFF = Actor("aad-staff-1", "Sam Staff")


def _ticket(**fields: Any) -> Any:
    ticket = a_lift_ticket(
        T0,
        requester=Requester("aad-1", "Ada", "ada@rivierstad.nl"),
        deadlines=Deadlines(T0 + timedelta(minutes=15), T0 + timedelta(hours=4)),
        fields={"location": "Werf, lift B", "description": "Zit vast tussen 2 en 3", **fields},
    )
    ticket.number, ticket.version = "FM-2026-000042", 3
    return ticket


def _context(**overrides: Any) -> CardContext:
    values: dict[str, Any] = {
        "product": "Storing lift",
        "queue": "Technische dienst",
        "other_queues": [("schoonmaak", "Schoonmaak"), ("frontoffice", "Frontoffice")],
        "sla": {"response": "ok", "resolution": "ok"},
        "staff_ids": ["8:orgid:aad-staff-1"],
    }
    values.update(overrides)
    return CardContext(**values)


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every object in the card, nested cards included."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


def _verbs(card: dict[str, Any]) -> list[str]:
    """The verbs of the card's actions (and of a refresh button in its body)."""
    return [
        n["verb"]
        for n in _walk([card.get("actions", []), card["body"]])
        if n.get("type") == "Action.Execute"
    ]


def test_the_card_shows_everything_staff_need_to_act() -> None:
    ticket = _ticket(when="2026-11-25T10:00:00+01:00", persons=12, cost_centre="KP-4711")
    ticket.charge = "€ 8,50 per persoon"
    card = assignment_card(ticket, _context(), "nl")
    text = json.dumps(card, ensure_ascii=False)
    for shown in (
        "FM-2026-000042",
        "Storing lift",
        "Storing · P1 · Technische dienst",
        "Werf, lift B",
        "Zit vast tussen 2 en 3",
        "Ada · ada@rivierstad.nl",
        "KP-4711",
        "€ 8,50 per persoon",
        "12",
        "Reactie vóór",
        "Oplossen vóór",
        "{{DATE(2026-11-24T09:15:00Z, SHORT)}}",
        "{{TIME(2026-11-25T09:00:00Z)}}",  # the 'when', in the viewer's own zone
        "nog niemand",
        "Laatste: aangemaakt door Ada",
        "Nieuw",
    ):
        assert shown in text, shown
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"


def test_actions_are_universal_actions_with_the_version_shown() -> None:
    card = assignment_card(_ticket(), _context(), "nl")
    assert _verbs(card) == [
        "ticket.take",
        "ticket.progress",
        "ticket.delay",
        "ticket.resolve",
        "ticket.reassign",
    ]
    assert set(_verbs(card)) <= set(VERBS)
    for action in _walk(card["actions"]):
        if action.get("type") == "Action.Execute":
            assert action["data"] == {"ticket": "FM-2026-000042", "version": 3, "events": 1}
    assert len(card["actions"]) <= 5  # the Adaptive Cards default host's limit
    inputs = [n for n in _walk(card) if str(n.get("type", "")).startswith("Input.")]
    ids = [i["id"] for i in inputs]
    assert len(ids) == len(set(ids)), "input ids must be unique in the whole card"
    assert {i["id"] for i in inputs if i.get("isRequired")} == {
        "progress_note",
        "delay_reason",
        "delay_date",
        "resolve_note",
        "reassign_queue",
        "reassign_reason",
    }
    sends = [n for n in _walk(card["actions"]) if n.get("associatedInputs") == "auto"]
    assert len(sends) == 4


def test_the_refresh_block_lists_the_staff_up_to_sixty() -> None:
    card = assignment_card(_ticket(), _context(), "nl")
    assert card["refresh"] == {
        "action": {
            "type": "Action.Execute",
            "verb": "ticket.refresh",
            "data": {"ticket": "FM-2026-000042", "version": 3, "events": 1},
        },
        "userIds": ["8:orgid:aad-staff-1"],
    }
    many = [f"8:orgid:{n}" for n in range(AUTO_REFRESH_LIMIT + 1)]
    card = assignment_card(_ticket(), _context(staff_ids=many), "nl")
    assert card["refresh"]["userIds"] == []
    assert _verbs(card)[-1] == "ticket.refresh"  # the manual way
    assert "ticket.refresh" not in _verbs(assignment_card(_ticket(), _context(), "nl"))


@pytest.mark.parametrize(
    ("state", "colour", "mark"),
    [("at_risk", "Warning", "(dreigt te verlopen)"), ("breached", "Attention", "(verlopen)")],
)
def test_deadlines_at_risk_or_breached_are_highlighted(state: str, colour: str, mark: str) -> None:
    card = assignment_card(_ticket(), _context(sla={"response": "ok", "resolution": state}), "nl")
    blocks = [n for n in _walk(card) if n.get("type") == "TextBlock" and mark in n.get("text", "")]
    assert len(blocks) == 1 and blocks[0]["color"] == colour


def test_a_viewer_outside_the_queue_gets_no_buttons_to_act() -> None:
    card = assignment_card(
        _ticket(), _context(viewer=Viewer(may_act=False), notice="Niet jouw wachtrij"), "nl"
    )
    assert _verbs(card) == []
    assert "Niet jouw wachtrij" in json.dumps(card)


def test_the_assignee_is_not_offered_take() -> None:
    ticket = _ticket()
    ticket.take(STAFF, T0)
    card = assignment_card(ticket, _context(viewer=Viewer(True, STAFF.id)), "en")
    assert "ticket.take" not in _verbs(card)
    assert "Sam Staff" in json.dumps(card) and "Accepted" in json.dumps(card)


def test_a_resolved_ticket_can_only_be_reopened() -> None:
    ticket = _ticket()
    ticket.resolve(STAFF, T0, "Lift gereset")
    card = assignment_card(ticket, _context(), "nl")
    assert _verbs(card) == ["ticket.reopen"]
    assert "“Lift gereset”" in json.dumps(card, ensure_ascii=False)


def test_the_error_card_is_a_card() -> None:
    card = error_card("Deze knop begrijp ik niet")
    assert card["type"] == "AdaptiveCard" and "Deze knop" in json.dumps(card)


# -- the ticket steps behind the verbs ------------------------------------------------------


def test_take_accepts_a_new_ticket_and_assigns_it() -> None:
    ticket = _ticket()
    ticket.take(STAFF, T0)
    assert ticket.status is Status.ACCEPTED and ticket.assignee == STAFF
    assert [e.type for e in ticket.events][-2:] == [EventType.ACCEPTED, EventType.ASSIGNED]
    assert ticket.responded_at == T0


def test_reassign_needs_a_reason_and_another_queue() -> None:
    ticket = _ticket()
    ticket.take(STAFF, T0)
    with pytest.raises(MissingInformation):
        ticket.reassign(STAFF, T0, "schoonmaak", " ")
    with pytest.raises(MissingInformation):
        ticket.reassign(STAFF, T0, ticket.queue, "waarom niet")
    ticket.reassign(STAFF, T0, "frontoffice", "Geen storing, een wens")
    assert (ticket.queue, ticket.status, ticket.assignee) == ("frontoffice", Status.NEW, None)
    assert ticket.events[-1].data == {"from": "technische-dienst", "to": "frontoffice"}
