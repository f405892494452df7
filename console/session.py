"""The console's session: one signed cookie (itsdangerous), HttpOnly, SameSite=Lax, Secure
and ``__Host-`` prefixed in production.

The cookie holds the signed-in identity (no roles: those are worked out per request),
the CSRF token, the chosen language and, during a sign-in, the OpenID Connect state,
nonce and PKCE verifier. A cookie that was tampered with or is older than
``MAX_AGE_SECONDS`` counts as no session. Nothing in it is secret from its owner; it is
signed, not encrypted.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_AGE_SECONDS = 12 * 3600  # a working day; then sign in again
SESSION: web.RequestKey[dict[str, Any]] = web.RequestKey("console_session")
_CHANGED: web.RequestKey[bool] = web.RequestKey("console_session_changed")


class SessionCodec:
    def __init__(self, secret: str, *, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="frontoffice-desk-session")
        self.secure = secure
        self.name = "__Host-desk" if secure else "desk"

    def load(self, request: web.Request) -> dict[str, Any]:
        raw = request.cookies.get(self.name)
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS)
                if isinstance(data, dict):
                    return data
            except BadSignature:  # also SignatureExpired
                pass
        return {}

    def store(self, response: web.StreamResponse, data: dict[str, Any]) -> None:
        response.set_cookie(
            self.name,
            self._serializer.dumps(data),
            max_age=MAX_AGE_SECONDS,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="Lax",
        )


def session(request: web.Request) -> dict[str, Any]:
    """This request's session (changes are written back to the cookie)."""
    data: dict[str, Any] = request[SESSION]
    return data


def changed(request: web.Request) -> None:
    """Mark the session to be written back in the response."""
    request[_CHANGED] = True


def is_changed(request: web.Request) -> bool:
    return bool(request.get(_CHANGED))


def csrf_token(request: web.Request) -> str:
    """The session's CSRF token, made on first use."""
    data = session(request)
    token = data.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(24)
        data["csrf"] = token
        changed(request)
    return token
