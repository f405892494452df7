"""The console's tickets pages (being built)."""

from __future__ import annotations

from aiohttp import web


def add_routes(console: web.Application) -> None:
    """Adds this area's routes to the console sub-application."""
