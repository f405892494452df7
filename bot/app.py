"""The composition root: ``create_app(settings)`` wires everything and does no I/O
until the app starts, so a test can build a whole app in one call."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from sqlalchemy.engine import Engine

from bot import sdk_patches
from bot.adapter import PatientCloudAdapter
from bot.auth import build_authentication
from bot.channels import CHANNEL_WORK, build_channel_work
from bot.downloads import DownloadPolicy
from bot.http import healthz, messages, readyz
from bot.insight import CHECK_SECONDS, FIRST_CHECK_SECONDS, INSIGHT_WORK, build_insight_work
from bot.keys import (
    ADAPTER,
    BOT,
    CLOCK,
    KNOWLEDGE,
    OUTBOX,
    SETTINGS,
    STORE_ENGINE,
    TICKET_STORE,
    TICKETS,
)
from bot.notify_scheduler import NOTIFICATIONS, NotificationWork, build_notifications
from bot.teams_bot import FrontOfficeBot, to_activity
from bot.ticket_api import add_routes as add_ticket_routes
from console.app import add_console
from dialogs.desk_context import Insight
from dialogs.frontdesk import FrontDesk
from dialogs.messages import t
from dialogs.replies import Reply
from frontoffice.backoffices import build_backoffices
from frontoffice.exposure import exposure_warning
from frontoffice.settings import Settings
from knowledge.catalogue import KnowledgeCatalogue, KnowledgeSla
from knowledge.reload import KnowledgeHolder
from servicedesk.backoffice import BackOffice
from servicedesk.clock import Clock, SystemClock
from servicedesk.errors import StoreError
from servicedesk.outbox import OutboxWorker, RetryPolicy
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.dialog_store import SqlDialogStore
from servicedesk.persistence.insight_store import BufferedInsight, SqlInsightStore
from servicedesk.persistence.locks import one_at_a_time
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.service import TicketService

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 10.0
_BACKOFFICES_GIVEN = web.AppKey("backoffices_given", dict)
_CLOCK = CLOCK
_NOTIFICATION_WORK = web.AppKey("notification_work", NotificationWork)
INSIGHT_BUFFER = web.AppKey("insight_buffer", BufferedInsight)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    backoffices: dict[str, BackOffice] | None = None,
    downloads: DownloadPolicy | None = None,
) -> web.Application:
    """The whole app. Tests may pass a clock and back offices (e.g. for a fake TOPdesk);
    otherwise the back offices come from the knowledge's backoffices.yaml. ``downloads``
    replaces the attachment download policy built from the settings (tests only)."""
    exposure_warning(settings)  # local mode beyond loopback: refused unless opted in
    sdk_patches.apply()
    clock = clock or SystemClock()
    app = web.Application(client_max_size=settings.max_body_bytes)
    engine = create_engine(settings.db_url)
    holder = KnowledgeHolder(settings.knowledge_dir)
    adapter = PatientCloudAdapter(build_authentication(settings))
    ticket_store = SqlTicketStore(engine)
    tickets = TicketService(ticket_store, KnowledgeCatalogue(holder), KnowledgeSla(holder), clock)
    buffered = BufferedInsight(SqlInsightStore(engine, clock))
    desk = build_desk(
        settings,
        engine,
        holder,
        tickets,
        clock,
        insight=buffered if settings.insight_flush_seconds > 0 else None,
    )
    channel_work = build_channel_work(settings, engine, holder, tickets, adapter, clock)
    notifications = build_notifications(
        settings, engine, holder, tickets, ticket_store, adapter, clock
    )
    bot = FrontOfficeBot(
        desk,
        SqlConversationStore(engine),
        channel_work.handler,
        card_handlers=[notifications.actions],
        downloads=downloads or DownloadPolicy(hosts=settings.download_hosts),
    )

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error(
            "turn failed", exc_info=error, extra={"activity_type": turn_context.activity.type}
        )
        if turn_context.activity.type == ActivityTypes.message:
            language = desk.language_for("", turn_context.activity.locale)
            with contextlib.suppress(Exception):
                await turn_context.send_activity(to_activity(Reply(text=t(language, "error"))))
        elif turn_context.activity.type == ActivityTypes.invoke:
            # without this the SDK answers 501; a card click while the database is down
            # gets a 503 with a readable body instead (Teams shows its own retry notice)
            body = {"error": "unavailable", "message": "the front office cannot do this now"}
            with contextlib.suppress(Exception):
                await turn_context.send_activity(
                    Activity(
                        type=ActivityTypes.invoke_response,
                        value=InvokeResponse(status=503, body=body),
                    )
                )

    adapter.on_turn_error = on_turn_error

    app[SETTINGS] = settings
    app[STORE_ENGINE] = engine
    app[KNOWLEDGE] = holder
    app[ADAPTER] = adapter
    app[BOT] = bot
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    app[TICKET_STORE] = ticket_store
    app[TICKETS] = tickets
    app[NOTIFICATIONS] = notifications.scheduler
    app[_NOTIFICATION_WORK] = notifications
    app[CHANNEL_WORK] = channel_work
    app[_BACKOFFICES_GIVEN] = backoffices or {}
    app[_CLOCK] = clock
    app[INSIGHT_BUFFER] = buffered
    app[INSIGHT_WORK] = build_insight_work(settings, engine, holder, adapter, clock)
    add_ticket_routes(app)
    add_console(app)
    app.cleanup_ctx.append(_lifecycle)
    return app


def build_desk(
    settings: Settings,
    engine: Engine,
    holder: KnowledgeHolder,
    tickets: TicketService,
    clock: Clock,
    insight: Insight | None = None,
) -> FrontDesk:
    """The conversation logic for personal chats (also used by ``frontoffice chat``).
    Question and vote records go to ``insight`` (the app passes a ``BufferedInsight``),
    else straight to the database."""
    return FrontDesk(
        holder,
        tickets,
        SqlDialogStore(engine),
        clock=clock,
        dialog_timeout=timedelta(minutes=settings.dialog_timeout_minutes),
        default_language=settings.default_language,
        insight=insight or SqlInsightStore(engine, clock),
    )


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if warning := exposure_warning(settings):
        log.warning(warning)
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings.db_url)
    holder = app[KNOWLEDGE]
    await asyncio.to_thread(holder.load)
    tasks: list[asyncio.Task[None]] = []
    stop = asyncio.Event()

    async def reload_knowledge() -> None:
        if holder.changed():
            await asyncio.to_thread(holder.reload_if_changed)

    if settings.knowledge_reload_seconds > 0:
        tasks.append(
            asyncio.create_task(
                _every(
                    settings.knowledge_reload_seconds, reload_knowledge, "knowledge watcher", stop
                )
            )
        )
    knowledge = holder.current().knowledge
    backoffices = app[_BACKOFFICES_GIVEN] or build_backoffices(
        knowledge.backoffices,
        product_names={p.id: p.name.nl for p in knowledge.products.values()},
    )
    app[CHANNEL_WORK].attach(backoffices)
    if settings.outbox_seconds > 0:  # cards a killed process left half-posted: once, when stale
        tasks.append(
            asyncio.create_task(
                _every(
                    max(settings.outbox_lease_seconds / 2, 1.0),
                    app[CHANNEL_WORK].reconcile,
                    "card reconciliation",
                    stop,
                )
            )
        )
    worker = OutboxWorker(
        app[TICKET_STORE],
        backoffices,
        app[_CLOCK],
        RetryPolicy(
            max_attempts=settings.outbox_max_attempts,
            base_seconds=settings.outbox_retry_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        ),
    )
    app[OUTBOX] = worker
    if settings.outbox_seconds > 0:
        tasks.append(
            asyncio.create_task(_every(settings.outbox_seconds, worker.run_once, "outbox", stop))
        )
    if settings.poll_seconds > 0:
        tasks.append(
            asyncio.create_task(
                _every(
                    settings.poll_seconds,
                    lambda: _alone(app, "backoffice-poll", lambda: _poll(app, backoffices)),
                    "back-office polling",
                    stop,
                )
            )
        )
    async def insight() -> None:  # the weekly card (admin channel) and the retention purge
        with contextlib.suppress(TimeoutError):  # not in the busy first minute
            await asyncio.wait_for(stop.wait(), FIRST_CHECK_SECONDS)
        work = app[INSIGHT_WORK].run_once
        await _every(CHECK_SECONDS, lambda: _alone(app, "insight", work), "insight", stop)

    tasks.append(asyncio.create_task(insight()))
    buffered = app[INSIGHT_BUFFER]
    if settings.insight_flush_seconds > 0:
        tasks.append(
            asyncio.create_task(
                _every(settings.insight_flush_seconds, buffered.flush, "insight records", stop)
            )
        )
    # notifications: APScheduler's tick and date triggers over the notifications table
    app[_NOTIFICATION_WORK].start()
    log.info(
        "front office ready",
        extra={
            "mode": "production" if settings.production else "local",
            "products": holder.status().products,
        },
    )
    # What lives as long as the process (code, knowledge, the matcher's index) is moved
    # out of the collector's way: full collections then skip it, which cuts the pauses
    # that made the slowest turns slow (docs/PERFORMANCE.md, "Load").
    _freeze_once()
    yield
    # Let work in flight finish (a delivery, a reload) before the database goes away;
    # whatever is still running after the grace period is cancelled, and its outbox
    # job is given back for the next start.
    stop.set()
    await app[_NOTIFICATION_WORK].stop(SHUTDOWN_GRACE_SECONDS)
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    try:  # the records of the last second (the loop above has stopped)
        await buffered.flush()
    except StoreError:
        log.warning("insight records not written at stop: the database is away")
    for backoffice in backoffices.values():
        close = getattr(backoffice, "close", None)
        if close is not None:
            await close()
    app[STORE_ENGINE].dispose()


_frozen = False


def _freeze_once() -> None:
    """``gc.freeze()`` once per process (a test process builds many apps: only the
    first one's objects stay out of the collector's reach)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


async def _every(
    seconds: float, work: Callable[[], Awaitable[object]], what: str, stop: asyncio.Event
) -> None:
    """Run ``work`` every ``seconds`` until ``stop`` is set (never mid-work)."""
    while not stop.is_set():
        try:
            await work()
        except Exception:  # noqa: BLE001 - a background loop must survive anything
            log.exception("%s failed; trying again", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def _alone(app: web.Application, name: str, work: Callable[[], Awaitable[object]]) -> None:
    """``work`` unless another process on the same PostgreSQL is doing it right now."""
    async with one_at_a_time(app[STORE_ENGINE], name) as mine:
        if mine:
            await work()


async def _poll(app: web.Application, backoffices: dict[str, BackOffice]) -> None:
    """Read status changes from back offices that offer no push (TOPdesk)."""
    service = app[TICKETS]
    for name, backoffice in backoffices.items():
        if name == "builtin":
            continue
        known = await app[TICKET_STORE].external_tickets(name)
        if not known:
            continue
        for update in sorted(await backoffice.updates(known), key=lambda u: u.at):
            await service.apply_update(update)
