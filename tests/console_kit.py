"""Helpers for the desk console's tests: an app on a throw-away database, the local
development sign-in as a chosen role, and the CSRF token of a page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from frontoffice.settings import Settings
from servicedesk.clock import Clock

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def console_settings(db_url: str, **changes: Any) -> Settings:
    base = Settings(
        db_url=db_url,
        knowledge_reload_seconds=0,
        outbox_seconds=0,
        poll_seconds=0,
        notify_seconds=0,
        insight_flush_seconds=0,
    )
    return base.with_overrides(**changes)


@asynccontextmanager
async def console_client(
    settings: Settings, clock: Clock | None = None, **kwargs: Any
) -> AsyncIterator[TestClient]:
    app = create_app(settings, clock=clock, **kwargs)
    async with TestClient(TestServer(app)) as client:
        yield client


async def sign_in(
    client: TestClient, role: str, name: str = "Dana Desk", queues: Sequence[str] = ()
) -> str:
    """Local mode's development sign-in; returns the session's CSRF token."""
    page = await client.get("/desk/signin")
    assert page.status == 200, await page.text()
    form: list[tuple[str, str]] = [
        ("_csrf", csrf_of(await page.text())),
        ("name", name),
        ("role", role),
        ("next", "/desk/"),
    ]
    form += [("queue", q) for q in queues]
    done = await client.post("/desk/signin", data=form, allow_redirects=False)
    assert done.status == 303, await done.text()
    after = await client.get("/desk/signin")
    return csrf_of(await after.text())
