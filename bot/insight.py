"""Background insight work: the weekly summary card in the admin channel, and the
retention purge.

The admin channel is linked like a queue's (``@bot koppel admin``, admins only) and
stored in ``queue_channels`` under ``admin``. Once per ISO week, from Monday 08:00
local time, the summary of the week before is posted there: the week is claimed in the
database first (``insight_reports``, unique per week), so two processes never both send
it; a failed send gives the claim back for the next check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter
from msrest.exceptions import ClientRequestError, HttpOperationError
from sqlalchemy.engine import Engine

from bot.channel_cards import proactive_card
from dialogs.insight_cards import WeekFigures, weekly_card
from frontoffice.settings import Settings
from knowledge.reload import KnowledgeHolder
from servicedesk.backoffice import BackOfficeUnavailable
from servicedesk.clock import Clock
from servicedesk.conversations import ConversationStore
from servicedesk.persistence.channel_store import SqlChannelStore
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.insight_store import RatingReader, SqlInsightStore
from servicedesk.persistence.privacy import SqlPrivacy
from servicedesk.reporting import Window, week_of

log = logging.getLogger(__name__)
ADMIN_CHANNEL = "admin"  # the pseudo-queue the weekly summary goes to
SEND_FROM = time(8, 0)  # Monday, local time
CARD_LANGUAGE = "nl"
CHECK_SECONDS = 3600.0  # how often the loop in bot/app.py checks
FIRST_CHECK_SECONDS = 60.0  # the first check, after start


def previous_week(now: datetime, timezone: ZoneInfo) -> Window | None:
    """The ISO week before ``now``'s, once it may be sent (from Monday 08:00 local)."""
    local = now.astimezone(timezone)
    if local.weekday() == 0 and local.time() < SEND_FROM:
        return None
    monday = local.date() - timedelta(days=local.weekday())
    return Window(
        datetime.combine(monday - timedelta(days=7), time(0), timezone),
        datetime.combine(monday, time(0), timezone),
    )


class WeeklySummary:
    def __init__(
        self,
        holder: KnowledgeHolder,
        store: SqlInsightStore,
        channels: SqlChannelStore,
        conversations: ConversationStore,
        adapter: CloudAdapter,
        app_id: str,
        clock: Clock,
    ) -> None:
        self._holder = holder
        self._store = store
        self._channels = channels
        self._conversations = conversations
        self._adapter = adapter
        self._app_id = app_id
        self._clock = clock

    async def run_once(self) -> bool:
        """Send last week's card if it is due and not sent yet; True when sent now."""
        from frontoffice import charts
        from frontoffice.report import Names, make_report, summary

        snapshot = self._holder.current()
        timezone = ZoneInfo(snapshot.knowledge.organisation.timezone)
        now = self._clock.now()
        window = previous_week(now, timezone)
        if window is None:
            return False
        linked = await self._channels.channel_for(ADMIN_CHANNEL)
        if linked is None:
            return False
        week = week_of(window.start, timezone)
        if not await self._store.claim_week(week):
            return False
        try:
            # Eight weeks of data: the card's chart shows the trend up to last week.
            wide = Window(window.start - timedelta(weeks=7), window.end)
            data = await self._store.facts(wide)
            trend = make_report(data, wide, snapshot, now)
            report = make_report(data, window, snapshot, now)
            figures = summary(report)
            chart = charts.volume_chart(
                trend, CARD_LANGUAGE, Names.of(snapshot, CARD_LANGUAGE).queues, small=True
            )
            last = (window.end - timedelta(days=1)).date()
            card = weekly_card(
                CARD_LANGUAGE,
                WeekFigures(
                    week=week,
                    start=window.start.date().isoformat(),
                    end=last.isoformat(),
                    total=figures["total"],
                    response_percent=figures["response"].percent if figures["response"] else None,
                    resolution_percent=figures["resolution"].percent
                    if figures["resolution"]
                    else None,
                    breaches=figures["breaches"],
                    satisfaction=figures["satisfaction"],
                    ratings=figures["ratings"],
                    unanswered=figures["unanswered"],
                    top_question=figures["top_question"],
                    chargeback=figures["chargeback"],
                ),
                chart,
            )
            await self._post(linked.conversation_id, card, week)
        except BaseException:
            await self._store.release_week(week)
            raise
        await self._store.week_sent(week)
        log.info("weekly summary sent", extra={"week": week})
        return True

    async def _post(self, conversation_id: str, card: dict[str, object], week: str) -> None:
        activity, client = await proactive_card(
            self._adapter, self._app_id, self._conversations, conversation_id, card, week
        )
        try:
            await client.conversations.send_to_conversation(conversation_id, activity)
        except (HttpOperationError, ClientRequestError) as exc:
            raise BackOfficeUnavailable(f"weekly summary not posted: {type(exc).__name__}") from exc


class Retention:
    """Anonymise what is past ``FRONTOFFICE_RETENTION_DAYS`` (servicedesk.persistence.privacy)."""

    def __init__(
        self, privacy: SqlPrivacy, holder: KnowledgeHolder, days: int, clock: Clock
    ) -> None:
        self._privacy = privacy
        self._holder = holder
        self._days = days
        self._clock = clock

    async def run_once(self) -> None:
        cutoff = self._clock.now() - timedelta(days=self._days)
        buildings = self._holder.current().knowledge.organisation.buildings
        done = await self._privacy.purge(cutoff, buildings=buildings)
        if done.tickets or done.dialogs or done.question_texts or done.vote_texts:
            log.info("personal data past retention anonymised", extra=done.as_dict())


@dataclass
class InsightWork:
    store: SqlInsightStore
    weekly: WeeklySummary
    retention: Retention

    async def run_once(self) -> None:
        await self.retention.run_once()
        await self.weekly.run_once()


def build_insight_work(
    settings: Settings,
    engine: Engine,
    holder: KnowledgeHolder,
    adapter: CloudAdapter,
    clock: Clock,
    ratings: RatingReader | None = None,
) -> InsightWork:
    store = SqlInsightStore(engine, clock, ratings)
    weekly = WeeklySummary(
        holder,
        store,
        SqlChannelStore(engine, clock),
        SqlConversationStore(engine, clock),
        adapter,
        settings.app_id,
        clock,
    )
    retention = Retention(SqlPrivacy(engine, clock), holder, settings.retention_days, clock)
    return InsightWork(store, weekly, retention)


INSIGHT_WORK = web.AppKey("insight_work", InsightWork)
