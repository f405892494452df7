"""What every console page uses: the signed-in person, role checks, rendering with the
message catalogue, and typed access to the app's parts."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from bot.keys import KNOWLEDGE, SETTINGS
from console.roles import Identity, Person, person_for
from console.session import changed, csrf_token, session
from dialogs.messages import LANGUAGES, t

PERSON: web.RequestKey[Person | None] = web.RequestKey("console_person")  # the signed-in one


def language(request: web.Request) -> str:
    chosen = session(request).get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.config_dict[SETTINGS].default_language


def local_mode(request: web.Request) -> bool:
    return not request.config_dict[SETTINGS].production


def from_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address((request.remote or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def current_person(request: web.Request) -> Person | None:
    if PERSON in request:
        found: Person | None = request[PERSON]
        return found
    data = session(request).get("who")
    person = None
    if isinstance(data, dict):
        try:
            identity = Identity.from_json(data)
        except (KeyError, TypeError, ValueError):
            identity = None
        if identity is not None:
            settings = request.config_dict[SETTINGS]
            queues = request.config_dict[KNOWLEDGE].current().knowledge.queues
            person = person_for(
                identity,
                admins=settings.admins,
                desk_staff=settings.desk_staff,
                desk_groups=settings.desk_groups,
                queue_staff={q: c.staff for q, c in queues.items()},
                local=not settings.production,
            )
    request[PERSON] = person
    return person


def sign_in(request: web.Request, identity: Identity) -> None:
    """Start a session for ``identity`` (a fresh CSRF token: no fixation across sign-ins)."""
    data = session(request)
    language_chosen = data.get("lang")
    data.clear()
    data["who"] = identity.to_json()
    if language_chosen:
        data["lang"] = language_chosen
    changed(request)
    request.pop(PERSON, None)
    csrf_token(request)


def sign_out(request: web.Request) -> None:
    data = session(request)
    data.pop("who", None)
    data.pop("csrf", None)
    changed(request)
    request[PERSON] = None


def require(request: web.Request, *roles: str) -> Person:
    """The signed-in person if they have one of ``roles`` (any role when none is given);
    someone signed out is sent to the sign-in page, a wrong role gets 403."""
    person = current_person(request)
    if person is None:
        target = request.path_qs if request.method == "GET" else "/desk/"
        raise web.HTTPSeeOther(f"/desk/signin?next={quote(target, safe='/')}")
    if roles and not person.has(*roles) or not roles and not person.roles:
        raise forbidden(request)
    return person


def forbidden(request: web.Request, reason: str = "") -> web.HTTPForbidden:
    body = render_text(request, "forbidden.html", {"reason": reason})
    return web.HTTPForbidden(text=body, content_type="text/html")


def safe_next(value: str | None) -> str:
    """Only a console path is a place to go back to (no open redirect)."""
    if value and value.startswith("/desk/") and not value.startswith("/desk//"):
        return value
    return "/desk/"


def base_context(request: web.Request) -> dict[str, Any]:
    lang = language(request)

    def text(key: str, **values: object) -> str:
        return t(lang, key, **values)

    return {
        "t": text,
        "lang": lang,
        "person": current_person(request),
        "csrf": csrf_token(request),
        "path": request.path,
        "path_qs": request.path_qs,
        "local_mode": local_mode(request),
    }


def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> web.Response:
    return aiohttp_jinja2.render_template(
        template, request, {**base_context(request), **(context or {})}, status=status
    )


def render_text(request: web.Request, template: str, context: Mapping[str, Any]) -> str:
    env = aiohttp_jinja2.get_env(request.app)
    return env.get_template(template).render({**base_context(request), **context})
