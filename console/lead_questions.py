"""Unanswered and poorly matched questions on the lead's view, grouped as the report
groups them (``Report.unanswered``: rapidfuzz over the kept texts), and the two ways to
teach the bot one: "add as phrasing of product X" and "add as FAQ question" (to an entry
of the group's suggested product, or a new entry with an answer the lead types).

The edit is made by ``console.lead_knowledge.apply_edit`` (validated like
``frontoffice knowledge check`` before anything is written), recorded in
``knowledge_edits`` with the signed-in admin, and the knowledge is reloaded at once so the
bot answers the question within seconds. One edit at a time per process (a lock).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from aiohttp import web

from bot.keys import CLOCK, KNOWLEDGE, STORE_ENGINE
from console.lead_knowledge import (
    FAQ_NEW,
    FAQ_QUESTION,
    LANGUAGES,
    PHRASING,
    Edit,
    EditRefused,
    apply_edit,
)
from console.lead_report import Period, bad_window, load, local_time, period_of
from console.web import language, render, require
from knowledge.reload import Snapshot
from servicedesk.errors import InputError
from servicedesk.persistence.knowledge_edit_store import KnowledgeEdit, SqlKnowledgeEdits
from servicedesk.reporting import InsightData, QuestionGroup, normalise

log = logging.getLogger(__name__)
EDIT_LOCK = web.AppKey("lead_edit_lock", asyncio.Lock)
MAX_GROUPS = 40
MAX_TEXT = 300


def _languages(data: InsightData) -> dict[str, Counter[str]]:
    """Per normalised text, the languages it was asked in."""
    seen: dict[str, Counter[str]] = {}
    for question in data.questions:
        if question.text:
            seen.setdefault(normalise(question.text), Counter())[question.language] += 1
    return seen


def _group_language(group: QuestionGroup, seen: dict[str, Counter[str]]) -> str:
    total: Counter[str] = Counter()
    for text in group.texts:
        total.update(seen.get(text, Counter()))
    found = total.most_common(1)
    return found[0][0] if found and found[0][0] in LANGUAGES else "nl"


def _products(snapshot: Snapshot, lang: str) -> list[tuple[str, str]]:
    products = snapshot.knowledge.products.values()
    return sorted(((p.id, p.name.in_language(lang)) for p in products), key=lambda p: p[1])


async def _page(
    request: web.Request,
    period: Period,
    *,
    error: str = "",
    error_values: dict[str, str] | None = None,
    problems: tuple[str, ...] = (),
    status: int = 200,
) -> web.Response:
    snapshot = request.config_dict[KNOWLEDGE].current()
    lang = language(request)
    data, report = await load(request, snapshot, period)
    seen = _languages(data)
    names = dict(_products(snapshot, lang))
    groups: list[dict[str, Any]] = []
    for index, group in enumerate(report.unanswered[:MAX_GROUPS]):
        product = snapshot.knowledge.products.get(group.suggested_product or "")
        groups.append(
            {
                "index": index,
                "count": group.count,
                "example": group.example,
                "texts": group.texts,
                "decisions": group.decisions,
                "language": _group_language(group, seen),
                "suggested": product.id if product else "",
                "suggested_name": names.get(product.id, "") if product else "",
                "faq": [(e.id, getattr(e.questions, lang)[0]) for e in product.faq]
                if product
                else [],
            }
        )
    edits = await SqlKnowledgeEdits(request.config_dict[STORE_ENGINE]).recent(20)
    return render(
        request,
        "lead_questions.html",
        {
            "period": period,
            "start": period.first.isoformat(),
            "end": period.last.isoformat(),
            "groups": groups,
            "total_groups": len(report.unanswered),
            "products": list(names.items()),
            "product_names": names,
            "languages": LANGUAGES,
            "edits": [(local_time(snapshot, e.at), e) for e in edits],
            "edited": request.query.get("edited", ""),
            "error": error,
            "error_values": error_values or {},
            "problems": problems,
        },
        status=status,
    )


async def questions_page(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    snapshot = request.config_dict[KNOWLEDGE].current()
    try:
        period = period_of(request, snapshot, up_to_today=True)
    except InputError as exc:
        return bad_window(request, "lead_questions.html", exc)
    return await _page(request, period)


def _edit_of(form: Any) -> Edit:
    action = str(form.get("action", ""))
    text = str(form.get("text", ""))[:MAX_TEXT]
    lang = str(form.get("language", ""))
    if action == PHRASING:
        return Edit(PHRASING, str(form.get("product", "")), lang, text)
    if action != "faq":
        raise EditRefused("console.lead.edit.bad_form")
    target = str(form.get("faq", ""))
    if target:  # "<product>/<faq id>": a question for an existing entry
        product, _, faq_id = target.partition("/")
        return Edit(FAQ_QUESTION, product, lang, text, faq_id=faq_id)
    return Edit(
        FAQ_NEW,
        str(form.get("product", "")),
        lang,
        text,
        other_question=str(form.get("other_question", ""))[:MAX_TEXT],
        answer_nl=str(form.get("answer_nl", ""))[:4000],
        answer_en=str(form.get("answer_en", ""))[:4000],
    )


async def teach(request: web.Request) -> web.StreamResponse:
    """POST from a group's form: make the edit, record it, reload the knowledge."""
    person = require(request, "admin")
    form = await request.post()
    holder = request.config_dict[KNOWLEDGE]
    snapshot = holder.current()
    try:
        period = period_of(request, snapshot, form)
    except InputError as exc:
        return bad_window(request, "lead_questions.html", exc)
    lock = request.config_dict[EDIT_LOCK]
    try:
        edit = _edit_of(form)
        async with lock:
            snapshot = holder.current()
            changed = await asyncio.to_thread(apply_edit, holder.folder, snapshot.knowledge, edit)
            await SqlKnowledgeEdits(request.config_dict[STORE_ENGINE]).record(
                KnowledgeEdit(
                    at=request.config_dict[CLOCK].now(),
                    actor_id=person.actor.id,
                    actor_name=person.actor.name,
                    file=changed,
                    kind=edit.kind,
                    product=edit.product,
                    text=" ".join(edit.text.split()),
                )
            )
            reloaded = await asyncio.to_thread(holder.reload_if_changed)
    except EditRefused as refused:
        return await _page(
            request,
            period,
            error=refused.key,
            error_values=refused.values,
            problems=refused.problems,
            status=422,
        )
    log.info(
        "knowledge edited on the console",
        extra={"kind": edit.kind, "product": edit.product, "reloaded": reloaded},
    )
    raise web.HTTPSeeOther(f"/desk/lead/questions?{period.query}&edited={edit.kind}")


def add_routes(console: web.Application) -> None:
    console[EDIT_LOCK] = asyncio.Lock()
    console.router.add_get("/lead/questions", questions_page)
    console.router.add_post("/lead/questions", teach)
