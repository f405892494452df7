"""The notification schedule on SQLAlchemy (SQLite or PostgreSQL).

Rows are inserted with their idempotency key (``INSERT … ON CONFLICT DO NOTHING``, or a
new due time for a pending row with ``replace``), claimed with a lease (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so two processes never take the same row; SQLite is one
process by design), and settled in batches. See ``servicedesk.notifications``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from servicedesk.conversations import ConversationKind, ConversationReference
from servicedesk.notifications import (
    NotificationKind,
    Outcome,
    PersonalConversation,
    Planned,
    RowState,
    ScheduledNotification,
)
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.conversation_store import reference_of
from servicedesk.persistence.database import (
    as_utc,
    conversations,
    dialogs,
    notification_cursor,
    notifications,
    queue_channels,
    ticket_events,
    tickets,
    unreachable_recipients,
)
from servicedesk.persistence.locks import NAMESPACE, lock_key
from servicedesk.tickets import Actor, Event, EventType

CURSOR = "planner"


class SqlNotificationStore(SqlStore):
    what = "notification store"

    # -- planning ----------------------------------------------------------------------

    async def events_after(
        self, rescan: int, limit: int
    ) -> tuple[int, list[tuple[int, int, int, Event]]]:
        """The cursor and the events after ``cursor - rescan`` (id, ticket id, seq, event)."""

        def work() -> tuple[int, list[tuple[int, int, int, Event]]]:
            with self._engine.connect() as connection:
                cursor = connection.execute(
                    sa.select(notification_cursor.c.last_event_id).where(
                        notification_cursor.c.name == CURSOR
                    )
                ).scalar()
                cursor = int(cursor or 0)
                rows = connection.execute(
                    sa.select(ticket_events)
                    .where(ticket_events.c.id > cursor - rescan)
                    .order_by(ticket_events.c.id)
                    .limit(limit + rescan)
                )
                events = [
                    (
                        int(r.id),
                        int(r.ticket_id),
                        int(r.seq),
                        Event(
                            EventType(r.type),
                            as_utc(r.at) or datetime.now(UTC),
                            Actor(r.actor_id, r.actor_name),
                            r.note,
                            dict(r.data or {}),
                        ),
                    )
                    for r in rows
                    if r.type in EventType._value2member_map_
                ]
            return cursor, events

        return await self._run(work)

    def _insert(self, connection: Connection) -> Any:
        dialect = connection.dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(notifications)

    def _insert_rows(self, connection: Connection, rows: Sequence[Planned], now: datetime) -> int:
        added = 0
        for row in rows:
            values = {
                "ticket_id": row.ticket_id,
                "recipient": row.recipient,
                "language": row.language,
                "kind": row.kind.value,
                "idempotency_key": row.key,
                "due_at": row.due_at,
                "state": RowState.PENDING.value,
                "attempts": 0,
                "event_seq": row.event_seq,
                "detail": dict(row.detail),
                "created_at": now,
            }
            statement = self._insert(connection).values(**values)
            if row.replace:
                statement = statement.on_conflict_do_update(
                    index_elements=[notifications.c.idempotency_key],
                    set_={
                        "due_at": statement.excluded.due_at,
                        "event_seq": statement.excluded.event_seq,
                        "state": RowState.PENDING.value,
                    },
                    where=notifications.c.state.in_(
                        [RowState.PENDING.value, RowState.SKIPPED.value]
                    ),
                )
            else:
                statement = statement.on_conflict_do_nothing(
                    index_elements=[notifications.c.idempotency_key]
                )
            added += len(connection.execute(statement.returning(notifications.c.id)).all())
        return added

    async def plan(self, rows: Sequence[Planned], cursor: int | None) -> int:
        """Insert planned rows and move the cursor forward, in one transaction."""

        def work() -> int:
            now = self._clock.now()
            with self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":  # planners in turn, not at once
                    connection.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                        {"ns": NAMESPACE, "key": lock_key("notification-planner")},
                    )
                added = self._insert_rows(connection, rows, now)
                if cursor is not None:
                    moved = connection.execute(
                        notification_cursor.update()
                        .where(
                            notification_cursor.c.name == CURSOR,
                            notification_cursor.c.last_event_id < cursor,
                        )
                        .values(last_event_id=cursor)
                    ).rowcount
                    if moved == 0:
                        exists = connection.execute(
                            sa.select(notification_cursor.c.name).where(
                                notification_cursor.c.name == CURSOR
                            )
                        ).first()
                        if exists is None:
                            connection.execute(
                                self._insert_cursor(connection).values(
                                    name=CURSOR, last_event_id=cursor
                                )
                            )
            return added

        return await self._run(work)

    @staticmethod
    def _insert_cursor(connection: Connection) -> Any:
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        return insert(notification_cursor).on_conflict_do_nothing()

    async def add(self, rows: Sequence[Planned]) -> int:
        """Insert rows directly (tests, benchmarks, admin tools)."""
        return await self.plan(rows, None)

    # -- claiming ----------------------------------------------------------------------

    async def recover(self, now: datetime) -> int:
        """Rows left ``sending`` by a process that died mid-send become ``unconfirmed``."""

        def work() -> int:
            stale = sa.and_(
                notifications.c.state == RowState.SENDING.value,
                notifications.c.claimed_until < now,
            )
            with self._engine.connect() as connection:  # read first: an idle tick writes nothing
                if (
                    connection.execute(sa.select(notifications.c.id).where(stale).limit(1)).first()
                    is None
                ):
                    return 0
            with self._engine.begin() as connection:
                return int(
                    connection.execute(
                        notifications.update()
                        .where(stale)
                        .values(
                            state=RowState.UNCONFIRMED.value,
                            claimed_until=None,
                            last_error="the process stopped during the send; not sent again",
                        )
                    ).rowcount
                )

        return await self._run(work)

    async def claim_due(
        self, now: datetime, limit: int, lease: timedelta, token: str
    ) -> list[ScheduledNotification]:
        """Take up to ``limit`` due rows (and rows whose claim ran out) for ``token``."""

        def work() -> list[ScheduledNotification]:
            due = (
                sa.select(notifications.c.id)
                .where(
                    sa.or_(
                        sa.and_(
                            notifications.c.state == RowState.PENDING.value,
                            notifications.c.due_at <= now,
                        ),
                        sa.and_(
                            notifications.c.state == RowState.CLAIMED.value,
                            notifications.c.claimed_until < now,
                        ),
                    )
                )
                .order_by(notifications.c.due_at, notifications.c.id)
                .limit(limit)
            )
            with self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    due = due.with_for_update(skip_locked=True)
                ids = [r.id for r in connection.execute(due)]
                if not ids:
                    return []
                connection.execute(
                    notifications.update()
                    .where(notifications.c.id.in_(ids))
                    .values(
                        state=RowState.CLAIMED.value, claimed_until=now + lease, claimed_by=token
                    )
                )
                rows = connection.execute(
                    sa.select(notifications)
                    .where(notifications.c.id.in_(ids))
                    .order_by(notifications.c.due_at, notifications.c.id)
                )
                return [
                    ScheduledNotification(
                        id=r.id,
                        ticket_id=r.ticket_id,
                        kind=NotificationKind(r.kind),
                        recipient=r.recipient,
                        language=r.language,
                        key=r.idempotency_key,
                        due_at=as_utc(r.due_at) or now,
                        attempts=r.attempts,
                        event_seq=r.event_seq,
                        detail=dict(r.detail or {}),
                    )
                    for r in rows
                ]

        return await self._run(work)

    async def mark_sending(self, ids: Sequence[int], until: datetime, token: str) -> set[int]:
        """Mark rows ``sending`` that this claim still holds (a claim that ran out may have
        been taken by another process); returns those ids. The claim's other rows get a
        fresh lease."""

        def work() -> set[int]:
            with self._engine.begin() as connection:
                held = connection.execute(
                    notifications.update()
                    .where(
                        notifications.c.id.in_(list(ids)),
                        notifications.c.claimed_by == token,
                        notifications.c.state == RowState.CLAIMED.value,
                    )
                    .values(state=RowState.SENDING.value, claimed_until=until)
                    .returning(notifications.c.id)
                )
                mine = {int(r.id) for r in held}
                connection.execute(
                    notifications.update()
                    .where(
                        notifications.c.claimed_by == token,
                        notifications.c.state == RowState.CLAIMED.value,
                    )
                    .values(claimed_until=until)
                )
            return mine

        return await self._run(work)

    async def settle(self, outcomes: Sequence[Outcome], now: datetime, token: str) -> None:
        """Write what became of claimed rows, in one transaction (rows this claim holds)."""

        def work() -> None:
            if not outcomes:
                return
            c = notifications.c
            statement = (
                notifications.update()
                .where(c.id == sa.bindparam("row_id"), c.claimed_by == token)
                .values(
                    state=sa.bindparam("new_state"),
                    claimed_until=None,
                    last_error=sa.bindparam("error"),
                    due_at=sa.func.coalesce(sa.bindparam("due", type_=c.due_at.type), c.due_at),
                    attempts=sa.func.coalesce(sa.bindparam("tries", type_=sa.Integer), c.attempts),
                    sent_at=sa.func.coalesce(sa.bindparam("sent", type_=c.sent_at.type), c.sent_at),
                    activity_id=sa.func.coalesce(
                        sa.bindparam("activity", type_=c.activity_id.type), c.activity_id
                    ),
                    conversation_id=sa.func.coalesce(
                        sa.bindparam("conversation", type_=c.conversation_id.type),
                        c.conversation_id,
                    ),
                )
            )
            parameters = [
                {
                    "row_id": o.row_id,
                    "new_state": o.state.value,
                    "error": o.reason or None,
                    "due": o.due_at,
                    "tries": o.attempts,
                    "sent": now if o.state is RowState.SENT else None,
                    "activity": o.activity_id,
                    "conversation": o.conversation_id,
                }
                for o in outcomes
            ]
            with self._engine.begin() as connection:
                connection.execute(statement, parameters)  # one executemany for the batch
                for outcome in outcomes:
                    if outcome.unreachable is not None:
                        self._remember_unreachable(connection, *outcome.unreachable, now)
                reached = sorted({o.reached for o in outcomes if o.reached})
                if reached:
                    connection.execute(
                        unreachable_recipients.delete().where(
                            unreachable_recipients.c.recipient_id.in_(reached)
                        )
                    )

        await self._run(work)

    @staticmethod
    def _remember_unreachable(
        connection: Connection, recipient: str, reason: str, now: datetime
    ) -> None:
        updated = connection.execute(
            unreachable_recipients.update()
            .where(
                unreachable_recipients.c.recipient_id == recipient,
                unreachable_recipients.c.reason == reason,
            )
            .values(last_seen=now)
        ).rowcount
        if updated == 0:  # new, or for another reason now: "since" starts again
            connection.execute(
                unreachable_recipients.delete().where(
                    unreachable_recipients.c.recipient_id == recipient
                )
            )
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            connection.execute(
                insert(unreachable_recipients)
                .values(recipient_id=recipient, reason=reason, detail="", since=now, last_seen=now)
                .on_conflict_do_nothing()
            )

    async def fan_out(
        self, row: ScheduledNotification, children: Sequence[Planned], now: datetime, token: str
    ) -> None:
        """Replace an audience row by one row per recipient, in one transaction."""

        def work() -> None:
            with self._engine.begin() as connection:
                self._insert_rows(connection, children, now)
                connection.execute(
                    notifications.update()
                    .where(notifications.c.id == row.id, notifications.c.claimed_by == token)
                    .values(
                        state=RowState.SENT.value,
                        claimed_until=None,
                        sent_at=now,
                        last_error=f"to {len(children)} recipient(s)",
                    )
                )

        await self._run(work)

    # -- recipients --------------------------------------------------------------------

    async def personal_conversations(
        self, user_ids: Sequence[str]
    ) -> dict[str, PersonalConversation]:
        """Each person's 1:1 chat with the bot (an active one first, then the newest), its
        dialog state and any "blocked" mark; people without a chat are left out. Three
        queries for a whole batch."""

        def work() -> dict[str, PersonalConversation]:
            ids = sorted(set(user_ids))
            if not ids:
                return {}
            with self._engine.connect() as connection:
                chats = connection.execute(
                    sa.select(conversations).where(
                        conversations.c.user_id.in_(ids),
                        conversations.c.kind == ConversationKind.PERSONAL.value,
                    )
                ).all()
                best: dict[str, Any] = {}
                for row in chats:
                    key = (row.removed_at is None, as_utc(row.updated_at))
                    known = best.get(row.user_id)
                    if known is None or key > (known.removed_at is None, as_utc(known.updated_at)):
                        best[row.user_id] = row
                states = {
                    r.conversation_id: r
                    for r in connection.execute(
                        sa.select(
                            dialogs.c.conversation_id, dialogs.c.state, dialogs.c.updated_at
                        ).where(
                            dialogs.c.conversation_id.in_(
                                [r.conversation_id for r in best.values()]
                            )
                        )
                    )
                }
                blocked = {
                    r.recipient_id: as_utc(r.since)
                    for r in connection.execute(
                        sa.select(unreachable_recipients).where(
                            unreachable_recipients.c.recipient_id.in_(list(best)),
                            unreachable_recipients.c.reason == "blocked",
                        )
                    )
                }
            found = {}
            for user, row in best.items():
                dialog = states.get(row.conversation_id)
                kind = (
                    dialog.state.get("kind")
                    if dialog is not None and isinstance(dialog.state, dict)
                    else None
                )
                found[user] = PersonalConversation(
                    reference=reference_of(row),
                    installed_at=as_utc(row.installed_at),
                    removed_at=as_utc(row.removed_at),
                    dialog_kind=str(kind) if kind else None,
                    dialog_updated_at=as_utc(dialog.updated_at) if dialog is not None else None,
                    blocked_since=blocked.get(user),
                )
            return found

        return await self._run(work)

    async def queue_channel(self, queue: str) -> ConversationReference | None:
        def work() -> ConversationReference | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(conversations)
                    .join(
                        queue_channels,
                        queue_channels.c.conversation_id == conversations.c.conversation_id,
                    )
                    .where(queue_channels.c.queue == queue)
                ).first()
            return None if row is None else reference_of(row)

        return await self._run(work)

    # -- admins and tests --------------------------------------------------------------

    async def rows(
        self, state: str | None = None, number: str | None = None
    ) -> list[dict[str, Any]]:
        def work() -> list[dict[str, Any]]:
            query = (
                sa.select(notifications, tickets.c.number)
                .join(tickets, tickets.c.id == notifications.c.ticket_id)
                .order_by(notifications.c.id)
            )
            if state is not None:
                query = query.where(notifications.c.state == state)
            if number is not None:
                query = query.where(tickets.c.number == number)
            with self._engine.connect() as connection:
                return [dict(r._mapping) for r in connection.execute(query)]

        return await self._run(work)

    async def unreachable_people(self) -> list[dict[str, Any]]:
        def work() -> list[dict[str, Any]]:
            query = sa.select(unreachable_recipients).order_by(unreachable_recipients.c.since)
            with self._engine.connect() as connection:
                return [dict(r._mapping) for r in connection.execute(query)]

        return await self._run(work)

    async def requeue(self, row_id: int) -> bool:
        """Put a failed, unconfirmed or unreachable row back in line; False otherwise."""

        def work() -> bool:
            with self._engine.begin() as connection:
                return (
                    connection.execute(
                        notifications.update()
                        .where(
                            notifications.c.id == row_id,
                            notifications.c.state.in_(
                                [
                                    RowState.FAILED.value,
                                    RowState.UNCONFIRMED.value,
                                    RowState.UNREACHABLE.value,
                                ]
                            ),
                        )
                        .values(
                            state=RowState.PENDING.value,
                            attempts=0,
                            claimed_until=None,
                            due_at=self._clock.now(),
                        )
                    ).rowcount
                    == 1
                )

        return await self._run(work)

    async def next_due(self) -> datetime | None:
        """The earliest due time of a pending row (to wake the scheduler then)."""

        def work() -> datetime | None:
            with self._engine.connect() as connection:
                value = connection.execute(
                    sa.select(notifications.c.due_at)
                    .where(notifications.c.state == RowState.PENDING.value)
                    .order_by(notifications.c.due_at)
                    .limit(1)
                ).scalar()
            return as_utc(value)

        return await self._run(work)
