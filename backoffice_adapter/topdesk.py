"""TOPdesk as a back office: incidents over TOPdesk's REST API (``<host>/tas/api``).

Facts about the API: ``/work/shared/notes/integration-facts.md`` §1 (gathered from public
clients; verify against a real TOPdesk before production). ``tests/fake_topdesk.py`` speaks
the same endpoints.

Delivering (``deliver``)
------------------------
TOPdesk knows no idempotency keys, so ``deliver`` first asks for an incident whose
``externalNumber`` is our ticket number (``GET /incidents?query=externalNumber=="FM-…"``;
200 or 206 with a list, 204 for none) and creates one only when there is none. A retry
after a timeout (TOPdesk stored the incident, the answer got lost) therefore finds the
incident instead of creating a second one. What is left: a retry that starts while
TOPdesk is still working on the first POST; the outbox's backoff keeps that window shut.

The new incident (``POST /incidents``):

    caller            {"dynamicName": name, "email": e-mail}: an unregistered caller, always
    briefDescription  "<product>: <head of the description>", at most 80 characters
    request           our number, product, kind, priority, channel, requester, charge,
                      deadlines and every collected field, in TOPdesk's limited HTML
                      (escaped text, <b> labels, <br> between lines)
    externalNumber    our ticket number (more than 60 characters is rejected before sending)
    status            "secondLine" when an operator group is configured, else "firstLine"
    operatorGroup, category, subcategory, callType   {"name": …}, each when configured
    priority          {"name": priority_map[ticket.priority]}; unmapped: TOPdesk's default

Why an unregistered caller: ``callerLookup: {"email"}`` links a TOPdesk person but answers
400 when no person has that address (not every employee is in TOPdesk's person register,
and Entra and TOPdesk addresses drift apart). A 400 is permanent: the ticket would end up
``failed`` for an admin to untangle. Name and e-mail as an unregistered caller always work,
and an operator can still link the person in TOPdesk.

Why "secondLine": the front office (this bot and the desk staff) is the first line: the
intake and the routing are done, the operator group does the work. Without an operator
group the incident goes to TOPdesk's own first line ("firstLine") to be routed there.

Reading back (``updates``)
--------------------------
TOPdesk sends no webhooks; the owner polls. For each (our number, incident id) the adapter
reads ``GET /incidents/id/{id}`` and ``GET /incidents/id/{id}/actions``. It keeps no state:
every poll reports the incident's current status and all its visible actions, and the
keys make repeats harmless.

    TOPdesk (the first row that matches)          our Status    at (key date)
    closed == true                                closed        closedDate
    completed == true                             resolved      completedDate
    onHold == true                                on_hold       onHoldDate
    processingStatus.name → delayed, targetDate   delayed       modificationDate
                                                  (expected = targetDate)
    processingStatus.name → another status        that status   modificationDate
    anything else (e.g. "Logged")                 no status update

``processingStatus.name`` is looked up case-insensitively in ``processing_statuses``
(default ``DEFAULT_PROCESSING_STATUSES``: TOPdesk's usual English and Dutch names, e.g.
"In progress" / "In behandeling" → in_progress, "Waiting for user" / "Wacht op gebruiker"
→ on_hold, "Delayed" / "Vertraagd" → delayed). A delayed status without a targetDate is
reported as in_progress. Processing statuses differ per installation: configure them.

A status update has the key ``topdesk:{incident id}:status:{status}:{at}``, the actor the
incident's operator (else its operator group, else "TOPdesk"), and the note
"TOPdesk {number}: {processing status}". The same status comes back under a new key when
its date changes (in_progress: on every edit), so **the caller applies a status update
only when it differs from the ticket's status**; and an incident that is no longer
completed while our ticket is resolved means the ticket is to be reopened.

Each action that is visible to the caller becomes a note (``status=None``) with the key
``topdesk:{action id}``, the author (operator, else person) as actor, the entry date, and
the text with TOPdesk's HTML turned into plain text. Actions marked ``invisibleForCaller``
are operators' internal notes and stay in TOPdesk; actions written by ``push`` start with
``[Frontoffice]`` and are skipped, so our own notes do not come back as TOPdesk's.

Pushing our side's events (``push``)
------------------------------------
``PUT /incidents/id/{id}`` with only the fields that change (TOPdesk's update is partial;
``action`` adds a progress note visible to the caller):

    our event           TOPdesk fields
    progress            action, onHold: false
    on_hold             onHold: true, action
    delayed             targetDate: expected, onHold: false, action
    resolved            completed: true, onHold: false, action
    reopened            completed: false, closed: false, action
    closed              closed: true, action (when there is a note)
    cancelled           completed: true, closed: true, action "Geannuleerd: …"
    priority_changed    priority {"name": mapped} (when mapped), action (when a reason)
    accepted            action (when there is a note)
    created, delivered, assigned   nothing (TOPdesk does not know our staff)

plus ``processingStatus: {"name": …}`` when ``push_processing_statuses`` names one for
the ticket status the event leads to. Events whose actor is TOPdesk itself (actor id
``system:topdesk…`` or ``topdesk:…``) are not pushed back. The incident is the one the
ticket's last ``delivered`` event names; without one it is looked up by externalNumber.

Errors: see ``backoffice_adapter._http`` (timeouts, connection errors, 408, 429, 5xx →
``BackOfficeUnavailable``; other 4xx → ``BackOfficeRejected`` with TOPdesk's message).
"""

from __future__ import annotations

import asyncio
import base64
import html
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp

from backoffice_adapter._http import HttpRejected, SessionOwner, send
from servicedesk.backoffice import (
    BackOfficeRejected,
    BackOfficeUnavailable,
    Delivered,
    StatusUpdate,
)
from servicedesk.tickets import Event, EventType, Status, Ticket

log = logging.getLogger(__name__)

BRIEF_MAX = 80
EXTERNAL_NUMBER_MAX = 60
PAGE_SIZE = 100
MAX_PAGES = 50  # 5,000 actions on one incident is more than anyone will read
POLL_CONCURRENCY = 4
PUSH_MARKER = "[Frontoffice]"
DISPLAY_TZ = ZoneInfo("Europe/Amsterdam")

DEFAULT_PROCESSING_STATUSES: dict[str, Status] = {
    "in progress": Status.IN_PROGRESS,
    "in behandeling": Status.IN_PROGRESS,
    "waiting for user": Status.ON_HOLD,
    "wacht op gebruiker": Status.ON_HOLD,
    "waiting for caller": Status.ON_HOLD,
    "wacht op melder": Status.ON_HOLD,
    "waiting for supplier": Status.ON_HOLD,
    "wacht op leverancier": Status.ON_HOLD,
    "delayed": Status.DELAYED,
    "vertraagd": Status.DELAYED,
    "completed": Status.RESOLVED,
    "afgemeld": Status.RESOLVED,
    "gereed": Status.RESOLVED,
    "closed": Status.CLOSED,
    "gesloten": Status.CLOSED,
}

FIELD_LABELS = {
    "location": "Locatie",
    "when": "Wanneer",
    "persons": "Aantal personen",
    "visitors": "Bezoekers",
    "plate": "Kenteken",
    "cost_centre": "Kostenplaats",
    "description": "Omschrijving",
}

_TOPDESK_ACTORS = ("system:topdesk", "topdesk:")


class TopdeskBackOffice(SessionOwner):
    """The ``BackOffice`` port over TOPdesk's incident API (aiohttp)."""

    name = "topdesk"

    def __init__(
        self,
        base_url: str,
        login: str,
        application_password: str,
        *,
        operator_group: str | None,
        category: str | None,
        subcategory: str | None,
        priority_map: Mapping[str, str],
        call_type: str | None,
        timeout: float = 10,
        session: aiohttp.ClientSession | None = None,
        product_names: Mapping[str, str] | None = None,
        processing_statuses: Mapping[str, Status] | None = None,
        push_processing_statuses: Mapping[Status, str] | None = None,
    ) -> None:
        """``base_url`` is the TOPdesk host (``https://x.topdesk.net``; a trailing
        ``/tas/api`` is accepted). ``product_names`` maps our product ids to the names
        shown in ``briefDescription`` (else the id is shown)."""
        super().__init__(session)
        root = base_url.strip().rstrip("/")
        root = root.removesuffix("/tas/api")
        self._api = f"{root}/tas/api"
        token = base64.b64encode(f"{login}:{application_password}".encode()).decode("ascii")
        self._authorization = f"Basic {token}"  # HTTP Basic (aiohttp.BasicAuth is deprecated)
        self._operator_group = operator_group
        self._category = category
        self._subcategory = subcategory
        self._priority_map = dict(priority_map)
        self._call_type = call_type
        self._timeout = timeout
        self._product_names = dict(product_names or {})
        statuses = (
            DEFAULT_PROCESSING_STATUSES if processing_statuses is None else processing_statuses
        )
        self._processing_statuses = {k.strip().casefold(): v for k, v in statuses.items()}
        self._push_processing_statuses = dict(push_processing_statuses or {})

    # -- the port ------------------------------------------------------------------

    async def deliver(self, ticket: Ticket, idempotency_key: str) -> Delivered:
        """Find the incident for this ticket, or create it. The key is logged only:
        TOPdesk's idempotency is the ticket number in ``externalNumber``."""
        if len(ticket.number) > EXTERNAL_NUMBER_MAX:
            raise BackOfficeRejected(
                f"ticket number {ticket.number!r} is longer than TOPdesk's externalNumber "
                f"({EXTERNAL_NUMBER_MAX} characters)"
            )
        existing = await self.find_incident(ticket.number)
        if existing is not None:
            log.info(
                "TOPdesk incident already exists",
                extra={"ticket": ticket.number, "incident": existing.get("id")},
            )
            return _delivered(existing, "TOPdesk look-up")
        answer = await self._send(
            "POST", "/incidents", "TOPdesk create incident", json_body=self.incident_body(ticket)
        )
        incident = answer.json("TOPdesk create incident")
        if not isinstance(incident, dict) or not incident.get("id"):
            raise BackOfficeUnavailable("TOPdesk create incident: the answer has no incident id")
        log.info(
            "TOPdesk incident created",
            extra={"ticket": ticket.number, "incident": incident["id"], "key": idempotency_key},
        )
        return _delivered(incident, "TOPdesk create incident")

    async def updates(self, tickets: list[tuple[str, str]]) -> list[StatusUpdate]:
        """The current status and the visible actions of each incident, oldest first.

        An incident TOPdesk no longer knows (404) is skipped with a warning; any other
        error fails the whole poll (it would fail for the others too)."""
        gate = asyncio.Semaphore(POLL_CONCURRENCY)

        async def one(number: str, incident_id: str) -> list[StatusUpdate]:
            async with gate:
                return await self._updates_for(number, incident_id)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(number, iid)) for number, iid in tickets]
        except ExceptionGroup as failed:  # one error for the caller: a rejection wins
            errors = failed.exceptions
            raise next(
                (e for e in errors if isinstance(e, BackOfficeRejected)), errors[0]
            ) from None
        found = [update for task in tasks for update in task.result()]
        return sorted(found, key=lambda u: (u.at, u.key))

    # -- the other direction ---------------------------------------------------------

    async def push(self, ticket: Ticket, event: Event, external_id: str | None = None) -> bool:
        """Write one of our events to the ticket's incident; False when there is nothing
        to write (see the table in the module docstring)."""
        body = self.push_body(ticket, event)
        if not body:
            return False
        incident_id = external_id or _delivered_id(ticket)
        if incident_id is None:
            found = await self.find_incident(ticket.number)
            if found is None:
                raise BackOfficeUnavailable(
                    f"TOPdesk update incident: ticket {ticket.number} has no incident yet"
                )
            incident_id = str(found["id"])
        await self._send(
            "PUT", f"/incidents/id/{_path(incident_id)}", "TOPdesk update incident", json_body=body
        )
        return True

    # -- building blocks (public for tests and the admin's diagnostics) ----------------

    async def version(self) -> str:
        """TOPdesk's REST API version (``GET /version``): a cheap connectivity check."""
        answer = await self._send("GET", "/version", "TOPdesk version")
        body = answer.json("TOPdesk version")
        return str(body.get("version", "")) if isinstance(body, dict) else ""

    async def find_incident(self, number: str) -> dict[str, Any] | None:
        """The incident whose ``externalNumber`` is our ticket number, if any."""
        answer = await self._send(
            "GET",
            "/incidents",
            "TOPdesk find incident",
            params={"query": f"externalNumber=={fiql_quote(number)}", "page_size": "10"},
        )
        if answer.status == 204:
            return None
        found = answer.json("TOPdesk find incident")
        if not isinstance(found, list):
            raise BackOfficeUnavailable("TOPdesk find incident: the answer is not a list")
        matches = [
            i
            for i in found
            if isinstance(i, dict) and i.get("id") and i.get("externalNumber", number) == number
        ]
        if not matches:
            return None
        if len(matches) > 1:
            log.warning(
                "several TOPdesk incidents carry one ticket number",
                extra={"ticket": number, "count": len(matches)},
            )
            matches.sort(key=lambda i: str(i.get("creationDate") or i.get("callDate") or ""))
        return matches[0]

    def incident_body(self, ticket: Ticket) -> dict[str, Any]:
        """The JSON for ``POST /incidents``."""
        requester = ticket.requester
        caller: dict[str, str] = {"dynamicName": (requester.name or requester.id)[:100]}
        if requester.email:
            caller["email"] = requester.email
        body: dict[str, Any] = {
            "caller": caller,
            "briefDescription": self.brief_description(ticket),
            "request": self.request_html(ticket),
            "externalNumber": ticket.number,
            "status": "secondLine" if self._operator_group else "firstLine",
        }
        for key, name in (
            ("operatorGroup", self._operator_group),
            ("category", self._category),
            ("subcategory", self._subcategory),
            ("callType", self._call_type),
        ):
            if name:
                body[key] = {"name": name}
        priority = self._priority_map.get(ticket.priority)
        if priority:
            body["priority"] = {"name": priority}
        return body

    def brief_description(self, ticket: Ticket) -> str:
        """``<product>: <head of the description>``, at most 80 characters."""
        product = self._product_names.get(ticket.product_id) or ticket.product_id
        description = " ".join(str(ticket.fields.get("description") or "").split())
        text = f"{product}: {description}" if description else product
        return shorten(text, BRIEF_MAX)

    def request_html(self, ticket: Ticket) -> str:
        """Everything the back office needs, as TOPdesk's limited HTML."""
        requester = ticket.requester
        who = requester.name or requester.id
        if requester.email:
            who = f"{who} ({requester.email})"
        rows: list[tuple[str, Any]] = [
            ("Frontoffice-ticket", ticket.number),
            ("Product", self._product_names.get(ticket.product_id) or ticket.product_id),
            ("Soort", ticket.kwis),
            ("Prioriteit", ticket.priority),
            ("Kanaal", ticket.channel.value),
            ("Melder", who),
        ]
        rows += [
            (FIELD_LABELS.get(k, k), v) for k, v in ticket.fields.items() if k != "description"
        ]
        if ticket.charge:
            rows.append(("Doorbelasting", ticket.charge))
        rows.append(("Reactie uiterlijk", ticket.deadlines.response_due))
        rows.append(("Gereed uiterlijk", ticket.deadlines.resolve_due))
        lines = [f"<b>{_escape(label)}:</b> {_html_value(value)}" for label, value in rows]
        description = ticket.fields.get("description")
        if description:
            lines.append(f"<br><b>{FIELD_LABELS['description']}:</b><br>{_html_value(description)}")
        return "<br>".join(lines)

    def push_body(self, ticket: Ticket, event: Event) -> dict[str, Any]:
        """The JSON for ``PUT /incidents/id/{id}`` for one of our events ({} for none)."""
        if event.actor.id.startswith(_TOPDESK_ACTORS):
            return {}
        note = event.note.strip()
        body: dict[str, Any] = {}
        status: Status | None = None
        kind = event.type
        if kind is EventType.PROGRESS:
            body["onHold"] = False
            status = Status.IN_PROGRESS
        elif kind is EventType.ON_HOLD:
            body["onHold"] = True
            status = Status.ON_HOLD
            note = f"In de wacht: {note}" if note else "In de wacht"
        elif kind is EventType.DELAYED:
            expected = _event_expected(event) or ticket.expected_at
            if expected is not None:
                body["targetDate"] = format_date(expected)
                when = expected.astimezone(DISPLAY_TZ).strftime("%d-%m-%Y %H:%M")
                note = f"Vertraagd tot {when}: {note}" if note else f"Vertraagd tot {when}"
            body["onHold"] = False
            status = Status.DELAYED
        elif kind is EventType.RESOLVED:
            body.update(completed=True, onHold=False)
            status = Status.RESOLVED
        elif kind is EventType.REOPENED:
            body.update(completed=False, closed=False)
            status = Status.REOPENED
            note = f"Heropend: {note}" if note else "Heropend"
        elif kind is EventType.CLOSED:
            body["closed"] = True
            status = Status.CLOSED
        elif kind is EventType.CANCELLED:
            body.update(completed=True, closed=True)
            status = Status.CANCELLED
            note = f"Geannuleerd: {note}" if note else "Geannuleerd"
        elif kind is EventType.PRIORITY_CHANGED:
            mapped = self._priority_map.get(str(event.data.get("to", ticket.priority)))
            if mapped:
                body["priority"] = {"name": mapped}
            if note:
                note = f"Prioriteit {event.data.get('to', ticket.priority)}: {note}"
        elif kind is EventType.ACCEPTED:
            status = Status.ACCEPTED
        else:  # created, delivered, assigned
            return {}
        if status is not None and status in self._push_processing_statuses:
            body["processingStatus"] = {"name": self._push_processing_statuses[status]}
        if note:
            body["action"] = f"{PUSH_MARKER} {_html_value(note)}"
            body["actionInvisibleForCaller"] = False
        if kind is EventType.ACCEPTED and "action" not in body and "processingStatus" not in body:
            return {}
        return body

    def incident_updates(
        self, number: str, incident: Mapping[str, Any], actions: Sequence[Mapping[str, Any]]
    ) -> list[StatusUpdate]:
        """What one incident and its actions say, as status updates (no I/O)."""
        incident_id = str(incident.get("id", ""))
        found: list[StatusUpdate] = []
        status = self.incident_status(incident)
        if status is not None:
            value, at, expected = status
            flagged = any(incident.get(k) for k in ("closed", "completed", "onHold"))
            label = (None if flagged else _name(incident.get("processingStatus"))) or (
                _STATUS_LABELS[value]
            )
            found.append(
                StatusUpdate(
                    number=number,
                    key=f"topdesk:{incident_id}:status:{value.value}:{format_date(at)}",
                    at=at,
                    actor_name=_name(incident.get("operator"))
                    or _name(incident.get("operatorGroup"))
                    or "TOPdesk",
                    status=value,
                    note=f"TOPdesk {incident.get('number') or incident_id}: {label}",
                    expected=expected,
                )
            )
        for action in actions:
            if action.get("invisibleForCaller") or not action.get("id"):
                continue
            text = html_to_text(str(action.get("memoText") or ""))
            if not text or text.startswith(PUSH_MARKER):
                continue
            found.append(
                StatusUpdate(
                    number=number,
                    key=f"topdesk:{action['id']}",
                    at=_date(action.get("entryDate")) or _incident_date(incident),
                    actor_name=_name(action.get("operator"))
                    or _name(action.get("person"))
                    or "TOPdesk",
                    note=text,
                )
            )
        return found

    def incident_status(
        self, incident: Mapping[str, Any]
    ) -> tuple[Status, datetime, datetime | None] | None:
        """Our status for a TOPdesk incident, its date and (for a delay) the expected date."""
        modified = _incident_date(incident)
        if incident.get("closed"):
            return Status.CLOSED, _date(incident.get("closedDate")) or modified, None
        if incident.get("completed"):
            return Status.RESOLVED, _date(incident.get("completedDate")) or modified, None
        if incident.get("onHold"):
            return Status.ON_HOLD, _date(incident.get("onHoldDate")) or modified, None
        name = (_name(incident.get("processingStatus")) or "").strip().casefold()
        mapped = self._processing_statuses.get(name)
        if mapped is None:
            return None
        if mapped is Status.DELAYED:
            target = _date(incident.get("targetDate"))
            if target is None:
                return Status.IN_PROGRESS, modified, None
            return Status.DELAYED, modified, target
        return mapped, modified, None

    # -- internals ---------------------------------------------------------------------

    async def _updates_for(self, number: str, incident_id: str) -> list[StatusUpdate]:
        path = f"/incidents/id/{_path(incident_id)}"
        try:
            answer = await self._send("GET", path, "TOPdesk read incident")
        except HttpRejected as exc:
            if exc.status != 404:
                raise
            log.warning(
                "TOPdesk does not know the incident",
                extra={"ticket": number, "incident": incident_id},
            )
            return []
        incident = answer.json("TOPdesk read incident")
        if not isinstance(incident, dict):
            raise BackOfficeUnavailable("TOPdesk read incident: the answer is not an incident")
        actions = await self._list(f"{path}/actions", "TOPdesk read actions")
        return self.incident_updates(number, incident, actions)

    async def _list(self, path: str, what: str) -> list[dict[str, Any]]:
        """A paged list: 200 (all), 206 (more follow), 204 (none)."""
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            answer = await self._send(
                "GET", path, what, params={"start": str(len(items)), "page_size": str(PAGE_SIZE)}
            )
            if answer.status == 204:
                break
            page = answer.json(what)
            if not isinstance(page, list):
                raise BackOfficeUnavailable(f"{what}: the answer is not a list")
            items += [item for item in page if isinstance(item, dict)]
            if answer.status != 206 or not page:
                break
        return items

    async def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> Any:
        return await send(
            self._client(),
            method,
            f"{self._api}{path}",
            what=what,
            seconds=self._timeout,
            params=params,
            json_body=json_body,
            headers={"Accept": "application/json", "Authorization": self._authorization},
        )


# -- helpers ---------------------------------------------------------------------------

_STATUS_LABELS: dict[Status, str] = {
    Status.NEW: "nieuw",
    Status.ACCEPTED: "geaccepteerd",
    Status.IN_PROGRESS: "in behandeling",
    Status.ON_HOLD: "in de wacht",
    Status.DELAYED: "vertraagd",
    Status.RESOLVED: "afgemeld",
    Status.CLOSED: "gesloten",
    Status.CANCELLED: "geannuleerd",
    Status.REOPENED: "heropend",
}


def parse_date(value: str) -> datetime:
    """A TOPdesk date (``2021-02-11T06:32:36.303+0000``; also with ``+00:00`` or ``Z``)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"TOPdesk date without an offset: {value!r}")
    return parsed


def format_date(value: datetime) -> str:
    """A tz-aware datetime as TOPdesk writes it: ``2024-08-01T12:00:00.000+0200``."""
    if value.tzinfo is None:
        raise ValueError("a TOPdesk date needs a timezone")
    return (
        value.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{value.microsecond // 1000:03d}"
        + value.strftime("%z")
    )


def fiql_quote(value: str) -> str:
    """A FIQL value in double quotes (backslash and quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_BR = re.compile(r"<\s*br\s*/?\s*>|</\s*(p|div|li|h\d)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def html_to_text(value: str) -> str:
    """TOPdesk's memo HTML as plain text: lines kept, tags dropped, entities decoded."""
    text = _TAG.sub("", _BR.sub("\n", value))
    text = html.unescape(text).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(lines).strip()


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _html_value(value: Any) -> str:
    """A field value as escaped limited HTML (lists joined, dates in Dutch local time)."""
    if isinstance(value, datetime):
        text = (
            value.astimezone(DISPLAY_TZ).strftime("%d-%m-%Y %H:%M") if value.tzinfo else str(value)
        )
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    elif isinstance(value, list | tuple | set):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    return "<br>".join(_escape(line) for line in text.splitlines()) if text else ""


def _name(lookup: Any) -> str:
    if isinstance(lookup, Mapping):
        name = lookup.get("name") or lookup.get("dynamicName") or ""
        return str(name).strip()
    return ""


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_date(value)
    except ValueError:
        log.warning("TOPdesk date not understood", extra={"value": value[:40]})
        return None


def _incident_date(incident: Mapping[str, Any]) -> datetime:
    for key in ("modificationDate", "creationDate", "callDate"):
        found = _date(incident.get(key))
        if found is not None:
            return found
    return datetime.now(UTC)


def _event_expected(event: Event) -> datetime | None:
    value = event.data.get("expected")
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _delivered_id(ticket: Ticket) -> str | None:
    for event in reversed(ticket.events):
        if event.type is EventType.DELIVERED and event.data.get("external_id"):
            return str(event.data["external_id"])
    return None


def _delivered(incident: Mapping[str, Any], what: str) -> Delivered:
    if not incident.get("id"):
        raise BackOfficeUnavailable(f"{what}: the incident has no id")
    number = incident.get("number")
    return Delivered(
        external_id=str(incident["id"]), external_number=str(number) if number else None
    )


def _path(segment: str) -> str:
    """An id as one URL path segment (TOPdesk ids are UUIDs; anything else is quoted)."""
    return quote(segment, safe="")
