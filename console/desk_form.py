"""The desk's ticket form: a product's fields from the knowledge, checked as the chat's
intake checks them, for a caller on the phone, at the counter or by e-mail.

``GET /desk/file/{product}`` shows the form, filled in with what the search text gave (the
same pipeline as the chat: ``?text=``; ``&priority=P1`` for an emergency). ``POST`` with
``step``: ``lookup`` (find the caller among known employees), ``check`` (the fields checked
with the chat's hints; then the known problem, or the chat's summary), ``anyway`` (past a
known problem to the summary), ``follow`` (the caller follows the known ticket: no new
ticket), ``edit`` (back to the form) and ``confirm`` (the ticket, created once per form:
its token is the ticket's ``origin``). ``GET /desk/filed/{number}`` shows the number.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.keys import CLOCK, KNOWLEDGE, TICKETS
from console import desk_people
from console.roles import DESK
from console.web import language, render, require
from dialogs import filing, intake
from dialogs.entities.location import Location
from dialogs.messages import t
from dialogs.understand import EMERGENCY_PRIORITY, NO_DIALOG, Act, intake_values, understand
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.loader import Knowledge
from servicedesk.errors import InputError
from servicedesk.service import NewTicket, UnknownTicket
from servicedesk.tickets import Channel, Requester

log = logging.getLogger(__name__)

CHANNELS = (Channel.PHONE, Channel.COUNTER, Channel.EMAIL)
INPUT_KEYS = (
    "f_building",
    "f_place",
    "f_day",
    "f_time",
    "f_persons",
    "f_visitors",
    "f_plate",
    "f_cost_centre",
    "f_description",
)
CALLER_KEYS = ("caller", "caller_name", "caller_email", "caller_lang", "caller_q")
TOKEN = re.compile(r"^[0-9a-f]{16,32}$")
MAX_INPUT = 4000


def add_routes(console: web.Application) -> None:
    console.router.add_get("/file/{product}", form_page)
    console.router.add_post("/file/{product}", form_post)
    console.router.add_get("/filed/{number}", filed_page)


def form_link(product_id: str, text: str = "", priority: str | None = None) -> str:
    query = {"text": text[:1000]} if text else {}
    if priority:
        query["priority"] = priority
    return f"/desk/file/{product_id}" + (f"?{urlencode(query)}" if query else "")


def local_now(request: web.Request) -> datetime:
    """Now in the organisation's time zone (the pipeline reads "tomorrow" from it)."""
    zone = ZoneInfo(request.config_dict[KNOWLEDGE].current().knowledge.organisation.timezone)
    return request.config_dict[CLOCK].now().astimezone(zone)


# -- the form's inputs ----------------------------------------------------------------------


def inputs(fields: list[str]) -> list[dict[str, str]]:
    """The HTML inputs for a product's fields, in the intake's order (the ids of the chat's
    form: a place and a moment take two inputs each)."""
    out: list[dict[str, str]] = []
    for name in fields:
        if name == "location":
            out.append({"key": "f_building", "label": "form.building", "kind": "building"})
            out.append({"key": "f_place", "label": "form.place", "kind": "text", "hint": "place"})
        elif name == "when":
            out.append({"key": "f_day", "label": "form.day", "kind": "date"})
            out.append({"key": "f_time", "label": "form.time", "kind": "time"})
        elif name == "persons":
            out.append({"key": "f_persons", "label": "field.persons", "kind": "number"})
        elif name in ("visitors", "description"):
            out.append({"key": f"f_{name}", "label": f"field.{name}", "kind": "textarea"})
        else:
            out.append({"key": f"f_{name}", "label": f"field.{name}", "kind": "text"})
    return [{"hint": "", **item} for item in out]


def given_from(values: Mapping[str, Any], lang: str) -> dict[str, str]:
    """The intake's values (what the search text gave) as the form's input texts."""
    given: dict[str, str] = {}
    for name, value in values.items():
        if name == "location" and isinstance(value, dict):
            given["f_building"] = str(value.get("building") or "")
            rest = Location(None, value.get("floor"), value.get("room"), value.get("place"))
            given["f_place"] = rest.describe(lang) or str(value.get("text") or "")
        elif name == "when" and isinstance(value, dict):
            given["f_day"] = str(value.get("day") or "")
            given["f_time"] = str(value.get("time") or "")
        elif name == "visitors" and isinstance(value, list):
            given["f_visitors"] = "\n".join(intake.describe("visitors", [v], lang) for v in value)
        else:
            given[f"f_{name}"] = str(value)
    return given


def check_fields(
    knowledge: Knowledge,
    product_id: str,
    given: Mapping[str, str],
    now: datetime,
    priority: str | None,
    lang: str,
) -> tuple[dict[str, Any], list[str]]:
    """Each field checked as the chat's intake checks the answer to its question
    (:func:`dialogs.intake.check`); the values, and the problems with the chat's hints."""
    organisation = knowledge.organisation
    buildings = list(organisation.buildings)
    product = knowledge.products.get(product_id)
    date_only = product is not None and product.when == "date"
    fields = filing.fields_of(knowledge, product_id)
    answers = intake.form_answers(fields, dict(given))
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name in fields:
        checked = intake.check(
            name,
            answers[name],
            values,
            now,
            buildings,
            tries=0,
            places=organisation.places,
            date_only=date_only,
        )
        complete = checked.value is not None and (
            intake.missing(
                [name],
                {name: checked.value},
                date_only,
                building_enough=priority == EMERGENCY_PRIORITY,
            )
            is None
        )
        if complete:
            values[name] = checked.value
            continue
        label = t(lang, f"field.{name}")
        if checked.hint:
            hint = t(lang, checked.hint, buildings=", ".join(buildings))
        else:  # a partial answer: the chat asks its question again
            partial = {name: checked.value} if checked.value is not None else {}
            hint = intake.question(name, partial, lang, buildings, organisation.places)
        problems.append(f"{label}: {hint}")
    return values, problems


# -- the pages ------------------------------------------------------------------------------


def _product_or_404(request: web.Request) -> tuple[Knowledge, str]:
    knowledge = request.config_dict[KNOWLEDGE].current().knowledge
    product_id = request.match_info["product"]
    product = knowledge.products.get(product_id)
    if product_id != QUESTION_PRODUCT and (product is None or product.is_redirect):
        raise web.HTTPNotFound(text=t(language(request), "console.desk.unknown_product"))
    return knowledge, product_id


def _priority(value: object) -> str | None:
    return EMERGENCY_PRIORITY if value == EMERGENCY_PRIORITY else None


async def form_page(request: web.Request) -> web.StreamResponse:
    require(request, DESK)
    knowledge, product_id = _product_or_404(request)
    lang = language(request)
    text = request.query.get("text", "").strip()[:1000]
    priority = _priority(request.query.get("priority"))
    values: dict[str, Any] = {}
    if text:
        snapshot = request.config_dict[KNOWLEDGE].current()
        now = local_now(request)
        understood = understand(text, NO_DIALOG, snapshot, now)
        if understood.product_id == product_id and understood.act in (Act.INTAKE, Act.EMERGENCY):
            values = dict(understood.fields)  # what the pipeline read for this product
        elif product_id == QUESTION_PRODUCT:
            values = {"description": text} if len(text) >= 3 else {}
        else:  # another product picked for this text: the chat's pick does the same
            values = intake_values(knowledge.products[product_id], text, now, snapshot)
    state = {
        **{key: "" for key in (*INPUT_KEYS, *CALLER_KEYS)},
        **given_from(values, lang),
        "channel": Channel.PHONE.value,
        "token": uuid.uuid4().hex,
        "priority": priority or "",
    }
    return await _form(request, knowledge, product_id, state)


async def _form(
    request: web.Request,
    knowledge: Knowledge,
    product_id: str,
    state: Mapping[str, str],
    problems: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    lang = language(request)
    fragment = state.get("caller_q", "")
    matches = await desk_people.find_callers(request, fragment) if fragment else []
    chosen = state.get("caller", "")
    if chosen and all(m["id"] != chosen for m in matches):
        known = await desk_people.find_callers(request, chosen)
        matches = [m for m in known if m["id"] == chosen] + matches
    context = {
        "product_id": product_id,
        "product": filing.product_name(knowledge, product_id, lang),
        "inputs": inputs(filing.fields_of(knowledge, product_id)),
        "buildings": list(knowledge.organisation.buildings),
        "state": state,
        "problems": problems or [],
        "matches": matches,
        "looked_up": bool(fragment),
        "channels": [c.value for c in CHANNELS],
        "emergency": state.get("priority") == EMERGENCY_PRIORITY,
    }
    return render(request, "desk_file.html", context, status=status)


def _state(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's inputs that travel from step to step (as hidden inputs after the form)."""
    state = {k: str(form.get(k, ""))[:MAX_INPUT] for k in (*INPUT_KEYS, *CALLER_KEYS)}
    channel = str(form.get("channel", ""))
    state["channel"] = channel if channel in {c.value for c in CHANNELS} else ""
    token = str(form.get("token", ""))
    state["token"] = token if TOKEN.match(token) else uuid.uuid4().hex
    state["priority"] = _priority(form.get("priority")) or ""
    return state


async def form_post(request: web.Request) -> web.StreamResponse:
    person = require(request, DESK)
    knowledge, product_id = _product_or_404(request)
    lang = language(request)
    form = await request.post()
    state = _state(form)
    step = str(form.get("step", ""))
    if step in ("lookup", "edit"):
        return await _form(request, knowledge, product_id, state)
    if step not in ("check", "anyway", "confirm", "follow"):
        return await _form(request, knowledge, product_id, state, status=400)
    priority = state["priority"] or None
    values, problems = check_fields(
        knowledge, product_id, state, local_now(request), priority, lang
    )
    caller = await desk_people.resolve_caller(request, form)
    if caller.error:
        problems.append(t(lang, caller.error))
    if not state["channel"]:
        problems.append(t(lang, "console.desk.channel.missing"))
    if problems or caller.requester is None:
        return await _form(request, knowledge, product_id, state, problems, status=422)
    requester = caller.requester
    state["caller"] = requester.id
    state["caller_name"], state["caller_email"] = requester.name, requester.email
    state["caller_lang"] = requester.language
    tickets = request.config_dict[TICKETS]
    reachable = requester.id in await desk_people.reachable_ids(request, [requester.id])
    if step == "follow":
        return await _follow(request, knowledge, product_id, requester, form)
    if step == "confirm":
        try:
            ticket = await tickets.create(
                NewTicket(
                    product_id=product_id,
                    requester=requester,
                    channel=Channel(state["channel"]),
                    fields=intake.ticket_fields(
                        values, requester.language, ZoneInfo(knowledge.organisation.timezone)
                    ),
                    actor=person.actor,
                    priority=priority,
                    origin=f"desk:{state['token']}",
                )
            )
        except InputError:
            log.warning("desk could not create a ticket", extra={"product": product_id})
            problems = [t(lang, "console.desk.create_failed")]
            return await _form(request, knowledge, product_id, state, problems, status=422)
        raise web.HTTPSeeOther(f"/desk/filed/{ticket.number}")
    context: dict[str, Any] = {
        "product_id": product_id,
        "product": filing.product_name(knowledge, product_id, lang),
        "state": state,
        "requester": requester,
        "reachable": reachable,
    }
    if step == "check":
        known = await filing.known_problem(
            tickets,
            product_id,
            values.get("location"),
            knowledge.organisation.buildings,
            knowledge.organisation.places,
        )
        if known is not None:
            zone = ZoneInfo(knowledge.organisation.timezone)
            context["known"] = {
                "number": known.number,
                "location": known.fields.get("location", ""),
                "since": intake.format_moment(known.created_at.astimezone(zone), lang),
                "status": t(lang, f"status.{known.status.value}"),
            }
            return render(request, "desk_known.html", context)
    context["summary"] = filing.summary(knowledge, tickets, product_id, values, priority, lang)
    return render(request, "desk_summary.html", context)


async def _follow(
    request: web.Request,
    knowledge: Knowledge,
    product_id: str,
    requester: Requester,
    form: Mapping[str, Any],
) -> web.StreamResponse:
    """The caller follows the known ticket instead of filing a new one."""
    lang = language(request)
    tickets = request.config_dict[TICKETS]
    number = str(form.get("known", ""))[:32]
    try:
        ticket = await tickets.get(number)
    except UnknownTicket:
        ticket = None
    if ticket is None or ticket.product_id != product_id or not ticket.status.is_open:
        state = _state(form)
        problems = [t(lang, "console.desk.known.gone")]
        return await _form(request, knowledge, product_id, state, problems, status=409)
    added = await tickets.follow(number, requester)
    reachable = requester.id in await desk_people.reachable_ids(request, [requester.id])
    context = {"number": number, "added": added, "requester": requester, "reachable": reachable}
    return render(request, "desk_following.html", context)


async def filed_page(request: web.Request) -> web.StreamResponse:
    require(request, DESK)
    lang = language(request)
    tickets = request.config_dict[TICKETS]
    try:
        ticket = await tickets.get(request.match_info["number"])
    except UnknownTicket as exc:
        raise web.HTTPNotFound(text=t(lang, "console.desk.unknown_ticket")) from exc
    knowledge = request.config_dict[KNOWLEDGE].current().knowledge
    zone = ZoneInfo(knowledge.organisation.timezone)
    requester = ticket.requester
    reachable = requester.id in await desk_people.reachable_ids(request, [requester.id])
    context = {
        "ticket": ticket,
        "product": filing.product_name(knowledge, ticket.product_id, lang),
        "response_due": intake.format_moment(ticket.deadlines.response_due.astimezone(zone), lang),
        "resolve_due": intake.format_moment(ticket.deadlines.resolve_due.astimezone(zone), lang),
        "reachable": reachable,
    }
    return render(request, "desk_filed.html", context)
