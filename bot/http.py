"""HTTP endpoints: /api/messages, /healthz and /readyz.

``/api/messages`` checks what the SDK does not: the body's size, type and shape
(400/413/415 with a JSON error, never a 500), the token (401, or 503 when the
signing keys cannot be fetched), and the tenant (403). Then the activity runs
through botbuilder's CloudAdapter, and the invoke or ``expectReplies`` body is
serialised here (botbuilder 4.17.1 fails on both in its aiohttp integration).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.json_body import BodyError, parse_json
from bot.keys import ADAPTER, BOT, KNOWLEDGE, SETTINGS, STORE_ENGINE
from bot.references import tenant_of
from frontoffice import __version__
from frontoffice.logs import correlation_id
from servicedesk.errors import StoreError
from servicedesk.persistence.database import check_reachable

log = logging.getLogger("frontoffice.http")

_NEEDS_CONVERSATION = {
    "message",
    "invoke",
    "conversationUpdate",
    "installationUpdate",
    "messageReaction",
    "event",
}


# Teams ids are a few hundred characters at most; a reply's URL holds two of them.
MAX_ID = 512
_SERVICE_URL = re.compile(r"https?://[!-~]+\Z")  # printable ASCII, no spaces


class _Account(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=MAX_ID)


class _Conversation(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(max_length=MAX_ID)


class _IncomingActivity(BaseModel):
    """The least an activity must have for us to handle it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    type: str
    id: str | None = Field(default=None, max_length=MAX_ID)
    serviceUrl: str | None = None  # noqa: N815 - the wire name
    channelId: str | None = None  # noqa: N815
    conversation: _Conversation | None = None
    from_: _Account | None = None
    recipient: _Account | None = None
    text: str | None = None
    locale: str | None = None
    name: str | None = None
    # lists of objects: the SDK and the bot read members of each item
    attachments: list[dict[str, Any]] | None = None
    entities: list[dict[str, Any]] | None = None
    membersAdded: list[_Account] | None = None  # noqa: N815
    membersRemoved: list[_Account] | None = None  # noqa: N815


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


def _validate(body: Any) -> str | None:
    """None when the body can be handled, else what is wrong with it."""
    if not isinstance(body, dict):
        return "the body must be a JSON object (an activity)"
    data = dict(body)
    if "from" in data:
        data["from_"] = data.pop("from")
    try:
        activity = _IncomingActivity.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).replace("from_", "from")
        return f"{where}: {first['msg']}"
    if not activity.type:
        return "type: must not be empty"
    if activity.type in _NEEDS_CONVERSATION:
        missing = [
            name
            for name, value in (
                ("conversation", activity.conversation),
                ("serviceUrl", activity.serviceUrl),
            )
            if value is None
        ]
        if activity.type in ("message", "invoke") and activity.from_ is None:
            missing.append("from")
        if missing:
            return f"missing {', '.join(missing)}"
    if activity.serviceUrl is not None and not _is_service_url(activity.serviceUrl):
        return "serviceUrl: must be an http(s) URL"  # "" sent the replies to the SDK's host
    for where, value in (("id", activity.id), ("conversation.id", activity.conversation)):
        text = value.id if isinstance(value, _Conversation) else value
        if text and not text.isascii() and len(text.encode()) > MAX_ID:
            return f"{where}: at most {MAX_ID} bytes"  # it goes into the reply's URL
    return None


def _is_service_url(url: str) -> bool:
    """An absolute http(s) URL of printable ASCII with a host (as Teams sends)."""
    if _SERVICE_URL.match(url) is None:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return bool(parts.hostname)


async def messages(request: web.Request) -> web.Response:
    started = time.perf_counter()
    app = request.app
    settings = app[SETTINGS]
    token = correlation_id.set(request.headers.get("x-correlation-id", uuid.uuid4().hex[:16]))
    trace = _Trace()
    try:
        response = await _handle(request, settings, trace)
        trace.status = response.status
        return response
    finally:
        log.info(
            "activity",
            extra={
                "activity_type": trace.activity_type,
                "conversation_id": trace.conversation_id,
                "status": trace.status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        correlation_id.reset(token)


@dataclass
class _Trace:
    """What the per-activity log line reports (ids and status, never text)."""

    activity_type: str = "-"
    conversation_id: str = "-"
    status: int = 500


async def _handle(request: web.Request, settings: Any, trace: _Trace) -> web.Response:
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        return _error(413, "too_large", f"the body is larger than {settings.max_body_bytes} bytes")
    if "json" not in (request.content_type or ""):
        return _error(415, "unsupported_media_type", "send the activity as application/json")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "too_large", f"the body is larger than {settings.max_body_bytes} bytes")
    try:
        body = parse_json(raw)  # refuses deep nesting, which would recurse past the stack
    except BodyError as exc:
        return _error(400, exc.code, str(exc))
    problem = _validate(body)
    if problem is not None:
        return _error(400, "invalid_activity", problem)
    try:
        activity: Activity = Activity().deserialize(body)
    except (DeserializationError, TypeError, ValueError, AttributeError) as exc:
        return _error(400, "invalid_activity", f"cannot read the activity: {type(exc).__name__}")
    trace.activity_type = str(activity.type)
    trace.conversation_id = activity.conversation.id if activity.conversation else "-"
    if activity.id:
        correlation_id.set(activity.id[:64])

    adapter = request.app[ADAPTER]
    auth_header = request.headers.get("Authorization", "")
    try:
        auth = await adapter.bot_framework_authentication.authenticate_request(
            activity, auth_header
        )
    except (PermissionError, jwt.PyJWTError) as exc:  # PermissionError first: it is an OSError
        log.warning("unauthorised request", extra={"reason": type(exc).__name__})
        return _error(401, "unauthorized", "missing or invalid Bot Framework token")
    except (TimeoutError, requests.RequestException, OSError) as exc:
        log.warning("cannot verify the token now", extra={"reason": type(exc).__name__})
        return _error(
            503, "auth_unavailable", "the token cannot be verified right now; retry later"
        )
    except Exception as exc:  # noqa: BLE001 - the SDK raises bare Exceptions for bad tokens
        log.warning("unauthorised request", extra={"reason": type(exc).__name__})
        return _error(401, "unauthorized", "missing or invalid Bot Framework token")

    allowed = settings.allowed_tenants
    if allowed and tenant_of(activity) not in allowed:
        log.warning("activity from a tenant that is not allowed")
        return _error(403, "tenant_not_allowed", "this tenant may not use this bot")

    invoke_response = await adapter.process_activity(auth, activity, request.app[BOT].on_turn)
    if invoke_response is None:
        return web.Response(status=201)
    body_out = invoke_response.body
    if body_out is not None and hasattr(body_out, "serialize"):
        body_out = serializer_helper(body_out)
    return web.json_response(body_out, status=int(invoke_response.status or 200))


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    checks: dict[str, Any] = {}
    ready = True
    try:
        await asyncio.to_thread(check_reachable, app[STORE_ENGINE])
        checks["database"] = {"status": "ok"}
    except StoreError as exc:
        ready = False
        checks["database"] = {"status": "unreachable", "error": str(exc)}
    status = app[KNOWLEDGE].status()
    knowledge: dict[str, Any] = {
        "status": "ok"
        if status.loaded_at and not status.problems
        else ("stale" if status.loaded_at else "missing"),
        "products": status.products,
        "loaded_at": status.loaded_at.isoformat() if status.loaded_at else None,
    }
    if status.problems:
        knowledge["problems"] = list(status.problems)
        knowledge["failed_at"] = status.failed_at.isoformat() if status.failed_at else None
    if status.loaded_at is None:
        ready = False
    checks["knowledge"] = knowledge
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status=200 if ready else 503,
    )
