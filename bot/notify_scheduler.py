"""The scheduler that drives notifications in the bot process (APScheduler 3, asyncio).

APScheduler runs a frequent tick (``FRONTOFFICE_NOTIFY_SECONDS``) and, after each
tick, an exact date trigger at the next due time when that comes before the next tick.
Neither holds any state worth keeping: the schedule is the ``notifications`` table, so
a restart (or a kill -9) loses nothing, and a second process on the same PostgreSQL
simply takes other rows. Ticks never overlap (one lock), and ``stop`` lets the tick in
flight finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.engine import Engine

from bot.notifier import NoticeRenderer, TeamsMessenger
from bot.notify_actions import NotificationActions
from frontoffice.settings import Settings
from knowledge.catalogue import KnowledgeCalendar
from knowledge.reload import KnowledgeHolder
from servicedesk.clock import Clock
from servicedesk.feedback import Feedback
from servicedesk.notifications import (
    NotificationDispatcher,
    NotificationPlanner,
    NotifyPolicy,
    StageHook,
)
from servicedesk.persistence.notification_store import SqlNotificationStore
from servicedesk.persistence.send_budget import SqlSendBudget
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.service import Step, TicketService
from servicedesk.tickets import Actor

log = logging.getLogger(__name__)
MAX_ROUNDS = 1000  # per tick: 200,000 rows at the default batch


class NotificationScheduler:
    def __init__(
        self,
        planner: NotificationPlanner,
        dispatcher: NotificationDispatcher,
        store: SqlNotificationStore,
        clock: Clock,
        tick_seconds: float = 2.0,
    ) -> None:
        self.planner = planner
        self.dispatcher = dispatcher
        self.store = store
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._stopping = False
        self._running: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Plan new events, then send everything due now; returns the rows handled."""
        async with self._lock:
            if self._stopping:  # a tick that fired as the app was stopping
                return 0
            await self.planner.run_once()
            handled = 0
            for _ in range(MAX_ROUNDS):  # a fan-out's rows are due at once: next round
                claimed = await self.dispatcher.run_once()
                handled += claimed
                if claimed == 0:
                    break
            return handled

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self._tick_seconds,
            id="notify-tick",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    async def _tick(self) -> None:
        """APScheduler's job. The work runs in a task of our own: APScheduler cancels its
        job tasks when it shuts down, and a cancelled wait would leave a database call
        running in its thread while the engine is disposed."""
        if self._stopping:
            return
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._work())
        try:
            await asyncio.shield(self._running)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # the app is stopping and APScheduler cancels its jobs: stop() waits for the
            # work itself; a cancelled job here is no error worth a traceback

    async def _work(self) -> None:
        try:
            await self.run_once()
            async with self._lock:
                if not self._stopping:
                    await self._wake_at_next_due()
        except Exception:  # noqa: BLE001 - the scheduler must survive anything
            log.exception("notification tick failed; trying again")

    async def _wake_at_next_due(self) -> None:
        """An exact date trigger when the next row falls due before the next tick."""
        due = await self.store.next_due()
        scheduler = self._scheduler
        if due is None or scheduler is None or not scheduler.running:
            return
        now = self._clock.now()
        if now < due < now + timedelta(seconds=self._tick_seconds):
            scheduler.add_job(
                self._tick,
                "date",
                run_date=datetime.now(UTC) + (due - now),
                id="notify-at",
                replace_existing=True,
                misfire_grace_time=30,
            )

    async def stop(self, grace_seconds: float = 10.0) -> None:
        self._stopping = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if self._running is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._running), grace_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._lock.acquire(), grace_seconds)
            self._lock.release()


NOTIFICATIONS = web.AppKey("notifications", NotificationScheduler)


# -- composition ---------------------------------------------------------------------------

CRASH_ENV = "FRONTOFFICE_TEST_CRASH_AT"


def crash_hook(stage_name: str | None) -> StageHook | None:
    """TEST ONLY (``FRONTOFFICE_TEST_CRASH_AT=after_claim|after_send``): the process kills
    itself with SIGKILL at that point of a dispatch, so tests/test_notifier_process.py can
    show that a restart loses and doubles nothing. Never set it in production."""
    if not stage_name:
        return None

    def hook(stage: str) -> None:
        if stage == stage_name:
            log.warning("test crash hook: SIGKILL", extra={"stage": stage})
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


@dataclass
class NotificationWork:
    scheduler: NotificationScheduler
    actions: NotificationActions
    messenger: TeamsMessenger
    tick_seconds: float

    def start(self) -> None:
        if self.tick_seconds > 0:
            self.scheduler.start()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        await self.scheduler.stop(grace_seconds)
        await self.messenger.close()


def build_notifications(
    settings: Settings,
    engine: Engine,
    holder: KnowledgeHolder,
    tickets: TicketService,
    ticket_store: SqlTicketStore,
    adapter: CloudAdapter | None,
    clock: Clock,
) -> NotificationWork:
    """Planner, dispatcher, Teams sender, scheduler and the card actions, wired."""
    store = SqlNotificationStore(engine, clock)
    calendar = KnowledgeCalendar(holder)
    policy = NotifyPolicy(
        followup_delay=settings.followup_delay,
        followup_close_days=settings.followup_close_days,
        at_risk_share=settings.at_risk_share,
        max_attempts=settings.notify_max_attempts,
        retry_seconds=settings.notify_retry_seconds,
        lease=timedelta(seconds=settings.notify_lease_seconds),
        dialog_timeout=timedelta(minutes=settings.dialog_timeout_minutes),
    )
    budget = SqlSendBudget(engine, settings.notify_rate, settings.notify_burst)
    messenger = TeamsMessenger(adapter, settings.app_id, NoticeRenderer(holder), budget)

    async def close(number: str, actor: Actor, note: str) -> None:
        await tickets.act(number, Step("close", actor, note=note))

    dispatcher = NotificationDispatcher(
        store,
        ticket_store,
        messenger,
        calendar,
        calendar,
        clock,
        close,
        policy,
        stage=crash_hook(os.environ.get(CRASH_ENV)),
        budget=budget,
    )
    planner = NotificationPlanner(store, ticket_store, calendar, policy)
    scheduler = NotificationScheduler(planner, dispatcher, store, clock, settings.notify_seconds)
    actions = NotificationActions(Feedback(tickets, ticket_store, clock), settings.default_language)
    return NotificationWork(scheduler, actions, messenger, settings.notify_seconds)
