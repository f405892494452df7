"""A fake TOPdesk: a real aiohttp server speaking the incident endpoints the adapter uses.

Endpoints (under ``/tas/api``), as in ``/work/shared/notes/integration-facts.md`` §1:

    GET   /version                               {"version": "3.7.0"}
    GET   /incidents?query=externalNumber=="X"   200 list / 206 (more pages) / 204 none
    POST  /incidents                             creates; 400 for TOPdesk's validation errors
    GET   /incidents/id/{id}, /incidents/number/{number}
    PUT or PATCH the same                        partial update; ``action`` adds an action
    GET   /incidents/id/{id}/actions             the actions, newest first (paged like lists)

Every request needs HTTP Basic auth with the configured login and application password
(401 otherwise). Errors use both of TOPdesk's body shapes: ``[{"message": …}]`` and
``{"errors": [{"errorMessage": …}]}``.

Lists are paged like TOPdesk's: ``start`` and ``page_size`` (default ``page_size``, at most
``max_page_size``), 206 when more follow, 204 when there is nothing.

Failure injection: ``fail_next(n, status, retry_after=…, shape=…)`` answers the next n
requests with an error; ``slow_next(n, seconds)`` handles the next n requests (an incident
IS stored) and only then waits before answering, to provoke client timeouts after the
work was done; both take ``method="POST"`` to spare the other requests. ``down()`` /
``up()`` answer 503 to everything in between.

Introspection: ``incidents`` (as TOPdesk would return them), ``actions`` per incident id,
``bodies`` (every JSON body received), ``requests`` ((method, path) of every request).

What an operator does in TOPdesk: ``add_action``, ``set_status``.

    fake = FakeTopdesk()
    url = await fake.start()      # http://127.0.0.1:<port>
    ...
    await fake.close()
"""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

LOOKUPS = ("category", "subcategory", "callType", "operatorGroup", "priority", "processingStatus")
_FIQL = re.compile(r'^externalNumber==(?:"((?:[^"\\]|\\.)*)"|([^;,()"\'\s]+))$')


def topdesk_date(value: datetime) -> str:
    """``2021-02-11T06:32:36.303+0000``, as TOPdesk writes dates."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    message: str
    shape: str  # "list" or "errors"
    method: str | None  # only requests with this method use it up (None: any)


@dataclass
class _Slow:
    seconds: float
    method: str | None


class FakeTopdesk:
    def __init__(
        self,
        login: str = "frontoffice-api",
        password: str = "app-password-1",
        *,
        version: str = "3.7.0",
        now: Callable[[], datetime] | None = None,
        page_size: int = 10,
        max_page_size: int = 100,
        names: dict[str, set[str]] | None = None,
    ) -> None:
        """``names``: the lookup names TOPdesk knows per field (e.g. ``{"operatorGroup":
        {"Technische dienst"}}``); a name not listed for a field given there is a 400."""
        self.login = login
        self.password = password
        self.version = version
        self.now = now or (lambda: datetime.now(UTC))
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.names = names or {}
        self.incidents: list[dict[str, Any]] = []
        self.actions: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[dict[str, Any]] = []  # every JSON body POSTed, PUT or PATCHed
        self.operator_name = "Frontoffice API"
        self._failures: list[_Failure] = []
        self._slow: list[_Slow] = []
        self._down = False
        self._sequence = 0
        self._server: TestServer | None = None
        self._port: int | None = None
        self.app = web.Application(middlewares=[self._middleware])
        api = "/tas/api"
        self.app.router.add_get(f"{api}/version", self._version)
        self.app.router.add_get(f"{api}/incidents", self._list)
        self.app.router.add_post(f"{api}/incidents", self._create)
        for by in ("id", "number"):
            self.app.router.add_get(f"{api}/incidents/{by}/{{key}}", self._get)
            self.app.router.add_put(f"{api}/incidents/{by}/{{key}}", self._update)
            self.app.router.add_patch(f"{api}/incidents/{by}/{{key}}", self._update)
            self.app.router.add_get(f"{api}/incidents/{by}/{{key}}/actions", self._actions)

    # -- running ---------------------------------------------------------------------

    async def start(self) -> str:
        """Listen (again on the same port after ``stop``); the incidents stay."""
        self._server = TestServer(self.app, port=self._port)
        await self._server.start_server()
        self._port = self._server.port
        return str(self._server.make_url("")).rstrip("/")

    async def stop(self) -> None:
        """Stop listening: connections are refused until ``start`` is called again."""
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    # -- failure injection -------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        retry_after: str | float | None = None,
        message: str = "Internal server error",
        shape: str = "list",
        method: str | None = None,
    ) -> None:
        """The next n requests (with ``method``, if given) get ``status`` and ``message``."""
        header = None if retry_after is None else str(retry_after)
        self._failures += [_Failure(status, header, message, shape, method)] * n

    def slow_next(self, n: int = 1, seconds: float = 1.0, *, method: str | None = None) -> None:
        """The next n requests (with ``method``, if given) are handled, then answered late."""
        self._slow += [_Slow(seconds, method)] * n

    def down(self) -> None:
        self._down = True

    def up(self) -> None:
        self._down = False

    # -- what an operator does in TOPdesk ---------------------------------------------

    def add_action(
        self,
        incident_id: str,
        text: str,
        *,
        invisible: bool = False,
        operator: str | None = "Jan Monteur",
        person: str | None = None,
    ) -> dict[str, Any]:
        incident = self.incident(incident_id)
        now = self.now()
        action = {
            "id": str(uuid.uuid4()),
            "memoText": text,
            "plainText": re.sub(r"<[^>]*>", "", text),
            "flag": None,
            "invisibleForCaller": invisible,
            "entryDate": topdesk_date(now),
            "operator": {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, operator)), "name": operator}
            if operator
            else None,
            "person": {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, person)), "name": person}
            if person
            else None,
        }
        self.actions[incident["id"]].insert(0, action)
        incident["modificationDate"] = topdesk_date(now)
        return action

    def set_status(
        self,
        incident_id: str,
        *,
        processing_status: str | None = None,
        completed: bool | None = None,
        closed: bool | None = None,
        on_hold: bool | None = None,
        target_date: datetime | None = None,
        operator: str | None = None,
    ) -> dict[str, Any]:
        incident = self.incident(incident_id)
        changes: dict[str, Any] = {}
        if processing_status is not None:
            changes["processingStatus"] = {"name": processing_status}
        if completed is not None:
            changes["completed"] = completed
        if closed is not None:
            changes["closed"] = closed
        if on_hold is not None:
            changes["onHold"] = on_hold
        if target_date is not None:
            changes["targetDate"] = topdesk_date(target_date)
        if operator is not None:
            changes["operator"] = {"name": operator}
        self._apply(incident, changes, by_api=False)
        return incident

    def incident(self, key: str) -> dict[str, Any]:
        for incident in self.incidents:
            if key in (incident["id"], incident["number"]):
                return incident
        raise KeyError(key)

    # -- the HTTP side -------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if self._down:
            return _error(503, "TOPdesk is in maintenance", "list")
        failure = _take(self._failures, request.method)
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
            return _error(failure.status, failure.message, failure.shape, headers)
        if not self._authorised(request.headers.get("Authorization", "")):
            return _error(401, "Invalid login or application password", "list")
        slow = _take(self._slow, request.method)
        response: web.StreamResponse = await handler(request)
        if slow is not None:
            await asyncio.sleep(slow.seconds)
        return response

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:
            return False
        return decoded == f"{self.login}:{self.password}"

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": self.version})

    async def _list(self, request: web.Request) -> web.Response:
        found = self.incidents
        query = request.query.get("query")
        if query is not None:
            match = _FIQL.match(query)
            if match is None:
                return _error(400, f"The query is not supported by the fake: {query}", "list")
            wanted = match.group(1)
            wanted = re.sub(r"\\(.)", r"\1", wanted) if wanted is not None else match.group(2)
            found = [i for i in found if i.get("externalNumber") == wanted]
        return _page(request, found, self.page_size, self.max_page_size)

    async def _create(self, request: web.Request) -> web.Response:
        body = await _json(request)
        if isinstance(body, web.Response):
            return body
        self.bodies.append(body)
        problems = self._validate(body, creating=True)
        if problems:
            return _error(400, "; ".join(problems), "errors")
        now = self.now()
        self._sequence += 1
        incident_id = str(uuid.uuid4())
        incident: dict[str, Any] = {
            "id": incident_id,
            "number": f"I {now:%y%m} {self._sequence:03d}",
            "status": body.get("status", "firstLine"),
            "briefDescription": body.get("briefDescription", ""),
            "request": body.get("request", ""),
            "externalNumber": body.get("externalNumber", ""),
            "caller": body.get("caller") or {"email": body["callerLookup"].get("email")},
            "operator": None,
            "processingStatus": {"id": str(uuid.uuid4()), "name": "Logged"},
            "targetDate": None,
            "onHold": False,
            "onHoldDate": None,
            "completed": False,
            "completedDate": None,
            "closed": False,
            "closedDate": None,
            "callDate": topdesk_date(now),
            "creationDate": topdesk_date(now),
            "modificationDate": topdesk_date(now),
            "requests": f"/tas/api/incidents/id/{incident_id}/requests",
            "actions": f"/tas/api/incidents/id/{incident_id}/actions",
        }
        for key in LOOKUPS:
            incident[key] = _lookup(body[key]) if key in body else None
        self.incidents.append(incident)
        self.actions[incident_id] = []
        if body.get("action"):
            self._api_action(incident, body)
        return web.json_response(incident, status=201)

    async def _get(self, request: web.Request) -> web.Response:
        incident = self._find(request)
        if incident is None:
            return _error(404, "Incident not found", "list")
        return web.json_response(incident)

    async def _update(self, request: web.Request) -> web.Response:
        incident = self._find(request)
        if incident is None:
            return _error(404, "Incident not found", "list")
        body = await _json(request)
        if isinstance(body, web.Response):
            return body
        self.bodies.append(body)
        problems = self._validate(body, creating=False)
        if problems:
            return _error(400, "; ".join(problems), "errors")
        if body.get("action"):
            self._api_action(incident, body)
        self._apply(incident, body, by_api=True)
        return web.json_response(incident)

    async def _actions(self, request: web.Request) -> web.Response:
        incident = self._find(request)
        if incident is None:
            return _error(404, "Incident not found", "list")
        return _page(request, self.actions[incident["id"]], self.page_size, self.max_page_size)

    # -- internals -----------------------------------------------------------------------

    def _find(self, request: web.Request) -> dict[str, Any] | None:
        key = request.match_info["key"]
        field = "number" if "/number/" in request.path else "id"
        return next((i for i in self.incidents if i[field] == key), None)

    def _validate(self, body: dict[str, Any], *, creating: bool) -> list[str]:
        problems: list[str] = []
        if creating and "caller" not in body and "callerLookup" not in body:
            problems.append("A caller is required (caller or callerLookup)")
        if "caller" in body and "callerLookup" in body:
            problems.append("Give either caller or callerLookup, not both")
        caller = body.get("caller")
        if caller is not None and (not isinstance(caller, dict) or not caller.get("dynamicName")):
            problems.append("caller.dynamicName is required for an unregistered caller")
        if len(str(body.get("briefDescription", ""))) > 80:
            problems.append("briefDescription: Field value is too long (max 80)")
        if len(str(body.get("externalNumber", ""))) > 60:
            problems.append("externalNumber: Field value is too long (max 60)")
        if "status" in body and body["status"] not in ("firstLine", "secondLine", "partial"):
            problems.append(f"status: unknown value {body['status']!r}")
        for key in LOOKUPS:
            if key not in body:
                continue
            value = body[key]
            if not isinstance(value, dict) or ("id" in value) == ("name" in value):
                problems.append(f"{key}: give a lookup with either id or name")
                continue
            known = self.names.get(key)
            if known is not None and "name" in value and value["name"] not in known:
                problems.append(f"{key}: No {key} found with name '{value['name']}'")
        for key in ("completed", "closed", "onHold", "actionInvisibleForCaller"):
            if key in body and not isinstance(body[key], bool):
                problems.append(f"{key}: must be true or false")
        if "targetDate" in body and body["targetDate"] is not None:
            try:
                datetime.strptime(body["targetDate"], "%Y-%m-%dT%H:%M:%S.%f%z")
            except (TypeError, ValueError):
                problems.append(f"targetDate: cannot parse {body['targetDate']!r}")
        return problems

    def _api_action(self, incident: dict[str, Any], body: dict[str, Any]) -> None:
        self.add_action(
            incident["id"],
            str(body["action"]),
            invisible=bool(body.get("actionInvisibleForCaller", False)),
            operator=self.operator_name,
        )

    def _apply(self, incident: dict[str, Any], changes: dict[str, Any], *, by_api: bool) -> None:
        now = topdesk_date(self.now())
        for key in LOOKUPS:
            if key in changes:
                incident[key] = _lookup(changes[key]) if changes[key] else None
        if "operator" in changes and not by_api:
            incident["operator"] = _lookup(changes["operator"])
        if "targetDate" in changes:
            incident["targetDate"] = changes["targetDate"]
        if "onHold" in changes and changes["onHold"] != incident["onHold"]:
            incident["onHold"] = changes["onHold"]
            incident["onHoldDate"] = now if changes["onHold"] else None
        if "completed" in changes and changes["completed"] != incident["completed"]:
            incident["completed"] = changes["completed"]
            incident["completedDate"] = now if changes["completed"] else None
        if "closed" in changes and changes["closed"] != incident["closed"]:
            incident["closed"] = changes["closed"]
            incident["closedDate"] = now if changes["closed"] else None
            if changes["closed"] and not incident["completed"]:  # closing completes too
                incident["completed"], incident["completedDate"] = True, now
        incident["modificationDate"] = now


def _lookup(value: dict[str, Any]) -> dict[str, Any]:
    name = value.get("name")
    found_id = value.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"topdesk:{name}"))
    return {"id": found_id, "name": name if name is not None else f"({found_id})"}


def _take(queue: list[Any], method: str) -> Any:
    for index, item in enumerate(queue):
        if item.method is None or item.method == method:
            return queue.pop(index)
    return None


def _page(
    request: web.Request, items: list[dict[str, Any]], default_size: int, max_size: int
) -> web.Response:
    try:
        start = int(request.query.get("start", "0"))
        size = min(int(request.query.get("page_size", str(default_size))), max_size)
    except ValueError:
        return _error(400, "start and page_size must be numbers", "list")
    if not items[start:]:
        return web.Response(status=204)
    page = items[start : start + size]
    return web.json_response(page, status=206 if start + size < len(items) else 200)


async def _json(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "The body is not valid JSON", "list")
    if not isinstance(body, dict):
        return _error(400, "The body must be a JSON object", "list")
    return body


def _error(
    status: int, message: str, shape: str, headers: dict[str, str] | None = None
) -> web.Response:
    body: Any = (
        [{"message": message}] if shape == "list" else {"errors": [{"errorMessage": message}]}
    )
    return web.json_response(body, status=status, headers=headers)
