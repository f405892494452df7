"""The ticket API for the other channels (phone, counter, e-mail) and integrations.

    POST /api/v1/tickets                     register a ticket -> 201
    GET  /api/v1/tickets/{number}            one ticket with its event trail
    GET  /api/v1/tickets?requester=ID&status=open
    POST /api/v1/tickets/{number}/events     accept | progress | delay | resolve | reopen | cancel

Bearer token (``FRONTOFFICE_API_TOKEN``) on every call: 401 without it. A request
the rules refuse is a 422 with a readable message; an unknown number a 404; two
writers at once a 409. Documented in docs/openapi.yaml.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.json_body import BodyError, parse_json
from bot.keys import KNOWLEDGE, SETTINGS, TICKETS
from servicedesk.errors import InputError, StoreError
from servicedesk.persistence.ticket_store import ConcurrentUpdate
from servicedesk.service import NewTicket, Step, UnknownTicket
from servicedesk.tickets import Actor, Channel, Requester, Ticket

log = logging.getLogger(__name__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequesterIn(_Strict):
    id: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=256)
    email: str = Field(default="", max_length=256)
    language: Literal["nl", "en"] = "nl"


class ActorIn(_Strict):
    id: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=256)


class Fields(_Strict):
    location: str | None = Field(default=None, max_length=500)
    when: datetime | None = None
    persons: int | None = Field(default=None, ge=1, le=10_000)
    visitors: list[str] | None = Field(default=None, max_length=1000)
    plate: str | None = Field(default=None, max_length=16)
    cost_centre: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=4000)

    @field_validator("when")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-12-01T10:00:00+01:00")
        return value


class TicketIn(_Strict):
    product: str = Field(min_length=1, max_length=128)
    requester: RequesterIn
    channel: Channel
    fields: Fields = Fields()
    description: str | None = Field(default=None, max_length=4000)
    actor: ActorIn | None = None


class EventIn(_Strict):
    type: Literal["accept", "progress", "delay", "resolve", "reopen", "cancel", "prioritise"]
    priority: str | None = Field(default=None, max_length=8)
    actor: ActorIn
    note: str = Field(default="", max_length=4000)
    reason: str = Field(default="", max_length=2000)
    expected: str | None = Field(default=None, max_length=40)  # a date, or date and time


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def ticket_json(ticket: Ticket, sla: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "sla": sla,
        "number": ticket.number,
        "status": ticket.status.value,
        "product": ticket.product_id,
        "queue": ticket.queue,
        "kwis": ticket.kwis,
        "priority": ticket.priority,
        "channel": ticket.channel.value,
        "requester": {
            "id": ticket.requester.id,
            "name": ticket.requester.name,
            "email": ticket.requester.email,
            "language": ticket.requester.language,
        },
        "fields": ticket.fields,
        "charge": ticket.charge,
        "assignee": {"id": ticket.assignee.id, "name": ticket.assignee.name}
        if ticket.assignee
        else None,
        "created_at": _iso(ticket.created_at),
        "response_due": _iso(ticket.deadlines.response_due),
        "resolve_due": _iso(ticket.deadlines.resolve_due),
        "responded_at": _iso(ticket.responded_at),
        "resolved_at": _iso(ticket.resolved_at),
        "expected_at": _iso(ticket.expected_at),
        "events": [
            {
                "type": e.type.value,
                "at": _iso(e.at),
                "actor": {"id": e.actor.id, "name": e.actor.name},
                "note": e.note,
                "data": e.data,
            }
            for e in ticket.events
        ],
    }


def _readable(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


@web.middleware
async def require_token(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith("/api/v1/tickets"):
        return await handler(request)
    expected = request.app[SETTINGS].api_token
    given = request.headers.get("Authorization", "")
    if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return _error(401, "unauthorized", "send 'Authorization: Bearer <FRONTOFFICE_API_TOKEN>'")
    try:
        return await handler(request)
    except UnknownTicket as exc:
        return _error(404, "not_found", str(exc))
    except ConcurrentUpdate as exc:
        return _error(409, "conflict", str(exc))
    except InputError as exc:
        return _error(422, "unprocessable", str(exc))
    except StoreError:
        log.warning("ticket API: the database is unavailable", extra={"path": request.path})
        return _error(
            503, "unavailable", "the ticket store is unavailable right now; try again shortly"
        )


async def _body(request: web.Request, model: type[BaseModel]) -> Any:
    try:
        raw = parse_json(await _read(request))
    except BodyError as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": exc.code, "message": str(exc)}),
            content_type="application/json",
        ) from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_readable(exc)) from exc


async def _read(request: web.Request) -> bytes:
    """The body, or a JSON 413 past ``max_body_bytes`` (aiohttp's own is plain text)."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        limit = request.app[SETTINGS].max_body_bytes
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit,
            actual_size=request.content_length or 0,
            text=json.dumps(
                {"error": "too_large", "message": f"the body is larger than {limit} bytes"}
            ),
            content_type="application/json",
        ) from exc


async def create_ticket(request: web.Request) -> web.Response:
    body: TicketIn = await _body(request, TicketIn)
    fields = body.fields.model_dump(exclude_none=True)
    if "when" in fields:
        fields["when"] = body.fields.when.isoformat() if body.fields.when else None
    if body.description and "description" not in fields:
        fields["description"] = body.description
    actor = Actor(body.actor.id, body.actor.name) if body.actor else None
    ticket = await request.app[TICKETS].create(
        NewTicket(
            product_id=body.product,
            requester=Requester(
                body.requester.id,
                body.requester.name,
                body.requester.email,
                body.requester.language,
            ),
            channel=body.channel,
            fields=fields,
            actor=actor,
        )
    )
    return web.json_response(
        ticket_json(ticket, request.app[TICKETS].sla_status(ticket)),
        status=201,
        headers={"Location": f"/api/v1/tickets/{ticket.number}"},
    )


async def get_ticket(request: web.Request) -> web.Response:
    service = request.app[TICKETS]
    ticket = await service.get(request.match_info["number"])
    return web.json_response(ticket_json(ticket, service.sla_status(ticket)))


async def list_tickets(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status not in (None, "open", "all"):
        raise InputError("status must be 'open' or 'all'")
    service = request.app[TICKETS]
    tickets = await service.find(request.query.get("requester"), status == "open")
    return web.json_response({"tickets": [ticket_json(t, service.sla_status(t)) for t in tickets]})


async def add_event(request: web.Request) -> web.Response:
    body: EventIn = await _body(request, EventIn)
    expected = _expected(request, body.expected)
    step = Step(
        body.type,
        Actor(body.actor.id, body.actor.name),
        note=body.note,
        reason=body.reason,
        expected=expected,
    )
    service = request.app[TICKETS]
    if body.type == "prioritise":
        if not body.priority:
            raise InputError("priority: a prioritise step needs the new priority (P1-P4)")
        ticket = await service.reprioritise(
            request.match_info["number"], body.priority, step.actor, body.reason or body.note
        )
    else:
        ticket = await service.act(request.match_info["number"], step)
    return web.json_response(ticket_json(ticket, service.sla_status(ticket)))


def _expected(request: web.Request, text: str | None) -> datetime | None:
    """A delay's new date: '2026-12-04' means the end of that business day."""
    if text is None:
        return None
    organisation = request.app[KNOWLEDGE].current().knowledge.organisation
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            close = time.fromisoformat(organisation.business_hours.close)
            return datetime.combine(day, close, tzinfo=ZoneInfo(organisation.timezone))
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"expected: not a date: {text!r}") from exc
    if moment.tzinfo is None:
        raise InputError("expected: give a time zone, e.g. 2026-12-01T10:00:00+01:00")
    return moment


async def backoffice_status(request: web.Request) -> web.Response:
    """A webhook back office reports progress: signed with the shared secret (HMAC-SHA256)."""
    from backoffice_adapter import webhook

    name = request.match_info["name"]
    config = request.app[KNOWLEDGE].current().knowledge.backoffices.get(name)
    if config is None or config.kind != "webhook" or not config.secret_env:
        return _error(404, "not_found", f"no webhook back office {name!r}")
    secret = os.environ.get(config.secret_env, "")
    raw = await _read(request)
    signed = secret and webhook.verify(
        secret,
        raw,
        request.headers.get(webhook.TIMESTAMP_HEADER, ""),
        request.headers.get(webhook.SIGNATURE_HEADER, ""),
        datetime.now(UTC),
    )
    if not signed:
        return _error(401, "unauthorized", "missing or wrong X-Frontoffice-Signature")
    try:
        update = webhook.parse_inbound(parse_json(raw))
        applied = await request.app[TICKETS].apply_update(update)
    except BodyError as exc:
        return _error(400, exc.code, str(exc))
    except UnknownTicket as exc:
        return _error(404, "not_found", str(exc))
    except ConcurrentUpdate as exc:  # e.g. the outbox marked it delivered at that moment
        return _error(409, "conflict", str(exc))
    except InputError as exc:
        return _error(422, "unprocessable", str(exc))
    return web.json_response({"applied": applied})


def add_routes(app: web.Application) -> None:
    app.middlewares.append(require_token)
    app.router.add_post("/api/v1/tickets", create_ticket)
    app.router.add_get("/api/v1/tickets", list_tickets)
    app.router.add_get("/api/v1/tickets/{number}", get_ticket)
    app.router.add_post("/api/v1/tickets/{number}/events", add_event)
    app.router.add_post("/api/v1/backoffices/{name}/status", backoffice_status)
