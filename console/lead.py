"""The lead's view (admins only): failed and unconfirmed deliveries with retry, people the
bot cannot reach, the report with its charts and charge-back CSV, and the unanswered
questions that can be taught to the bot (``console.lead_report``,
``console.lead_questions``).

Retry does what ``frontoffice outbox --retry ID`` and ``frontoffice notifications --retry
ID`` do: the same store calls (``SqlTicketStore.requeue``, ``SqlNotificationStore.requeue``).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.keys import CLOCK, KNOWLEDGE, STORE_ENGINE, TICKET_STORE
from console import lead_questions, lead_report
from console.lead_report import local_time
from console.roles import ADMIN, Person
from console.web import render, require
from servicedesk.persistence.knowledge_edit_store import SqlKnowledgeEdits
from servicedesk.persistence.notification_store import SqlNotificationStore

log = logging.getLogger(__name__)
NOTIFICATION_STATES = ("failed", "unconfirmed", "unreachable")  # the CLI's --retry takes these
ERROR_CHARS = 160


def admin(request: web.Request) -> Person:
    """The signed-in admin; anyone else gets 403 (signed out: the sign-in page)."""
    return require(request, ADMIN)


def notification_store(request: web.Request) -> SqlNotificationStore:
    return SqlNotificationStore(request.config_dict[STORE_ENGINE], request.config_dict[CLOCK])


def short_error(error: str | None) -> str:
    """The first line of a stored error, cut short (as the CLI prints it); the stores keep
    status codes and reasons there, never a message's text or a person's name."""
    if not error:
        return ""
    first = error.strip().splitlines()[0] if error.strip() else ""
    return first[:ERROR_CHARS] + ("…" if len(first) > ERROR_CHARS else "")


async def overview(request: web.Request) -> web.StreamResponse:
    admin(request)
    outbox = await request.config_dict[TICKET_STORE].outbox_rows("failed")
    store = notification_store(request)
    counts = {state: len(await store.rows(state)) for state in NOTIFICATION_STATES}
    people = await store.unreachable_people()
    edits = await SqlKnowledgeEdits(request.config_dict[STORE_ENGINE]).recent(5)
    snapshot = request.config_dict[KNOWLEDGE].current()
    return render(
        request,
        "lead_overview.html",
        {
            "failed_outbox": len(outbox),
            "notification_counts": counts,
            "unreachable": len(people),
            "edits": [(local_time(snapshot, e.at), e) for e in edits],
        },
    )


async def deliveries(request: web.Request) -> web.StreamResponse:
    admin(request)
    return await _deliveries_page(request)


async def _deliveries_page(
    request: web.Request, error: str = "", status: int = 200
) -> web.Response:
    jobs = await request.config_dict[TICKET_STORE].outbox_rows("failed")
    snapshot = request.config_dict[KNOWLEDGE].current()
    store = notification_store(request)
    sent: list[dict[str, Any]] = []
    for state in NOTIFICATION_STATES:
        sent += await store.rows(state)
    sent.sort(key=lambda row: row["id"])
    people = await store.unreachable_people()
    return render(
        request,
        "lead_deliveries.html",
        {
            "jobs": [
                {
                    "id": row["id"],
                    "number": row["number"],
                    "kind": row["kind"],
                    "attempts": row["attempts"],
                    "error": short_error(row["last_error"]),
                    "when": local_time(snapshot, row["done_at"] or row["next_attempt_at"]),
                }
                for row in jobs
            ],
            "notifications": [
                {
                    "id": row["id"],
                    "number": row["number"],
                    "kind": row["kind"],
                    "state": row["state"],
                    "attempts": row["attempts"],
                    "error": short_error(row["last_error"]),
                    "when": local_time(snapshot, row["sent_at"] or row["due_at"]),
                }
                for row in sent
            ],
            "people": [
                {
                    "recipient": row["recipient_id"],
                    "reason": row["reason"],
                    "since": local_time(snapshot, row["since"]),
                    "last_seen": local_time(snapshot, row["last_seen"]),
                }
                for row in people
            ],
            "retried": request.query.get("retried", ""),
            "error": error,
        },
        status=status,
    )


async def retry(request: web.Request) -> web.StreamResponse:
    """POST ``what`` (outbox | notification) and ``retry`` (the row's id)."""
    admin(request)
    form = await request.post()
    what = str(form.get("what", ""))
    try:
        row_id = int(str(form.get("retry", "")))
    except ValueError:
        return await _deliveries_page(request, error="console.lead.retry.bad", status=400)
    if what == "outbox":
        done = await request.config_dict[TICKET_STORE].requeue(
            row_id, request.config_dict[CLOCK].now()
        )
    elif what == "notification":
        done = await notification_store(request).requeue(row_id)
    else:
        return await _deliveries_page(request, error="console.lead.retry.bad", status=400)
    if not done:  # not failed (any more): someone else retried it, or it was delivered
        return await _deliveries_page(request, error="console.lead.retry.not_failed", status=409)
    log.info("console retry", extra={"what": what, "row": row_id})
    raise web.HTTPSeeOther(f"/desk/lead/deliveries?retried={what}-{row_id}")


def add_routes(console: web.Application) -> None:
    """Adds this area's routes to the console sub-application."""
    console.router.add_get("/lead", overview)
    console.router.add_get("/lead/deliveries", deliveries)
    console.router.add_post("/lead/deliveries/retry", retry)
    lead_report.add_routes(console)
    lead_questions.add_routes(console)
