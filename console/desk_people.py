"""The desk's callers: known employees found by a fragment of their name or e-mail
address, whether the bot can reach them in Teams, and the caller a ticket form names
(a known employee chosen, or one typed in)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.keys import STORE_ENGINE
from servicedesk.persistence.notification_store import SqlNotificationStore
from servicedesk.persistence.people import SqlPeople
from servicedesk.tickets import Requester


async def find_callers(request: web.Request, fragment: str) -> list[dict[str, Any]]:
    engine = request.config_dict[STORE_ENGINE]
    people = await SqlPeople(engine).find(fragment)
    reachable = await reachable_ids(request, [p.id for p in people])
    return [
        {
            "id": p.id,
            "name": p.name,
            "email": p.email,
            "language": p.language,
            "reachable": p.id in reachable,
        }
        for p in people
    ]


async def reachable_ids(request: web.Request, ids: list[str]) -> set[str]:
    """The people the bot can write to in their own chat (a personal conversation, not
    removed, not blocked since the last install): who gets the receipt in Teams."""
    if not ids:
        return set()
    store = SqlNotificationStore(request.config_dict[STORE_ENGINE])
    chats = await store.personal_conversations(ids)
    out: set[str] = set()
    for person, chat in chats.items():
        if chat.removed_at is not None:
            continue
        blocked = chat.blocked_since
        if blocked is not None and (chat.installed_at is None or chat.installed_at <= blocked):
            continue
        out.add(person)
    return out


EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
CALLER_LANGUAGES = ("nl", "en")
TYPED = ("mail:", "desk:")  # ids of callers typed in (no Teams id known)


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller a form names, or the message key of what is wrong with it."""

    requester: Requester | None
    error: str | None = None


async def resolve_caller(request: web.Request, form: Mapping[str, Any]) -> Caller:
    """A known employee chosen by id, or one typed in (a name, optionally an e-mail address
    and the language for the receipt); an e-mail address of a known employee is that
    employee, so the bot can reach them."""
    chosen = str(form.get("caller", "")).strip()[:256]
    name = " ".join(str(form.get("caller_name", "")).split())[:120]
    email = str(form.get("caller_email", "")).strip()[:200]
    lang = str(form.get("caller_lang", ""))
    lang = lang if lang in CALLER_LANGUAGES else "nl"
    people = SqlPeople(request.config_dict[STORE_ENGINE])
    if chosen:
        known = await people.get(chosen)
        if known is not None:
            return Caller(
                Requester(known.id, known.name or name, known.email or email, known.language)
            )
        if name and chosen.startswith(TYPED):  # a typed-in caller, carried to the confirm
            return Caller(Requester(chosen, name, email, lang))
        return Caller(None, "console.desk.caller.unknown")
    if not name:
        return Caller(None, "console.desk.caller.missing")
    if email and not EMAIL.match(email):
        return Caller(None, "console.desk.caller.email_invalid")
    if email:
        known = await people.by_email(email)
        if known is not None:
            return Caller(Requester(known.id, name, known.email, lang))
        return Caller(Requester(f"mail:{email.lower()}", name, email, lang))
    return Caller(Requester(f"desk:{uuid.uuid4().hex[:16]}", name, "", lang))
