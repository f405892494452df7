"""The steps staff take on a ticket of their queue, from what they typed or clicked.

One table from a verb (take, progress, delay, resolve, reassign, reopen, cancel) to a
``servicedesk.service.Step``, with the checks of its inputs (a note, a delay's reason
and future date, another queue and a reason). Shared by the Teams channel card
(``bot.channels``, verbs ``ticket.<verb>``) and the desk console (``console.tickets``),
so that a click on the card and a button on the ticket page do exactly the same. Also
shared: whether the version an action carries is still current, and whether a stale
action is the same person's second click. No SDK, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from knowledge.loader import Knowledge
from servicedesk.service import Step
from servicedesk.tickets import Actor, EventType, Ticket

TAKE, PROGRESS, DELAY, RESOLVE, REASSIGN, REOPEN, CANCEL = (
    "take",
    "progress",
    "delay",
    "resolve",
    "reassign",
    "reopen",
    "cancel",
)


@dataclass(frozen=True)
class StepInputs:
    """What staff typed for a step (the names of the card's and the page's inputs)."""

    progress_note: str = ""
    delay_reason: str = ""
    delay_date: str = ""  # YYYY-MM-DD: the work is expected done by closing time that day
    resolve_note: str = ""
    reassign_queue: str = ""
    reassign_reason: str = ""
    cancel_reason: str = ""


class Refused(Exception):
    """The inputs do not make a step; carries the catalogue key of the message to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


MakeStep = Callable[[StepInputs, Ticket, Actor, Knowledge], Step]


def _progress(inputs: StepInputs, ticket: Ticket, actor: Actor, knowledge: Knowledge) -> Step:
    if not inputs.progress_note.strip():
        raise Refused("queue.notice.missing_note")
    return Step("progress", actor, note=inputs.progress_note.strip())


def _resolve(inputs: StepInputs, ticket: Ticket, actor: Actor, knowledge: Knowledge) -> Step:
    if not inputs.resolve_note.strip():
        raise Refused("queue.notice.missing_note")
    return Step("resolve", actor, note=inputs.resolve_note.strip())


def _delay(inputs: StepInputs, ticket: Ticket, actor: Actor, knowledge: Knowledge) -> Step:
    organisation = knowledge.organisation
    try:
        day = date.fromisoformat(inputs.delay_date.strip()[:10])
    except ValueError:
        raise Refused("queue.notice.missing_delay") from None
    if not inputs.delay_reason.strip():
        raise Refused("queue.notice.missing_delay")
    close = time.fromisoformat(organisation.business_hours.close)
    expected = datetime.combine(day, close, tzinfo=ZoneInfo(organisation.timezone))
    # a date that is not in the future is refused by the ticket itself (MissingInformation)
    return Step("delay", actor, reason=inputs.delay_reason.strip(), expected=expected)


def _reassign(inputs: StepInputs, ticket: Ticket, actor: Actor, knowledge: Knowledge) -> Step:
    queue = inputs.reassign_queue.strip()
    if queue not in knowledge.queues or queue == ticket.queue or not inputs.reassign_reason.strip():
        raise Refused("queue.notice.missing_reassign")
    return Step("reassign", actor, reason=inputs.reassign_reason.strip(), queue=queue)


def _cancel(inputs: StepInputs, ticket: Ticket, actor: Actor, knowledge: Knowledge) -> Step:
    if not inputs.cancel_reason.strip():
        raise Refused("queue.notice.missing_note")
    return Step("cancel", actor, reason=inputs.cancel_reason.strip())


STEPS: Mapping[str, MakeStep] = {
    TAKE: lambda i, tk, a, k: Step("take", a),
    PROGRESS: _progress,
    DELAY: _delay,
    RESOLVE: _resolve,
    REASSIGN: _reassign,
    REOPEN: lambda i, tk, a, k: Step("reopen", a),
    CANCEL: _cancel,
}
VERBS = tuple(STEPS)


def make_step(
    verb: str, inputs: StepInputs, ticket: Ticket, actor: Actor, knowledge: Knowledge
) -> Step:
    """The step for ``verb``; ``Refused`` when an input it needs is missing or wrong,
    ``KeyError`` for an unknown verb."""
    return STEPS[verb](inputs, ticket, actor, knowledge)


# What the ticket itself refuses as missing (``MissingInformation``), per verb.
MISSING: Mapping[str, str] = {
    DELAY: "queue.notice.missing_delay",
    REASSIGN: "queue.notice.missing_reassign",
}


def missing_key(verb: str) -> str:
    return MISSING.get(verb, "queue.notice.missing_note")


def is_current(version: int | None, events: int | None, ticket: Ticket) -> bool:
    """Whether an action was taken on the ticket as it is: the same version, or only
    bookkeeping since (the outbox records 'delivered' after the card was posted)."""
    if version == ticket.version:
        return True
    return (
        version is not None
        and version < ticket.version
        and events is not None
        and events <= len(ticket.events)
        and all(e.type is EventType.DELIVERED for e in ticket.events[events:])
    )


DONE_BY: Mapping[str, tuple[EventType, ...]] = {
    TAKE: (EventType.ASSIGNED,),
    PROGRESS: (EventType.PROGRESS,),
    DELAY: (EventType.DELAYED,),
    RESOLVE: (EventType.RESOLVED,),
    REASSIGN: (EventType.REASSIGNED,),
    REOPEN: (EventType.REOPENED,),
    CANCEL: (EventType.CANCELLED,),
}


def repeated(verb: str, ticket: Ticket, actor_id: str) -> bool:
    """Whether a stale action is the same person's second click on what they just did
    (a double click): then the current state is the answer, quietly."""
    last = next((e for e in reversed(ticket.events) if e.type is not EventType.DELIVERED), None)
    return last is not None and last.actor.id == actor_id and last.type in DONE_BY.get(verb, ())
