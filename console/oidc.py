"""Production sign-in: Microsoft Entra ID, OpenID Connect authorization code flow with PKCE.

``begin`` (GET ``/desk/signin`` in production) keeps a fresh ``state``, ``nonce`` and PKCE
``code_verifier`` (authlib's token generator and S256 challenge) with the page to return
to in the session cookie, and sends the browser to the provider's authorization endpoint.
The provider sends it back to GET ``/desk/auth/callback`` with a code; the callback
checks the state (constant time, single use: the pending sign-in leaves the session
whatever happens), redeems the code with the verifier and our client secret, verifies
the id token (``console.oidc_provider``) and signs the person in. Roles follow from the
settings and the knowledge on every request (``console.roles``).

Every failure signs nobody in and answers a page in the person's language: 400 for a
broken or replayed callback, 403 for a token that does not hold (signature, audience,
expiry, tenant), 502 when the provider cannot be reached. The log gets the reason only.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from bot.keys import SETTINGS
from console.oidc_provider import OAUTH_ERROR, Provider, SignInFailed
from console.roles import Identity
from console.session import changed, session
from console.web import render, safe_next, sign_in
from frontoffice.settings import Settings

log = logging.getLogger(__name__)
PROVIDER = web.AppKey("console_oidc_provider", Provider)
CALLBACK = "/desk/auth/callback"
PENDING = "oidc"  # the session's entry for a sign-in under way
PENDING_SECONDS = 15 * 60  # time to finish signing in at the provider
SCOPE = "openid profile email"


def _client(settings: Settings) -> tuple[str, str]:
    return (
        settings.console_client_id or settings.app_id,
        settings.console_client_secret or settings.app_password,
    )


def _redirect_uri(request: web.Request) -> str:
    base = request.config_dict[SETTINGS].console_url or f"{request.scheme}://{request.host}"
    return base.rstrip("/") + CALLBACK


def _failed(request: web.Request, failure: SignInFailed, next_path: str = "/desk/") -> web.Response:
    log.info("console sign-in refused", extra={"reason": failure.reason})
    return render(
        request,
        "signin_failed.html",
        {"reason": f"console.oidc.{failure.reason}", "next": next_path},
        status=failure.status,
    )


async def begin(request: web.Request, next_path: str) -> web.StreamResponse:
    """Send the browser to the provider, remembering what the callback must check."""
    settings = request.config_dict[SETTINGS]
    try:
        metadata = await request.app[PROVIDER].metadata(settings.console_authority)
    except SignInFailed as failure:
        return _failed(request, failure, next_path)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    data = session(request)
    data[PENDING] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": safe_next(next_path),
        "at": int(time.time()),
    }
    changed(request)
    query = urlencode(
        {
            "client_id": _client(settings)[0],
            "response_type": "code",
            "redirect_uri": _redirect_uri(request),
            "response_mode": "query",
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    raise web.HTTPSeeOther(metadata.authorization_endpoint + separator + query)


def _take_pending(request: web.Request) -> dict[str, Any] | None:
    """The sign-in under way, removed from the session (a callback is used once)."""
    data = session(request)
    pending = data.pop(PENDING, None)
    if pending is not None:
        changed(request)
    if not isinstance(pending, dict) or not all(
        isinstance(pending.get(k), str) and pending[k]
        for k in ("state", "nonce", "verifier", "next")
    ):
        return None
    at = pending.get("at")
    if not isinstance(at, int) or not 0 <= time.time() - at <= PENDING_SECONDS:
        return None
    return pending


async def callback(request: web.Request) -> web.StreamResponse:
    pending = _take_pending(request)
    next_path = safe_next(pending["next"]) if pending else "/desk/"
    given_state = request.query.get("state", "")
    if (
        pending is None
        or not given_state
        or not hmac.compare_digest(pending["state"].encode(), given_state.encode())
    ):
        return _failed(request, SignInFailed("state", 400), next_path)
    error = request.query.get("error")
    if error is not None:
        code = error if OAUTH_ERROR.match(error) else "other"
        log.info("console sign-in: the provider answered an error", extra={"error": code})
        return _failed(request, SignInFailed("provider", 400), next_path)
    code = request.query.get("code", "")
    if not code:
        return _failed(request, SignInFailed("state", 400), next_path)
    settings = request.config_dict[SETTINGS]
    provider = request.app[PROVIDER]
    client_id, client_secret = _client(settings)
    try:
        metadata = await provider.metadata(settings.console_authority)
        id_token = await provider.redeem(
            metadata,
            code=code,
            redirect_uri=_redirect_uri(request),
            client_id=client_id,
            client_secret=client_secret,
            code_verifier=pending["verifier"],
        )
        claims = await provider.verify(
            metadata,
            id_token,
            client_id=client_id,
            nonce=pending["nonce"],
            allowed_tenants=settings.allowed_tenants,
        )
    except SignInFailed as failure:
        return _failed(request, failure, next_path)
    identity = _identity(claims)
    if identity is None:
        return _failed(request, SignInFailed("token", 403), next_path)
    sign_in(request, identity)
    log.info("console sign-in (Entra ID)")
    raise web.HTTPSeeOther(next_path)


def _identity(claims: dict[str, Any]) -> Identity | None:
    def text(name: str) -> str:
        value = claims.get(name)
        return value.strip() if isinstance(value, str) else ""

    person_id = text("oid") or text("sub")
    if not person_id:
        return None
    groups = claims.get("groups")
    if "_claim_names" in claims and "groups" in claims["_claim_names"]:
        # Entra's "groups overage": too many groups to list; configure the app registration
        # to emit only the groups assigned to the application.
        log.info("console sign-in: the id token lists no groups (groups overage)")
    return Identity(
        id=person_id,
        name=text("name"),
        email=text("preferred_username") or text("email"),
        tenant=text("tid"),
        groups=tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else (),
    )


async def _close(console: web.Application) -> None:
    await console[PROVIDER].close()


def add_routes(console: web.Application) -> None:
    """``/desk/auth/callback``."""
    console[PROVIDER] = Provider()
    console.on_cleanup.append(_close)
    console.router.add_get("/auth/callback", callback)
