"""What filing a ticket shows and checks, on every channel (the chat's intake and the desk
console's ticket form): the summary to confirm (the fields, the deadlines on the SLA clock,
the charge, the charter) and the known problem (an open ticket for the same product at the
same place). Pure apart from the ticket service's reads; no SDK types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from dialogs import extract, intake
from dialogs.desk_context import describe_duration
from dialogs.messages import t
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.loader import Knowledge
from servicedesk.service import TicketService
from servicedesk.tickets import Ticket

Facts = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Summary:
    """The summary of a ticket about to be filed: its title, what was given, the promise."""

    title: str
    facts: Facts
    promise: Facts


def product_name(knowledge: Knowledge, product_id: str, language: str) -> str:
    if product_id == QUESTION_PRODUCT:
        return t(language, "question.product")
    product = knowledge.products.get(product_id)
    return product.name.in_language(language) if product else product_id


def fields_of(knowledge: Knowledge, product_id: str) -> list[str]:
    """The fields a product's intake asks for, in its order."""
    if product_id == QUESTION_PRODUCT:
        return ["description"]
    return [kind.value for kind in knowledge.products[product_id].fields]


def priority_of(knowledge: Knowledge, product_id: str, priority: str | None) -> str:
    product = knowledge.products.get(product_id)
    return priority or (product.priority if product else None) or "P3"


def summary(
    knowledge: Knowledge,
    tickets: TicketService,
    product_id: str,
    values: Mapping[str, Any],
    priority: str | None,
    language: str,
) -> Summary:
    """The facts the employee (or the desk) confirms before a ticket is filed: the values
    given, the response and resolution deadlines in words and as moments on the business
    clock, the charge (with the cost centre it goes to) and the charter."""
    product = knowledge.products.get(product_id)
    priority = priority_of(knowledge, product_id, priority)
    facts = [
        (t(language, f"field.{name}"), intake.describe(name, values[name], language))
        for name in fields_of(knowledge, product_id)
        if name in values
    ]
    deadlines = tickets.preview_deadlines(priority)
    sla = knowledge.sla_classes[priority]
    zone = ZoneInfo(knowledge.organisation.timezone)
    promise = [
        (
            t(language, "product.response"),
            t(
                language,
                "summary.due",
                duration=describe_duration(language, sla.response),
                moment=intake.format_moment(deadlines.response_due.astimezone(zone), language),
            ),
        ),
        (
            t(language, "product.resolution"),
            t(
                language,
                "summary.due",
                duration=describe_duration(language, sla.resolution),
                moment=intake.format_moment(deadlines.resolve_due.astimezone(zone), language),
            ),
        ),
    ]
    charge = (
        product.charge.in_language(language)
        if product and product.charge
        else t(language, "product.charge_none")
    )
    if product and product.charge and values.get("cost_centre"):
        charge = t(language, "summary.charge_to", charge=charge, cost_centre=values["cost_centre"])
    promise.append((t(language, "product.charge"), charge))
    if product and product.charter:
        promise.append((t(language, "product.charter"), product.charter.in_language(language)))
    title = t(language, "summary.title", product=product_name(knowledge, product_id, language))
    return Summary(title, facts, promise)


async def known_problem(
    tickets: TicketService,
    product_id: str,
    location: Mapping[str, Any] | None,
    buildings: Sequence[str],
    places: extract.Places,
) -> Ticket | None:
    """An open ticket for the same product at the same place, if there is one (``location``
    as the intake keeps it; a place taken as typed, or no building, finds nothing)."""
    if not location or location.get("text") or not location.get("building"):
        return None
    here = intake.location_from(dict(location))
    for ticket in await tickets.open_for_product(product_id):
        where = ticket.fields.get("location")
        if not isinstance(where, str):
            continue
        there = extract.parse_location(where, buildings, places)
        if there is not None and here.same_place(there):
            return ticket
    return None
