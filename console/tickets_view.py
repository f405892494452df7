"""What the tickets pages show: a ticket as a list row, its facts and its event trail, in
the page's language and the organisation's time zone (Europe/Amsterdam), and which
actions the signed-in person is offered. Plain functions, no I/O."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from console.roles import DESK, Person
from dialogs import queue_steps
from dialogs.messages import catalogue, t
from knowledge.loader import Knowledge
from servicedesk.tickets import Event, EventType, Requester, Status, Ticket

# the verbs desk staff may use on any ticket, on behalf of a caller (the rest is the
# queue's work: only its staff and admins take, report progress, delay, resolve, hand over)
DESK_VERBS = frozenset({queue_steps.CANCEL, queue_steps.REOPEN})
FIELDS = ("location", "when", "persons", "visitors", "plate", "cost_centre", "description")


def overall_sla(states: Mapping[str, str]) -> str:
    """One SLA state for a ticket from ``TicketService.sla_status`` (response and
    resolution): a running clock's breached or at_risk first, then missed, ok, met."""
    found = set(states.values())
    for state in ("breached", "at_risk", "missed", "ok", "met"):
        if state in found:
            return state
    return "n/a"


def may_view(person: Person, queue: str) -> bool:
    """Desk staff and admins see every queue; queue staff only their own."""
    return person.has(DESK) or queue in person.queues


def verbs_for(person: Person, queue: str) -> frozenset[str]:
    """The verbs the person may use on a ticket of ``queue`` (whatever its status)."""
    if person.may_act(queue):
        return frozenset(queue_steps.VERBS)
    if person.has(DESK):
        return DESK_VERBS
    return frozenset()


def offered(person: Person, ticket: Ticket) -> list[str]:
    """The actions shown on the ticket page, as the channel card offers them (plus cancel)."""
    allowed = verbs_for(person, ticket.queue)
    if ticket.status.is_open:
        mine = ticket.assignee is not None and ticket.assignee.id == person.actor.id
        wanted = [
            queue_steps.TAKE if not mine else "",
            queue_steps.PROGRESS,
            queue_steps.DELAY,
            queue_steps.RESOLVE,
            queue_steps.REASSIGN,
            queue_steps.CANCEL,
        ]
    elif ticket.status is Status.RESOLVED:
        wanted = [queue_steps.REOPEN]
    else:
        wanted = []
    return [verb for verb in wanted if verb and verb in allowed]


@dataclass(frozen=True)
class Texts:
    """Names and times for one page in one language."""

    knowledge: Knowledge
    language: str

    def t(self, key: str, **values: object) -> str:
        return t(self.language, key, **values)

    def known(self, key: str) -> bool:
        return key in catalogue(self.language)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        zone = ZoneInfo(self.knowledge.organisation.timezone)
        return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")

    def day(self, moment: datetime) -> str:
        """The local date (YYYY-MM-DD) of ``moment``."""
        return moment.astimezone(ZoneInfo(self.knowledge.organisation.timezone)).date().isoformat()

    def product(self, product_id: str) -> str:
        product = self.knowledge.products.get(product_id)
        return product.name.in_language(self.language) if product else product_id

    def queue(self, queue_id: str) -> str:
        queue = self.knowledge.queues.get(queue_id)
        return queue.name.in_language(self.language) if queue else queue_id

    def queues(self) -> list[tuple[str, str]]:
        """(id, name) of every queue, by name."""
        return sorted(((q, self.queue(q)) for q in self.knowledge.queues), key=lambda pair: pair[1])

    def status(self, status: Status | str) -> str:
        return self.t(f"queue.status.{Status(status).value}")

    def priority(self, priority: str) -> str:
        sla = self.knowledge.sla_classes.get(priority)
        return f"{priority} · {sla.label.in_language(self.language)}" if sla else priority

    def kwis(self, kwis: str) -> str:
        key = f"queue.kwis.{kwis}"
        return self.t(key) if self.known(key) else kwis

    def sla(self, state: str) -> str:
        key = f"console.tickets.sla.{state}"
        return self.t(key) if self.known(key) else state

    def event(self, type_: EventType) -> str:
        key = f"queue.event.{type_.value}"
        return self.t(key) if self.known(key) else type_.value


def row(ticket: Ticket, states: Mapping[str, str], texts: Texts) -> dict[str, Any]:
    """A ticket as a line of the list."""
    return {
        "number": ticket.number,
        "product": texts.product(ticket.product_id),
        "queue": texts.queue(ticket.queue),
        "status": texts.status(ticket.status),
        "priority": ticket.priority,
        "requester": ticket.requester.name or ticket.requester.email or ticket.requester.id,
        "created": texts.when(ticket.created_at),
        "response_due": texts.when(ticket.deadlines.response_due),
        "response_sla": states.get("response", "n/a"),
        "resolve_due": texts.when(ticket.deadlines.resolve_due),
        "resolve_sla": states.get("resolution", "n/a"),
        "sla": overall_sla(states),
        "sla_text": texts.sla(overall_sla(states)),
    }


def facts(
    ticket: Ticket, states: Mapping[str, str], followers: list[Requester], texts: Texts
) -> list[tuple[str, str]]:
    """(label, value) of everything the page states about the ticket."""
    requester = ticket.requester
    who = " · ".join(p for p in (requester.name, requester.email) if p) or requester.id
    out = [
        (texts.t("console.tickets.col.product"), texts.product(ticket.product_id)),
        (texts.t("console.tickets.col.queue"), texts.queue(ticket.queue)),
        (texts.t("console.tickets.fact.kwis"), texts.kwis(ticket.kwis)),
        (texts.t("console.tickets.col.priority"), texts.priority(ticket.priority)),
        (texts.t("console.tickets.col.status"), texts.status(ticket.status)),
        (
            texts.t("queue.fact.assignee"),
            (ticket.assignee.name or ticket.assignee.id)
            if ticket.assignee
            else texts.t("queue.fact.nobody"),
        ),
        (texts.t("queue.fact.requester"), who),
        (
            texts.t("console.tickets.fact.channel"),
            texts.t(f"console.tickets.channel.{ticket.channel.value}"),
        ),
        (texts.t("console.tickets.col.created"), texts.when(ticket.created_at)),
    ]
    for name in FIELDS:
        value = ticket.fields.get(name)
        if value in (None, "", []):
            continue
        if name == "when" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = texts.when(datetime.fromisoformat(value))
        out.append((texts.t(f"console.tickets.field.{name}"), str(value)))
    out.append((texts.t("queue.fact.charge"), ticket.charge or texts.t("queue.fact.no_charge")))
    if ticket.expected_at is not None and ticket.status.is_open:
        out.append((texts.t("queue.fact.expected"), texts.when(ticket.expected_at)))
    if followers:
        names = ", ".join(f.name or f.email or f.id for f in followers)
        out.append((texts.t("console.tickets.fact.followers"), names))
    return out


def deadlines(ticket: Ticket, states: Mapping[str, str], texts: Texts) -> list[dict[str, str]]:
    return [
        {
            "label": texts.t("queue.deadline.response"),
            "due": texts.when(ticket.deadlines.response_due),
            "sla": states.get("response", "n/a"),
            "sla_text": texts.sla(states.get("response", "n/a")),
        },
        {
            "label": texts.t("queue.deadline.resolution"),
            "due": texts.when(ticket.deadlines.resolve_due),
            "sla": states.get("resolution", "n/a"),
            "sla_text": texts.sla(states.get("resolution", "n/a")),
        },
    ]


def trail(ticket: Ticket, texts: Texts) -> list[dict[str, str]]:
    """The event trail, oldest first: who, when, what, and the note."""
    return [
        {
            "when": texts.when(event.at),
            "iso": event.at.isoformat(),
            "who": event.actor.name or event.actor.id,
            "what": texts.event(event.type),
            "detail": _detail(event, texts),
            "note": event.note,
        }
        for event in ticket.events
    ]


def _detail(event: Event, texts: Texts) -> str:
    data = event.data
    if event.type is EventType.DELAYED and isinstance(data.get("expected"), str):
        try:
            expected = texts.when(datetime.fromisoformat(data["expected"]))
        except ValueError:
            expected = str(data["expected"])
        return texts.t("console.tickets.detail.expected", when=expected)
    if event.type is EventType.REASSIGNED:
        return texts.t(
            "console.tickets.detail.reassigned",
            origin=texts.queue(str(data.get("from", ""))),
            to=texts.queue(str(data.get("to", ""))),
        )
    if event.type is EventType.PRIORITY_CHANGED:
        return f"{data.get('from', '')} → {data.get('to', '')}"
    return ""
