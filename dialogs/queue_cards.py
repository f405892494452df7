"""The assignment card: a ticket as back-office staff see and work it in their Teams channel.

A pure function from a ticket and display data to Adaptive Card JSON (schema 1.5,
Universal Actions). Every action is an ``Action.Execute`` whose data carries the
ticket number and the version the card showed (``{"ticket", "version", "events"}``), so a click
on a stale card is recognised; inputs (notes, a delay's reason and date, the queue to
hand over to) sit in ``Action.ShowCard``s. A ``refresh`` block lets Teams ask for the
current card per viewer: automatically for up to 60 listed users, otherwise by a
manual refresh action. Times use the Adaptive Cards DATE/TIME functions, so each
viewer reads them in their own time zone and locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dialogs.cards import card, execute, text_block
from dialogs.messages import catalogue, t
from servicedesk.tickets import Status, Ticket

VERB_PREFIX = "ticket."
REFRESH = "ticket.refresh"
TAKE, PROGRESS, DELAY, RESOLVE, REASSIGN, REOPEN = (
    "ticket.take",
    "ticket.progress",
    "ticket.delay",
    "ticket.resolve",
    "ticket.reassign",
    "ticket.reopen",
)
VERBS = (REFRESH, TAKE, PROGRESS, DELAY, RESOLVE, REASSIGN, REOPEN)
AUTO_REFRESH_LIMIT = 60  # Teams refreshes automatically for at most 60 listed users

_SLA_COLOUR = {"at_risk": "Warning", "breached": "Attention", "missed": "Attention", "met": "Good"}
_STATUS_COLOUR = {
    Status.NEW: "Accent",
    Status.DELAYED: "Warning",
    Status.ON_HOLD: "Warning",
    Status.RESOLVED: "Good",
    Status.CLOSED: "Good",
    Status.CANCELLED: "Attention",
    Status.REOPENED: "Attention",
}


@dataclass(frozen=True)
class Viewer:
    """Who the card is drawn for (a refresh or a click), or None for the channel post."""

    may_act: bool
    actor_id: str = ""


@dataclass(frozen=True)
class CardContext:
    """What the card shows besides the ticket (names from the knowledge, the SLA state)."""

    product: str
    queue: str
    other_queues: Sequence[tuple[str, str]] = ()  # (id, name) to hand over to
    sla: dict[str, str] = field(default_factory=dict)  # TicketService.sla_status
    staff_ids: Sequence[str] = ()  # Teams user ids for automatic refresh
    viewer: Viewer | None = None
    notice: str | None = None
    notice_style: str = "warning"  # warning | attention | good


def _when(moment: datetime) -> str:
    """An Adaptive Cards date-time expression, shown in the viewer's zone and locale."""
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def _when_text(value: Any) -> str:
    if isinstance(value, str):
        try:
            return _when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def action_data(ticket: Ticket) -> dict[str, Any]:
    """What every action carries: the ticket, the version the card shows, and how many
    events it had then (so that bookkeeping since, such as 'delivered', is told apart
    from a real change)."""
    return {"ticket": ticket.number, "version": ticket.version, "events": len(ticket.events)}


def assignment_card(ticket: Ticket, context: CardContext, language: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_header(ticket, context, language)]
    if context.notice:
        body.append(
            {
                "type": "Container",
                "style": context.notice_style,
                "items": [text_block(context.notice, weight="Bolder")],
            }
        )
    body.append({"type": "FactSet", "facts": _facts(ticket, context, language)})
    description = ticket.fields.get("description")
    if description:
        body.append(
            {
                "type": "Container",
                "items": [
                    text_block(t(language, "queue.description"), isSubtle=True, size="Small"),
                    text_block(str(description)),
                ],
            }
        )
    body.append(_deadlines(ticket, context, language))
    body.append(_last_event(ticket, language))
    if not context.staff_ids or len(context.staff_ids) > AUTO_REFRESH_LIMIT:
        # No automatic refresh for this audience: a button brings the card up to date
        # (in the body, so the card keeps at most five actions of its own).
        refresh = execute(t(language, "queue.action.refresh"), REFRESH, action_data(ticket))
        body.append({"type": "ActionSet", "actions": [refresh]})
    out = card(body, _actions(ticket, context, language))
    out["refresh"] = _refresh(ticket, context)
    out["msteams"] = {"width": "Full"}
    return out


def _header(ticket: Ticket, context: CardContext, language: str) -> dict[str, Any]:
    kwis_key = f"queue.kwis.{ticket.kwis}"
    kwis = t(language, kwis_key) if kwis_key in _keys(language) else ticket.kwis
    return {
        "type": "Container",
        "items": [
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            text_block(
                                t(
                                    language,
                                    "queue.title",
                                    number=ticket.number,
                                    product=context.product,
                                ),
                                size="Medium",
                                weight="Bolder",
                            )
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "verticalContentAlignment": "Center",
                        "items": [
                            text_block(
                                t(language, f"queue.status.{ticket.status.value}"),
                                weight="Bolder",
                                color=_STATUS_COLOUR.get(ticket.status, "Default"),
                            )
                        ],
                    },
                ],
            },
            text_block(
                t(
                    language,
                    "queue.subtitle",
                    kwis=kwis,
                    priority=ticket.priority,
                    queue=context.queue,
                ),
                isSubtle=True,
                spacing="None",
            ),
        ],
    }


def _keys(language: str) -> dict[str, str]:
    return catalogue(language if language in ("nl", "en") else "nl")


def _facts(ticket: Ticket, context: CardContext, language: str) -> list[dict[str, str]]:
    requester = ticket.requester
    who = " · ".join(part for part in (requester.name, requester.email) if part) or requester.id
    facts = [("queue.fact.requester", who)]
    fields = ticket.fields
    if fields.get("location"):
        facts.append(("queue.fact.location", str(fields["location"])))
    if fields.get("when"):
        facts.append(("queue.fact.when", _when_text(fields["when"])))
    if fields.get("persons"):
        facts.append(("queue.fact.persons", str(fields["persons"])))
    facts.append(("queue.fact.charge", ticket.charge or t(language, "queue.fact.no_charge")))
    if fields.get("cost_centre"):
        facts.append(("queue.fact.cost_centre", str(fields["cost_centre"])))
    assignee = ticket.assignee
    facts.append(
        (
            "queue.fact.assignee",
            (assignee.name or assignee.id) if assignee else t(language, "queue.fact.nobody"),
        )
    )
    if ticket.expected_at is not None and ticket.status.is_open:
        facts.append(("queue.fact.expected", _when(ticket.expected_at)))
    return [{"title": t(language, key), "value": value} for key, value in facts]


def _deadlines(ticket: Ticket, context: CardContext, language: str) -> dict[str, Any]:
    def column(label: str, due: datetime, state: str) -> dict[str, Any]:
        mark = t(language, f"queue.sla.{state}") if state in _SLA_STATES else ""
        return {
            "type": "Column",
            "width": "stretch",
            "items": [
                text_block(t(language, label), isSubtle=True, size="Small"),
                text_block(
                    f"{_when(due)} {mark}".strip(),
                    weight="Bolder" if state in ("at_risk", "breached") else "Default",
                    color=_SLA_COLOUR.get(state, "Default"),
                    spacing="None",
                ),
            ],
        }

    return {
        "type": "ColumnSet",
        "separator": True,
        "columns": [
            column(
                "queue.deadline.response",
                ticket.deadlines.response_due,
                context.sla.get("response", "ok"),
            ),
            column(
                "queue.deadline.resolution",
                ticket.deadlines.resolve_due,
                context.sla.get("resolution", "ok"),
            ),
        ],
    }


_SLA_STATES = ("ok", "at_risk", "breached", "met", "missed", "n/a")


def _last_event(ticket: Ticket, language: str) -> dict[str, Any]:
    shown = [e for e in ticket.events if e.type.value != "delivered"] or ticket.events
    event = shown[-1]
    key = f"queue.event.{event.type.value}"
    text = t(
        language,
        "queue.last",
        event=t(language, key) if key in _keys(language) else event.type.value,
        actor=event.actor.name or event.actor.id,
        when=_when(event.at),
    )
    items = [text_block(text, isSubtle=True, size="Small")]
    if event.note:
        items.append(text_block(f"“{event.note}”", isSubtle=True, size="Small", spacing="None"))
    return {"type": "Container", "separator": True, "items": items}


def _input_text(id_: str, label: str, language: str, multiline: bool = True) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": id_,
        "label": t(language, label),
        "isMultiline": multiline,
        "isRequired": True,
        "maxLength": 2000,
        "errorMessage": t(language, "queue.input.required"),
    }


def _send(verb: str, ticket: Ticket, language: str) -> dict[str, Any]:
    action = execute(t(language, "queue.action.send"), verb, action_data(ticket))
    action["associatedInputs"] = "auto"
    action["style"] = "positive"
    return action


def _show(title: str, body: list[dict[str, Any]], send: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Action.ShowCard", "title": title, "card": card(body, [send])}


def _actions(ticket: Ticket, context: CardContext, language: str) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    viewer = context.viewer
    if viewer is None or viewer.may_act:
        if ticket.status.is_open:
            mine = (
                viewer is not None
                and ticket.assignee is not None
                and (ticket.assignee.id == viewer.actor_id)
            )
            if not mine:
                take = execute(t(language, "queue.action.take"), TAKE, action_data(ticket))
                take["style"] = "positive"
                actions.append(take)
            actions.append(
                _show(
                    t(language, "queue.action.progress"),
                    [_input_text("progress_note", "queue.input.progress_note", language)],
                    _send(PROGRESS, ticket, language),
                )
            )
            actions.append(
                _show(
                    t(language, "queue.action.delay"),
                    [
                        _input_text("delay_reason", "queue.input.delay_reason", language),
                        {
                            "type": "Input.Date",
                            "id": "delay_date",
                            "label": t(language, "queue.input.delay_date"),
                            "isRequired": True,
                            "errorMessage": t(language, "queue.input.required"),
                        },
                    ],
                    _send(DELAY, ticket, language),
                )
            )
            actions.append(
                _show(
                    t(language, "queue.action.resolve"),
                    [_input_text("resolve_note", "queue.input.resolve_note", language)],
                    _send(RESOLVE, ticket, language),
                )
            )
            if context.other_queues:
                actions.append(
                    _show(
                        t(language, "queue.action.reassign"),
                        [
                            {
                                "type": "Input.ChoiceSet",
                                "id": "reassign_queue",
                                "label": t(language, "queue.input.reassign_queue"),
                                "style": "compact",
                                "isRequired": True,
                                "errorMessage": t(language, "queue.input.required"),
                                "choices": [
                                    {"title": name, "value": queue_id}
                                    for queue_id, name in context.other_queues
                                ],
                            },
                            _input_text("reassign_reason", "queue.input.reassign_reason", language),
                        ],
                        _send(REASSIGN, ticket, language),
                    )
                )
        elif ticket.status is Status.RESOLVED:
            actions.append(execute(t(language, "queue.action.reopen"), REOPEN, action_data(ticket)))
    return actions


def _refresh(ticket: Ticket, context: CardContext) -> dict[str, Any]:
    ids = list(context.staff_ids)
    return {
        "action": {"type": "Action.Execute", "verb": REFRESH, "data": action_data(ticket)},
        "userIds": ids if len(ids) <= AUTO_REFRESH_LIMIT else [],
    }


def error_card(text: str) -> dict[str, Any]:
    """The answer to a click that cannot be understood (no ticket to show)."""
    return card(
        [
            {
                "type": "Container",
                "style": "attention",
                "items": [text_block(text, weight="Bolder")],
            }
        ]
    )
