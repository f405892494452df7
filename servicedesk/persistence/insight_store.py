"""What the front office learns from, on SQLAlchemy (SQLite or PostgreSQL).

``SqlInsightStore`` is the front desk's ``Insight`` (``dialogs.frontdesk``): it records
every matched question with its decision and score, and every FAQ vote; the text only
when the desk passes one (nothing fitted, a choice was needed, an answer did not help).
It also reads the rows a report is made of (``facts``), and keeps the weekly summary
card's bookkeeping (``claim_week``: one row per ISO week, so that of two processes only
one sends it).

Satisfaction ratings are ``feedback`` events in the ticket trail (the follow-up card,
``servicedesk.feedback``); the report reads them through a ``RatingReader``
(``feedback_ratings`` by default; the generated history passes its own).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from servicedesk.clock import Clock
from servicedesk.errors import StoreError
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import (
    as_utc,
    faq_votes,
    insight_reports,
    questions,
    ticket_events,
    tickets,
)
from servicedesk.reporting import (
    InsightData,
    QuestionFacts,
    Rating,
    TicketFacts,
    VoteFacts,
    Window,
)

MAX_TEXT = 2000
MAX_BUFFERED = 20_000  # rows kept while the database is away; older ones are dropped
FLUSH_AT = 500  # a flush starts at once when this many rows wait
log = logging.getLogger(__name__)
RatingReader = Callable[[Connection, Window], Sequence[Rating]]


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def no_ratings(connection: Connection, window: Window) -> Sequence[Rating]:
    return ()


def feedback_ratings(connection: Connection, window: Window) -> Sequence[Rating]:
    """Ratings from the follow-up card: ``feedback`` events with ``{"rating", "comment"}``
    in the ticket's trail (servicedesk.feedback)."""
    query = (
        sa.select(ticket_events.c.at, ticket_events.c.data, tickets.c.number)
        .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
        .where(
            ticket_events.c.type == "feedback",
            ticket_events.c.at >= window.start.astimezone(UTC),
            ticket_events.c.at < window.end.astimezone(UTC),
        )
        .order_by(ticket_events.c.id)
    )
    ratings: list[Rating] = []
    for row in connection.execute(query):
        data = dict(row.data or {})
        score = data.get("rating")
        if isinstance(score, int) and 1 <= score <= 5:
            comment = str(data.get("comment") or "").strip() or None
            ratings.append(Rating(as_utc(row.at), score, comment, row.number))
    return ratings


def _persons(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def ticket_facts(row: Any) -> TicketFacts:
    fields = dict(row.fields or {})
    cost_centre = fields.get("cost_centre")
    return TicketFacts(
        number=row.number,
        product_id=row.product_id,
        queue=row.queue,
        kwis=row.kwis,
        priority=row.priority,
        channel=row.channel,
        status=row.status,
        created_at=as_utc(row.created_at),
        response_due=as_utc(row.response_due),
        resolve_due=as_utc(row.resolve_due),
        responded_at=_maybe_utc(row.responded_at),
        resolved_at=_maybe_utc(row.resolved_at),
        cost_centre=str(cost_centre) if cost_centre not in (None, "") else None,
        persons=_persons(fields.get("persons")),
    )


class SqlInsightStore(SqlStore):
    what = "insight store"

    def __init__(
        self, engine: Engine, clock: Clock | None = None, ratings: RatingReader | None = None
    ) -> None:
        super().__init__(engine, clock)
        self._ratings: RatingReader = ratings or feedback_ratings

    # -- the front desk's Insight -----------------------------------------------------------

    async def record_question(
        self,
        *,
        at: datetime,
        language: str,
        decision: str,
        product_id: str | None,
        faq_id: str | None,
        score: float,
        text: str | None,
    ) -> None:
        values = self.question_values(
            at=at,
            language=language,
            decision=decision,
            product_id=product_id,
            faq_id=faq_id,
            score=score,
            text=text,
        )
        await self._insert(questions, values)

    @staticmethod
    def question_values(
        *,
        at: datetime,
        language: str,
        decision: str,
        product_id: str | None,
        faq_id: str | None,
        score: float,
        text: str | None,
    ) -> dict[str, Any]:
        return {
            "at": as_utc(at),
            "language": language[:8],
            "decision": decision[:16],
            "product_id": product_id,
            "faq_id": faq_id,
            "score": float(score),
            "text": text[:MAX_TEXT] if text else None,
        }

    @staticmethod
    def vote_values(
        *, at: datetime, product_id: str, faq_id: str, helpful: bool, text: str | None
    ) -> dict[str, Any]:
        return {
            "at": as_utc(at),
            "product_id": product_id,
            "faq_id": faq_id,
            "helpful": helpful,
            "text": text[:MAX_TEXT] if text and not helpful else None,
        }

    async def insert_many(self, rows: Sequence[tuple[sa.Table, dict[str, Any]]]) -> None:
        """Rows of ``questions`` and ``faq_votes`` in one transaction (one statement each)."""

        def work() -> None:
            with self._engine.begin() as connection:
                for table in (questions, faq_votes):
                    values = [v for t, v in rows if t is table]
                    if values:
                        connection.execute(table.insert(), values)

        await self._run(work)

    async def record_vote(
        self, *, at: datetime, product_id: str, faq_id: str, helpful: bool, text: str | None
    ) -> None:
        values = self.vote_values(
            at=at, product_id=product_id, faq_id=faq_id, helpful=helpful, text=text
        )
        await self._insert(faq_votes, values)

    async def _insert(self, table: sa.Table, values: dict[str, Any]) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(table.insert().values(**values))

        await self._run(work)

    # -- reading for reports ----------------------------------------------------------------

    async def facts(self, window: Window) -> InsightData:
        """Tickets created or delivered in the window, its questions, votes and ratings."""

        def work() -> InsightData:
            start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
            ticket_query = (
                sa.select(tickets)
                .where(
                    tickets.c.created_at < end,
                    sa.or_(tickets.c.created_at >= start, tickets.c.resolved_at >= start),
                )
                .order_by(tickets.c.id)
            )
            question_query = (
                sa.select(questions)
                .where(questions.c.at >= start, questions.c.at < end)
                .order_by(questions.c.id)
            )
            vote_query = (
                sa.select(faq_votes)
                .where(faq_votes.c.at >= start, faq_votes.c.at < end)
                .order_by(faq_votes.c.id)
            )
            with self._engine.connect() as connection:
                return InsightData(
                    tickets=[ticket_facts(r) for r in connection.execute(ticket_query)],
                    questions=[
                        QuestionFacts(
                            as_utc(r.at),
                            r.language,
                            r.decision,
                            r.product_id,
                            r.faq_id,
                            float(r.score),
                            r.text,
                        )
                        for r in connection.execute(question_query)
                    ],
                    votes=[
                        VoteFacts(as_utc(r.at), r.product_id, r.faq_id, bool(r.helpful), r.text)
                        for r in connection.execute(vote_query)
                    ],
                    ratings=list(self._ratings(connection, window)),
                )

        return await self._run(work)

    async def first_ticket_at(self) -> datetime | None:
        def work() -> datetime | None:
            with self._engine.connect() as connection:
                first = connection.execute(sa.select(sa.func.min(tickets.c.created_at))).scalar()
            return None if first is None else as_utc(first)

        return await self._run(work)

    # -- the weekly summary card ------------------------------------------------------------

    async def claim_week(self, week: str) -> bool:
        """Take the sending of ``week``'s card; False when someone already has (or did)."""

        def work() -> bool:
            with self._engine.begin() as connection:
                connection.execute(
                    insight_reports.insert().values(week=week, claimed_at=self._clock.now())
                )
            return True

        try:
            return await self._run(work)
        except StoreError as exc:
            if isinstance(exc.__cause__, sa.exc.IntegrityError):
                return False
            raise

    async def week_sent(self, week: str) -> None:
        await self._set_week(week, sent=True)

    async def release_week(self, week: str) -> None:
        """Sending failed: give the week back so that the next check tries again."""
        await self._set_week(week, sent=False)

    async def _set_week(self, week: str, sent: bool) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                where = insight_reports.c.week == week
                if sent:
                    connection.execute(
                        insight_reports.update().where(where).values(sent_at=self._clock.now())
                    )
                else:
                    connection.execute(insight_reports.delete().where(where))

        await self._run(work)


class BufferedInsight:
    """The front desk's ``Insight`` with its writes taken off the reply's path.

    A turn only appends its row to a list; ``flush`` writes what waits in one
    transaction (the app calls it every ``FRONTOFFICE_INSIGHT_FLUSH_SECONDS``, when
    ``FLUSH_AT`` rows wait, and on a clean stop). While the database is away the rows
    stay (at most ``MAX_BUFFERED``, the oldest dropped first). A crash loses at most the
    rows not yet flushed: insight figures only, never a ticket or a dialog.
    """

    def __init__(self, store: SqlInsightStore) -> None:
        self._store = store
        self._pending: list[tuple[sa.Table, dict[str, Any]]] = []
        self._lock = asyncio.Lock()
        self._flushing: asyncio.Task[int] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def record_question(
        self,
        *,
        at: datetime,
        language: str,
        decision: str,
        product_id: str | None,
        faq_id: str | None,
        score: float,
        text: str | None,
    ) -> None:
        values = SqlInsightStore.question_values(
            at=at,
            language=language,
            decision=decision,
            product_id=product_id,
            faq_id=faq_id,
            score=score,
            text=text,
        )
        self._add(questions, values)

    async def record_vote(
        self, *, at: datetime, product_id: str, faq_id: str, helpful: bool, text: str | None
    ) -> None:
        values = SqlInsightStore.vote_values(
            at=at, product_id=product_id, faq_id=faq_id, helpful=helpful, text=text
        )
        self._add(faq_votes, values)

    def _add(self, table: sa.Table, values: dict[str, Any]) -> None:
        self._pending.append((table, values))
        if len(self._pending) > MAX_BUFFERED:
            del self._pending[: len(self._pending) - MAX_BUFFERED]
            log.warning("insight rows dropped: the database has been away too long")
        if len(self._pending) >= FLUSH_AT and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.get_running_loop().create_task(self._flush_quietly())

    async def _flush_quietly(self) -> int:
        try:
            return await self.flush()
        except StoreError:
            return 0  # kept for the next flush; the periodic one logs

    async def flush(self) -> int:
        """Write what waits; the number of rows written. On a database error the rows
        are put back (before any that came meanwhile) and the error is raised."""
        async with self._lock:
            rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                await self._store.insert_many(rows)
            except StoreError:
                self._pending[:0] = rows
                raise
            return len(rows)
