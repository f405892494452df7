"""The desk: knowledge search for phone and counter staff, and the caller look-up.

``GET /desk/search?q=…`` reads what the caller says through the bot's own decision pipeline
(:func:`dialogs.understand.understand`, as the first message of a fresh conversation) and
shows what the bot would answer: an FAQ answer, the product(s) with their conditions, a
choice, a pointer elsewhere, the emergency instruction, or no answer. Each orderable product
links to the ticket form (``console/desk_form.py``) with what the text already gave. The
search records nothing (the insight figures count employees' own questions only).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.keys import KNOWLEDGE
from console import desk_form, desk_people
from console.roles import DESK
from console.web import language, render, require
from dialogs.desk_context import MAX_TEXT, describe_duration
from dialogs.messages import t
from dialogs.understand import EMERGENCY_PRIORITY, NO_DIALOG, Act, Understanding, understand
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.loader import Knowledge
from knowledge.model import Product


def add_routes(console: web.Application) -> None:
    """Adds this area's routes to the console sub-application."""
    console.router.add_get("/search", search)
    console.router.add_get("/callers", callers)
    desk_form.add_routes(console)


# -- the search ---------------------------------------------------------------------------


async def search(request: web.Request) -> web.StreamResponse:
    require(request, DESK)
    text = request.query.get("q", "").strip()[:MAX_TEXT]
    context: dict[str, Any] = {"q": text, "result": None}
    if text:
        snapshot = request.config_dict[KNOWLEDGE].current()
        understood = understand(text, NO_DIALOG, snapshot, desk_form.local_now(request))
        context["result"] = result_of(understood, snapshot.knowledge, language(request), text)
    return render(request, "desk_search.html", context)


def result_of(u: Understanding, knowledge: Knowledge, lang: str, text: str) -> dict[str, Any]:
    """What the page shows for the pipeline's decision (plain data for the template)."""
    organisation = knowledge.organisation
    products = knowledge.products
    result: dict[str, Any] = {"act": u.act.value, "products": [], "text": text}
    if u.act is Act.ANSWER and u.product_id in products:
        product = products[u.product_id]
        entry = next((e for e in product.faq if e.id == u.faq_id), None)
        if entry is not None:
            questions = entry.questions.en if lang == "en" else entry.questions.nl
            result["faq"] = {"question": questions[0], "answer": entry.answer.in_language(lang)}
        result["products"] = [conditions(product, knowledge, lang, text)]
    elif u.act in (Act.INTAKE, Act.EMERGENCY) and u.product_id in products:
        priority = EMERGENCY_PRIORITY if u.act is Act.EMERGENCY else None
        result["products"] = [conditions(products[u.product_id], knowledge, lang, text, priority)]
        if u.act is Act.EMERGENCY:
            result["emergency"] = organisation.emergency.in_language(lang)
        order = [kind.value for kind in products[u.product_id].fields]
        result["extracted"] = [t(lang, f"field.{name}") for name in order if name in u.fields]
    elif u.act is Act.CHOOSE:
        result["products"] = [
            conditions(products[p], knowledge, lang, text) for p in u.choices if p in products
        ]
    elif u.act is Act.REDIRECT and u.product_id in products:
        redirect = products[u.product_id].redirect
        result["redirect"] = {
            "name": products[u.product_id].name.in_language(lang),
            "pointer": redirect.in_language(lang) if redirect else "",
        }
    else:
        result["act"] = Act.NONE.value
        result["contact"] = organisation.frontoffice_contact.in_language(lang)
        result["question_link"] = desk_form.form_link(QUESTION_PRODUCT, text)
    return result


def conditions(
    product: Product, knowledge: Knowledge, lang: str, text: str, priority: str | None = None
) -> dict[str, Any]:
    """A product as the desk tells a caller about it: what it is, what it costs, how fast,
    the promise, and what the ticket form will ask."""
    sla_class = priority or product.priority
    sla = knowledge.sla_classes.get(sla_class) if sla_class else None
    return {
        "id": product.id,
        "name": product.name.in_language(lang),
        "description": product.description.in_language(lang),
        "orderable": not product.is_redirect,
        "charge": product.charge.in_language(lang) if product.charge else "",
        "charter": product.charter.in_language(lang) if product.charter else "",
        "priority": sla_class or "",
        "sla_label": sla.label.in_language(lang) if sla else "",
        "response": describe_duration(lang, sla.response) if sla else "",
        "resolution": describe_duration(lang, sla.resolution) if sla else "",
        "fields": [t(lang, f"field.{kind.value}") for kind in product.fields],
        "redirect": product.redirect.in_language(lang) if product.redirect else "",
        "link": desk_form.form_link(product.id, text, priority),
    }


# -- the caller look-up -------------------------------------------------------------------


async def callers(request: web.Request) -> web.StreamResponse:
    """Known employees by a fragment of their name or e-mail address (an HTML list; the
    ticket form shows the same list after its "look up" button)."""
    require(request, DESK)
    fragment = request.query.get("q", "").strip()[:200]
    found = await desk_people.find_callers(request, fragment)
    return render(request, "desk_callers.html", {"q": fragment, "callers": found})
