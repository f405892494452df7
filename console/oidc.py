"""Production sign-in: Microsoft Entra ID, OpenID Connect authorization code flow with PKCE.

(Being built: until then production sign-in answers 501.)
"""

from __future__ import annotations

from aiohttp import web


async def begin(request: web.Request, next_path: str) -> web.StreamResponse:
    raise web.HTTPNotImplemented(text="Entra ID sign-in is not built yet")


def add_routes(console: web.Application) -> None:
    """``/desk/auth/callback``."""
