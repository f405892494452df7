"""The steps shared by the channel card and the console (dialogs/queue_steps.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialogs import queue_steps
from dialogs.queue_steps import Refused, StepInputs, is_current, make_step, repeated
from knowledge.reload import Snapshot
from servicedesk.tickets import Actor
from tests.factories import a_lift_ticket

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TOM = Actor("aad-tom", "Tom")


@pytest.mark.parametrize(
    ("verb", "inputs", "key"),
    [
        ("progress", StepInputs(), "queue.notice.missing_note"),
        ("resolve", StepInputs(resolve_note="  "), "queue.notice.missing_note"),
        ("delay", StepInputs(delay_reason="Onderdeel"), "queue.notice.missing_delay"),
        ("delay", StepInputs(delay_date="2026-12-01"), "queue.notice.missing_delay"),
        ("reassign", StepInputs(reassign_queue="schoonmaak"), "queue.notice.missing_reassign"),
        (
            "reassign",
            StepInputs(reassign_queue="technische-dienst", reassign_reason="x"),
            "queue.notice.missing_reassign",
        ),
        (
            "reassign",
            StepInputs(reassign_queue="nergens", reassign_reason="x"),
            "queue.notice.missing_reassign",
        ),
        ("cancel", StepInputs(), "queue.notice.missing_note"),
    ],
)
def test_a_step_without_what_it_needs_is_refused(
    snapshot: Snapshot, verb: str, inputs: StepInputs, key: str
) -> None:
    with pytest.raises(Refused) as refused:
        make_step(verb, inputs, a_lift_ticket(NOW), TOM, snapshot.knowledge)
    assert refused.value.key == key


def test_a_delay_is_expected_by_closing_time_in_the_organisations_zone(
    snapshot: Snapshot,
) -> None:
    step = make_step(
        "delay",
        StepInputs(delay_reason=" Onderdeel besteld ", delay_date="2026-12-01"),
        a_lift_ticket(NOW),
        TOM,
        snapshot.knowledge,
    )
    assert (step.type, step.reason, step.actor) == ("delay", "Onderdeel besteld", TOM)
    assert step.expected is not None and step.expected.date().isoformat() == "2026-12-01"
    assert str(step.expected.tzinfo) == snapshot.knowledge.organisation.timezone


def test_every_verb_makes_its_step(snapshot: Snapshot) -> None:
    inputs = StepInputs(
        progress_note="a",
        delay_reason="b",
        delay_date="2026-12-01",
        resolve_note="c",
        reassign_queue="schoonmaak",
        reassign_reason="d",
        cancel_reason="e",
    )
    made = {
        v: make_step(v, inputs, a_lift_ticket(NOW), TOM, snapshot.knowledge).type
        for v in queue_steps.VERBS
    }
    assert made == {v: v for v in queue_steps.VERBS}


def test_only_bookkeeping_since_keeps_an_action_current() -> None:
    ticket = a_lift_ticket(NOW)
    ticket.version = 1
    assert is_current(1, 1, ticket)
    ticket.record_delivery(NOW, "builtin", None)
    ticket.version = 2
    assert is_current(1, 1, ticket) and not is_current(1, None, ticket)
    ticket.take(TOM, NOW)
    ticket.version = 3
    assert not is_current(1, 1, ticket)
    assert repeated("take", ticket, TOM.id) and not repeated("take", ticket, "aad-other")
    assert not repeated("resolve", ticket, TOM.id)
