"""The composition root: ``create_app(settings)`` wires everything and does no I/O
until the app starts, so a test can build a whole app in one call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ActivityTypes

from bot import sdk_patches
from bot.auth import build_authentication
from bot.http import healthz, messages, readyz
from bot.keys import ADAPTER, BOT, KNOWLEDGE, SETTINGS, STORE_ENGINE
from bot.teams_bot import FrontOfficeBot, to_activity
from dialogs.frontdesk import FrontDesk
from dialogs.messages import t
from dialogs.replies import Reply
from frontoffice.settings import Settings
from knowledge.reload import KnowledgeHolder
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.database import create_engine, migrate

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    sdk_patches.apply()
    app = web.Application(client_max_size=settings.max_body_bytes)
    engine = create_engine(settings.db_url)
    holder = KnowledgeHolder(settings.knowledge_dir)
    desk = FrontDesk(holder, settings.default_language)
    bot = FrontOfficeBot(desk, SqlConversationStore(engine))
    adapter = CloudAdapter(build_authentication(settings))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error(
            "turn failed", exc_info=error, extra={"activity_type": turn_context.activity.type}
        )
        if turn_context.activity.type == ActivityTypes.message:
            language = desk.language_for("", turn_context.activity.locale)
            with contextlib.suppress(Exception):
                await turn_context.send_activity(to_activity(Reply(text=t(language, "error"))))

    adapter.on_turn_error = on_turn_error

    app[SETTINGS] = settings
    app[STORE_ENGINE] = engine
    app[KNOWLEDGE] = holder
    app[ADAPTER] = adapter
    app[BOT] = bot
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings.db_url)
    holder = app[KNOWLEDGE]
    await asyncio.to_thread(holder.load)
    reloader = None
    if settings.knowledge_reload_seconds > 0:
        reloader = asyncio.create_task(_watch_knowledge(holder, settings.knowledge_reload_seconds))
    log.info(
        "front office ready",
        extra={
            "mode": "production" if settings.production else "local",
            "products": holder.status().products,
        },
    )
    yield
    if reloader is not None:
        reloader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reloader
    app[STORE_ENGINE].dispose()


async def _watch_knowledge(holder: KnowledgeHolder, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            if holder.changed():
                await asyncio.to_thread(holder.reload_if_changed)
        except Exception:  # noqa: BLE001 - the watcher must survive anything
            log.exception("knowledge watcher failed; retrying")
