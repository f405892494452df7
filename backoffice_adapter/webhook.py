"""A generic back office behind a webhook: signed JSON out, signed status updates in.

Outbound (``WebhookBackOffice.deliver``)
----------------------------------------
``POST <url>`` with the ticket as JSON (``PAYLOAD_SCHEMA`` = ``frontoffice.ticket/1``; a
field is only ever added within version 1, never renamed or removed)::

    {
      "schema": "frontoffice.ticket/1",
      "number": "FM-2026-000123",
      "product": "storing.verwarming",
      "queue": "technische-dienst",
      "kwis": "storing",
      "priority": "P3",
      "channel": "chat",
      "status": "new",
      "requester": {"id": "…", "name": "…", "email": "…", "language": "nl"},
      "fields": {"location": "…", "description": "…"},
      "charge": null,
      "created_at": "2026-11-23T09:00:00+00:00",
      "deadlines": {"response_due": "…", "resolve_due": "…"}
    }

Dates are ISO 8601 with an offset; field values keep the JSON type they were collected
as (dates inside ``fields`` become ISO strings). Headers:

    Content-Type              application/json; charset=utf-8
    X-Frontoffice-Timestamp   Unix time in whole seconds, e.g. "1795420800"
    X-Frontoffice-Signature   "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + raw body))
    Idempotency-Key           the outbox's key: the same for every retry of one ticket

The timestamp is inside the MAC (as Stripe and Slack do), so a captured request cannot
be replayed later under a fresh timestamp; the receiver rejects timestamps more than
five minutes off (``verify``) and de-duplicates on ``Idempotency-Key``. Any 2xx is a
delivery; the answer may be JSON with ``id`` (→ ``Delivered.external_id``) and
``number`` (→ ``external_number``). Errors map as in ``backoffice_adapter._http``.

Inbound (``POST /api/v1/webhook/status``, mounted by the owner)
---------------------------------------------------------------
The back office signs its request the same way (same headers, same secret). The endpoint
checks ``verify(secret, raw body, timestamp header, signature header, now)`` and gives
the parsed JSON to ``parse_inbound``::

    {
      "number": "FM-2026-000123",          required: our ticket number
      "key": "werkbon-88-3",               required: unique per update (de-duplication)
      "status": "delayed",                 optional: one of our statuses
      "note": "Onderdeel besteld",         optional, but a status or a note is required
      "expected": "2026-12-01T12:00:00+01:00",  required for "delayed", needs an offset
      "at": "2026-11-24T10:00:00+01:00",   optional: when it happened (default: now)
      "actor": {"name": "Monteur Jansen"}  required: who did it
    }

on_hold, delayed and resolved need a note (the requester is told why). Unknown fields
are refused, so a typo ("expected_at") does not silently lose a date.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from backoffice_adapter._http import SessionOwner, send
from servicedesk.backoffice import Delivered, StatusUpdate
from servicedesk.clock import Clock, SystemClock
from servicedesk.errors import InputError
from servicedesk.tickets import Status, Ticket

log = logging.getLogger(__name__)

PAYLOAD_SCHEMA = "frontoffice.ticket/1"
SIGNATURE_HEADER = "X-Frontoffice-Signature"
TIMESTAMP_HEADER = "X-Frontoffice-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300


class WebhookBackOffice(SessionOwner):
    """The ``BackOffice`` port as a signed JSON POST to a configured URL."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str | bytes,
        timeout: float = 10,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(session)
        if not secret:
            raise ValueError("a webhook needs a secret to sign with")
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._clock = clock or SystemClock()

    async def deliver(self, ticket: Ticket, idempotency_key: str) -> Delivered:
        body = encode(payload(ticket))
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, body, timestamp),
            IDEMPOTENCY_HEADER: idempotency_key,
        }
        answer = await send(
            self._client(),
            "POST",
            self._url,
            what="webhook deliver",
            seconds=self._timeout,
            data=body,
            headers=headers,
        )
        reply: Any = None
        if answer.content_type == "application/json":
            try:
                reply = json.loads(answer.text) if answer.text.strip() else None
            except ValueError:
                log.warning(
                    "webhook answered 2xx with invalid JSON", extra={"ticket": ticket.number}
                )
        external_id = external_number = None
        if isinstance(reply, dict):
            if reply.get("id") not in (None, ""):
                external_id = str(reply["id"])
            if reply.get("number") not in (None, ""):
                external_number = str(reply["number"])
        return Delivered(external_id=external_id, external_number=external_number)

    async def updates(self, tickets: list[tuple[str, str]]) -> list[StatusUpdate]:
        """Nothing to poll: the back office reports through the inbound endpoint."""
        return []


# -- the payload -----------------------------------------------------------------------


def payload(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the versioned outbound JSON document (see the module docstring)."""
    requester = ticket.requester
    return {
        "schema": PAYLOAD_SCHEMA,
        "number": ticket.number,
        "product": ticket.product_id,
        "queue": ticket.queue,
        "kwis": ticket.kwis,
        "priority": ticket.priority,
        "channel": ticket.channel.value,
        "status": ticket.status.value,
        "requester": {
            "id": requester.id,
            "name": requester.name,
            "email": requester.email,
            "language": requester.language,
        },
        "fields": dict(ticket.fields),
        "charge": ticket.charge,
        "created_at": ticket.created_at.isoformat(),
        "deadlines": {
            "response_due": ticket.deadlines.response_due.isoformat(),
            "resolve_due": ticket.deadlines.resolve_due.isoformat(),
        },
    }


def encode(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; dates (also inside ``fields``) as ISO 8601."""
    return json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), default=_json_default
    ).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


# -- signatures ------------------------------------------------------------------------


def sign(secret: str | bytes, body: bytes, timestamp: str) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``timestamp.body``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    mac = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str | bytes,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: datetime,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """True when ``signature`` is ours for this body and timestamp, and the timestamp is
    within ``tolerance`` seconds of ``now`` (either way). Constant-time comparison."""
    if not secret or not timestamp or not signature:
        return False
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, body, timestamp)
    given = signature.strip()
    if not given.isascii():
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii"))


# -- inbound status updates ------------------------------------------------------------


class _Actor(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, max_length=200)
    name: str = Field(min_length=1, max_length=200)


class InboundStatus(BaseModel):
    """The inbound status-update document (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: str = Field(min_length=1, max_length=60)
    key: str = Field(min_length=1, max_length=200)
    status: Status | None = None
    note: str = Field(default="", max_length=4000)
    expected: datetime | None = None
    at: datetime | None = None
    actor: _Actor

    @field_validator("expected", "at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. 2026-12-01T12:00:00+01:00")
        return value


_NEEDS_NOTE = {Status.ON_HOLD: "a reason", Status.DELAYED: "a reason", Status.RESOLVED: "a note"}


def parse_inbound(body: Any, now: datetime | None = None) -> StatusUpdate:
    """A validated inbound status update; ``InputError`` with every problem otherwise."""
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    try:
        inbound = InboundStatus.model_validate(body)
    except ValidationError as exc:
        raise InputError("; ".join(_problem(error) for error in exc.errors())) from exc
    problems: list[str] = []
    if inbound.status is None and not inbound.note:
        problems.append("status or note: give a new status, a note, or both")
    if inbound.status in _NEEDS_NOTE and not inbound.note:
        problems.append(f"note: status {inbound.status.value} needs {_NEEDS_NOTE[inbound.status]}")
    if inbound.status is Status.DELAYED and inbound.expected is None:
        problems.append("expected: status delayed needs the new expected date")
    if problems:
        raise InputError("; ".join(problems))
    return StatusUpdate(
        number=inbound.number,
        key=inbound.key,
        at=inbound.at or now or datetime.now(UTC),
        actor_name=inbound.actor.name,
        status=inbound.status,
        note=inbound.note,
        expected=inbound.expected,
    )


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "body"
    kind = error.get("type", "")
    if kind == "missing":
        return f"{where}: is required"
    if kind == "extra_forbidden":
        return f"{where}: is not a known field"
    if kind == "enum":
        allowed = ", ".join(s.value for s in Status)
        return f"{where}: must be one of {allowed}"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{where}: {message}"
