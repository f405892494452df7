"""Mounting the console: ``add_console(app)`` adds the ``/desk/`` sub-application.

Its middlewares (outermost first): security headers on every answer (a strict
Content-Security-Policy: no inline script or style, no framing), the session cookie
(loaded before, written back after when changed), and the CSRF check on every
state-changing request (a form field ``_csrf`` or an ``X-CSRF-Token`` header equal to the
session's token, compared in constant time; also an ``Origin`` header, when sent, must be
this host). The pages of each area are in their own module and add their routes here.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.keys import KNOWLEDGE, SETTINGS
from console import desk, lead, oidc, tickets
from console.roles import DESK, QUEUE, ROLES, Identity
from console.session import SESSION, SessionCodec, changed, is_changed, session
from console.tickets_view import Texts
from console.web import (
    forbidden,
    from_loopback,
    language,
    local_mode,
    render,
    require,
    safe_next,
    sign_in,
    sign_out,
)
from dialogs.messages import LANGUAGES
from frontoffice.settings import Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
CODEC = web.AppKey("console_codec", SessionCodec)
CONSOLE = web.AppKey("console", web.Application)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _headers(response)
        raise
    _headers(response)
    return response


def _headers(response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def session_cookie(request: web.Request, handler: Handler) -> web.StreamResponse:
    codec = request.app[CODEC]
    request[SESSION] = codec.load(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if is_changed(request):
            codec.store(exc, request[SESSION])
        raise
    if is_changed(request):
        codec.store(response, request[SESSION])
    return response


@web.middleware
async def csrf_check(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return await handler(request)
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        log.info("console request refused: cross-origin", extra={"path": request.path})
        raise forbidden(request, "csrf")
    expected = session(request).get("csrf")
    given = request.headers.get("X-CSRF-Token", "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await request.post()).get("_csrf", ""))
    if not isinstance(expected, str) or not given or not hmac.compare_digest(expected, given):
        log.info("console request refused: CSRF token", extra={"path": request.path})
        raise forbidden(request, "csrf")
    return await handler(request)


async def home(request: web.Request) -> web.StreamResponse:
    person = require(request)
    if person.has(DESK):
        raise web.HTTPSeeOther("/desk/search")
    if person.has(QUEUE):
        raise web.HTTPSeeOther("/desk/tickets")
    raise forbidden(request)


async def signin_page(request: web.Request) -> web.StreamResponse:
    next_path = safe_next(request.query.get("next"))
    if not local_mode(request):
        return await oidc.begin(request, next_path)
    if not from_loopback(request):
        raise forbidden(request, "local")
    return render(
        request,
        "signin.html",
        {"next": next_path, "roles": ROLES, "queues": _queue_names(request)},
    )


async def signin_local(request: web.Request) -> web.StreamResponse:
    """Local mode's development sign-in as a chosen role (loopback only)."""
    if not local_mode(request) or not from_loopback(request):
        raise forbidden(request, "local")
    form = await request.post()
    role = str(form.get("role", ""))
    name = str(form.get("name", "")).strip()[:80]
    queues = [str(q) for q in form.getall("queue", [])]
    known = request.config_dict[KNOWLEDGE].current().knowledge.queues
    if role not in ROLES or not name or (role == QUEUE and not set(queues) & set(known)):
        return render(
            request,
            "signin.html",
            {
                "next": safe_next(str(form.get("next", ""))),
                "roles": ROLES,
                "queues": _queue_names(request),
                "error": "console.signin.incomplete",
            },
            status=422,
        )
    slug = "".join(c for c in name.lower() if c.isalnum()) or "dev"
    sign_in(
        request,
        Identity(
            id=f"dev:{slug}",
            name=name,
            email=f"{slug}@localhost",
            dev_roles=(role,),
            dev_queues=tuple(q for q in queues if q in known) if role == QUEUE else (),
        ),
    )
    log.info("console sign-in (local)", extra={"role": role})
    raise web.HTTPSeeOther(safe_next(str(form.get("next", ""))))


def _queue_names(request: web.Request) -> list[tuple[str, str]]:
    """(id, name in the page's language) of every queue, by name."""
    return Texts(request.config_dict[KNOWLEDGE].current().knowledge, language(request)).queues()


async def signout(request: web.Request) -> web.StreamResponse:
    sign_out(request)
    raise web.HTTPSeeOther("/desk/signin")


async def choose_language(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    if code in LANGUAGES:
        session(request)["lang"] = code
        changed(request)
    raise web.HTTPSeeOther(safe_next(request.query.get("next")))


def build_console(settings: Settings) -> web.Application:
    console = web.Application(middlewares=[security_headers, session_cookie, csrf_check])
    secret = settings.console_secret
    if not secret:
        if settings.production:
            log.warning("FRONTOFFICE_CONSOLE_SECRET is not set: console sessions end at restart")
        secret = secrets.token_urlsafe(32)
    console[CODEC] = SessionCodec(secret, secure=settings.production)
    aiohttp_jinja2.setup(
        console,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    console.router.add_get("/", home)
    console.router.add_get("/signin", signin_page)
    console.router.add_post("/signin", signin_local)
    console.router.add_post("/signout", signout)
    console.router.add_get("/language/{code}", choose_language)
    console.router.add_static("/static/", HERE / "static", append_version=True)
    oidc.add_routes(console)
    desk.add_routes(console)
    tickets.add_routes(console)
    lead.add_routes(console)
    return console


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/desk/")


def add_console(app: web.Application) -> None:
    console = build_console(app[SETTINGS])
    app[CONSOLE] = console
    app.router.add_get("/desk", _to_console)
    app.add_subapp("/desk/", console)
