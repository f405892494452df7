"""The ticket domain: allowed steps, the event trail, and what each step needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.errors import InputError
from servicedesk.tickets import (
    TRANSITIONS,
    Actor,
    Channel,
    Deadlines,
    EventType,
    IllegalTransition,
    MissingInformation,
    Requester,
    Status,
    Ticket,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STAFF = Actor("aad-staff", "Piet Monteur")


def _ticket() -> Ticket:
    return Ticket.open(
        number="FM-2026-000001",
        requester=Requester("aad-1", "Ada", "ada@rivierstad.nl", "nl"),
        product_id="storing.verwarming",
        queue="technische-dienst",
        kwis="storing",
        priority="P3",
        channel=Channel.CHAT,
        fields={"location": "Stadskantoor 2.14", "description": "te koud"},
        charge=None,
        at=T0,
        deadlines=Deadlines(T0 + timedelta(hours=4), T0 + timedelta(days=3)),
    )


def test_a_new_ticket_starts_its_trail_with_created() -> None:
    ticket = _ticket()
    assert ticket.status is Status.NEW
    assert [e.type for e in ticket.events] == [EventType.CREATED]
    assert ticket.events[0].actor.id == "aad-1"


def test_the_happy_path_records_who_and_when() -> None:
    ticket = _ticket()
    ticket.accept(STAFF, T0 + timedelta(minutes=20))
    ticket.progress(STAFF, T0 + timedelta(hours=1), "Monteur is onderweg")
    ticket.resolve(STAFF, T0 + timedelta(hours=2), "Thermostaat vervangen")
    ticket.close(Actor.system("frontoffice"), T0 + timedelta(days=2))
    assert ticket.status is Status.CLOSED
    assert [e.type for e in ticket.events] == [
        EventType.CREATED,
        EventType.ACCEPTED,
        EventType.PROGRESS,
        EventType.RESOLVED,
        EventType.CLOSED,
    ]
    assert ticket.responded_at == T0 + timedelta(minutes=20)
    assert ticket.resolved_at == T0 + timedelta(hours=2)
    assert ticket.events[3].note == "Thermostaat vervangen"


def test_a_delay_needs_a_reason_and_a_future_date() -> None:
    ticket = _ticket()
    with pytest.raises(MissingInformation, match="reason"):
        ticket.delay(STAFF, T0, "", T0 + timedelta(days=5))
    with pytest.raises(MissingInformation, match="expected date"):
        ticket.delay(STAFF, T0, "onderdeel besteld", None)
    with pytest.raises(MissingInformation, match="future"):
        ticket.delay(STAFF, T0, "onderdeel besteld", T0 - timedelta(hours=1))
    assert ticket.status is Status.NEW and len(ticket.events) == 1  # nothing changed
    ticket.delay(STAFF, T0, "onderdeel besteld", T0 + timedelta(days=5))
    assert ticket.status is Status.DELAYED
    assert ticket.expected_at == T0 + timedelta(days=5)


def test_resolving_needs_a_note() -> None:
    with pytest.raises(MissingInformation):
        _ticket().resolve(STAFF, T0, "  ")


@pytest.mark.parametrize("final", [Status.CANCELLED, Status.CLOSED])
def test_nothing_moves_a_cancelled_or_closed_ticket(final: Status) -> None:
    ticket = _ticket()
    if final is Status.CANCELLED:
        ticket.cancel(Actor("aad-1"), T0, "al opgelost")
    else:
        ticket.resolve(STAFF, T0, "klaar")
        ticket.close(STAFF, T0)
    for step in (
        lambda: ticket.accept(STAFF, T0),
        lambda: ticket.reopen(STAFF, T0),
        lambda: ticket.resolve(STAFF, T0, "x"),
        lambda: ticket.progress(STAFF, T0, "x"),
    ):
        with pytest.raises(IllegalTransition):
            step()


def test_a_resolved_ticket_can_be_reopened_and_worked_again() -> None:
    ticket = _ticket()
    ticket.resolve(STAFF, T0, "klaar")
    ticket.reopen(Actor("aad-1"), T0 + timedelta(hours=1), "nog steeds koud")
    assert ticket.status is Status.REOPENED and ticket.resolved_at is None
    ticket.progress(STAFF, T0 + timedelta(hours=2), "opnieuw gekeken")
    assert ticket.status is Status.IN_PROGRESS


def test_every_status_has_its_transitions_listed() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert not TRANSITIONS[Status.CLOSED] and not TRANSITIONS[Status.CANCELLED]


def test_a_priority_change_brings_new_deadlines_and_is_recorded() -> None:
    ticket = _ticket()
    new = Deadlines(T0 + timedelta(minutes=15), T0 + timedelta(hours=4))
    ticket.change_priority(STAFF, T0, "P1", new, "water op de vloer")
    assert (ticket.priority, ticket.deadlines) == ("P1", new)
    assert ticket.events[-1].data == {"from": "P3", "to": "P1"}


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InputError, match="shoe_size"):
        Ticket.open(
            number="x",
            requester=Requester("a"),
            product_id="p",
            queue="q",
            kwis="wens",
            priority="P3",
            channel=Channel.PHONE,
            fields={"shoe_size": 42},
            charge=None,
            at=T0,
            deadlines=Deadlines(T0, T0),
        )
