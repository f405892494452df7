"""The console's tickets pages: the list (``/desk/tickets``) and a ticket's page with its
trail and actions (``/desk/tickets/{number}``, actions posted to ``…/act``).

Who sees what: desk staff and admins every queue, queue staff their own queues (another
queue's filter is refused with 403; another queue's ticket is "not found", 404, so that
a number reveals nothing). Who may act: the ticket's queue staff and admins, every
action; desk staff only cancel and reopen, on behalf of a caller (the queue's own work,
taking, progress, delays, resolving and handing over, stays with the queue).

An action goes through the same steps as the Teams channel card
(``dialogs.queue_steps``) and the same ``TicketService.act`` with the version the page
was drawn with: the first of two people acting wins, the second gets 409 and the
current ticket, nothing changed. Bad input or a step the ticket's status does not allow
gets 422 with the message, nothing changed. The event trail records the signed-in
person; the save queues the push job that updates the queue's Teams card (the outbox).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.keys import CLOCK, KNOWLEDGE, STORE_ENGINE, TICKET_STORE, TICKETS
from console.roles import DESK, QUEUE, Person
from console.tickets_view import (
    Texts,
    deadlines,
    facts,
    may_view,
    offered,
    overall_sla,
    row,
    trail,
    verbs_for,
)
from console.web import forbidden, language, render, render_text, require
from dialogs import queue_steps
from servicedesk.errors import StoreError
from servicedesk.persistence.ticket_list import (
    OPEN,
    SLA_FILTERS,
    SqlTicketList,
    TicketFilter,
)
from servicedesk.persistence.ticket_store import ConcurrentUpdate
from servicedesk.service import UnknownTicket
from servicedesk.tickets import IllegalTransition, MissingInformation, Status, Ticket

log = logging.getLogger(__name__)
STATUSES = (OPEN, *(s.value for s in Status))
INPUTS = (
    "progress_note",
    "delay_reason",
    "delay_date",
    "resolve_note",
    "reassign_queue",
    "reassign_reason",
    "cancel_reason",
)
MAX_INPUT = 4000


def add_routes(console: web.Application) -> None:
    """Adds this area's routes to the console sub-application."""
    console.router.add_get("/tickets", ticket_list)
    console.router.add_get("/tickets/{number}", ticket_page)
    console.router.add_post("/tickets/{number}/act", ticket_act)


def _texts(request: web.Request) -> Texts:
    return Texts(request.config_dict[KNOWLEDGE].current().knowledge, language(request))


def _lister(request: web.Request) -> SqlTicketList:
    return SqlTicketList(request.config_dict[STORE_ENGINE])


# -- the list ----------------------------------------------------------------------------


async def ticket_list(request: web.Request) -> web.StreamResponse:
    person = require(request, DESK, QUEUE)
    texts = _texts(request)
    service = request.config_dict[TICKETS]
    query = request.query
    queue = query.get("queue", "").strip()
    status = query.get("status", "").strip()
    sla = query.get("sla", "").strip()
    text = query.get("q", "").strip()[:200]
    scope = None if person.has(DESK) else person.queues
    if queue and queue not in texts.knowledge.queues:
        queue = ""
    if queue and scope is not None and queue not in scope:
        log.info("ticket list refused: another queue")
        raise forbidden(request, "console.tickets.not_your_queue")
    status = status if status in STATUSES else ""
    sla = sla if sla in SLA_FILTERS else ""
    try:
        page_number = max(1, int(query.get("page", "1")))
    except ValueError:
        page_number = 1
    folded = text.casefold()
    chosen = TicketFilter(
        queues=scope,
        queue=queue,
        status=status,
        sla=sla,
        text=text,
        product_ids=[
            product_id
            for product_id, product in texts.knowledge.products.items()
            if folded and any(folded in n.casefold() for n in (product.name.nl, product.name.en))
        ],
    )

    def state_of(ticket: Ticket) -> str:
        return overall_sla(service.sla_status(ticket))

    found = await _lister(request).page(
        chosen, request.config_dict[CLOCK].now(), state_of, page_number
    )
    rows = [row(ticket, service.sla_status(ticket), texts) for ticket in found.tickets]
    shown_queues = [(q, n) for q, n in texts.queues() if scope is None or q in scope]

    def link(page: int) -> str:
        values = {"queue": queue, "status": status, "sla": sla, "q": text, "page": str(page)}
        return "/desk/tickets?" + urlencode({k: v for k, v in values.items() if v})

    return render(
        request,
        "tickets_list.html",
        {
            "rows": rows,
            "found": found,
            "chosen": {"queue": queue, "status": status, "sla": sla, "q": text},
            "queues": shown_queues,
            "statuses": [(s, texts.t(f"console.tickets.status.{s}")) for s in STATUSES],
            "slas": [(s, texts.sla(s)) for s in SLA_FILTERS],
            "previous": link(found.page - 1) if found.page > 1 else "",
            "next": link(found.page + 1) if found.page < found.pages else "",
            "moved": query.get("moved", "")[:32],
        },
    )


# -- one ticket --------------------------------------------------------------------------


async def _visible_ticket(request: web.Request, person: Person) -> Ticket:
    number = request.match_info["number"]
    try:
        ticket = await request.config_dict[TICKETS].get(number)
    except UnknownTicket:
        ticket = None
    if ticket is None or not may_view(person, ticket.queue):
        body = render_text(request, "tickets_unknown.html", {"number": number[:32]})
        raise web.HTTPNotFound(text=body, content_type="text/html")
    return ticket


async def ticket_page(request: web.Request) -> web.StreamResponse:
    person = require(request, DESK, QUEUE)
    ticket = await _visible_ticket(request, person)
    done = request.query.get("done", "")
    notice = ("success", "queue.notice.done") if done in queue_steps.VERBS else None
    return await _draw(request, person, ticket, notice)


async def _draw(
    request: web.Request,
    person: Person,
    ticket: Ticket,
    notice: tuple[str, str] | None = None,
    status: int = 200,
    verb: str = "",
    values: dict[str, str] | None = None,
    notice_values: dict[str, object] | None = None,
) -> web.Response:
    texts = _texts(request)
    service = request.config_dict[TICKETS]
    states = service.sla_status(ticket)
    followers = await request.config_dict[TICKET_STORE].followers(ticket.number)
    verbs = offered(person, ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "title": texts.t(
            "queue.title", number=ticket.number, product=texts.product(ticket.product_id)
        ),
        "facts": facts(ticket, states, followers, texts),
        "deadlines": deadlines(ticket, states, texts),
        "trail": trail(ticket, texts),
        "verbs": verbs,
        "other_queues": [(q, n) for q, n in texts.queues() if q != ticket.queue],
        "notice": (notice[0], texts.t(notice[1], **(notice_values or {}))) if notice else None,
        "open_verb": verb,
        "values": {name: (values or {}).get(name, "") for name in INPUTS},
        "desk_only": bool(verbs) and not person.may_act(ticket.queue),
        "today": texts.day(request.config_dict[CLOCK].now()),
    }
    return render(request, "tickets_ticket.html", context, status=status)


async def ticket_act(request: web.Request) -> web.StreamResponse:
    person = require(request, DESK, QUEUE)
    ticket = await _visible_ticket(request, person)
    form = await request.post()
    verb = str(form.get("verb", ""))
    values = {name: str(form.get(name, ""))[:MAX_INPUT] for name in INPUTS}
    if verb not in queue_steps.VERBS:
        return await _draw(request, person, ticket, ("error", "queue.notice.bad_action"), 422)
    if verb not in verbs_for(person, ticket.queue):
        log.info("ticket action refused: role", extra={"verb": verb})
        raise forbidden(request, "console.tickets.not_allowed")
    try:
        version = int(str(form.get("version", "")))
        events = int(str(form.get("events", ""))) if form.get("events") else None
    except ValueError:
        return await _draw(request, person, ticket, ("error", "queue.notice.bad_action"), 422)
    service = request.config_dict[TICKETS]
    if not queue_steps.is_current(version, events, ticket):
        if queue_steps.repeated(verb, ticket, person.actor.id):
            return _after(person, ticket, verb, "repeated")
        return await _stale(request, person, ticket, verb)
    texts = _texts(request)
    try:
        step = queue_steps.make_step(
            verb, queue_steps.StepInputs(**values), ticket, person.actor, texts.knowledge
        )
        updated = await service.act(ticket.number, step, expected_version=ticket.version)
    except queue_steps.Refused as refused:
        return await _refused(request, person, ticket, verb, values, refused.key)
    except ConcurrentUpdate:
        return await _stale(request, person, await service.get(ticket.number), verb)
    except IllegalTransition:
        log.info("ticket action refused: status", extra={"verb": verb})
        return await _draw(
            request,
            person,
            ticket,
            ("error", "queue.notice.not_allowed"),
            422,
            notice_values={"status": texts.status(ticket.status).lower()},
        )
    except MissingInformation:
        return await _refused(request, person, ticket, verb, values, queue_steps.missing_key(verb))
    except StoreError:
        log.exception("ticket action failed", extra={"verb": verb})
        return await _draw(request, person, ticket, ("error", "queue.notice.error"), 503)
    return _after(person, updated, verb, "done")


async def _refused(
    request: web.Request,
    person: Person,
    ticket: Ticket,
    verb: str,
    values: dict[str, str],
    key: str,
) -> web.Response:
    log.info("ticket action refused: input", extra={"verb": verb})
    return await _draw(request, person, ticket, ("error", key), 422, verb, values)


async def _stale(request: web.Request, person: Person, ticket: Ticket, verb: str) -> web.Response:
    log.info("ticket action refused: changed meanwhile", extra={"verb": verb})
    return await _draw(request, person, ticket, ("error", "queue.notice.moved_on"), 409)


def _after(person: Person, ticket: Ticket, verb: str, outcome: str) -> web.StreamResponse:
    """After an action: back to the ticket (Post/Redirect/Get), or to the list when the
    ticket went to a queue this person does not see."""
    log.info("console ticket action", extra={"verb": verb, "outcome": outcome})
    if may_view(person, ticket.queue):
        raise web.HTTPSeeOther(f"/desk/tickets/{ticket.number}?done={verb}")
    raise web.HTTPSeeOther(f"/desk/tickets?moved={ticket.number}")
