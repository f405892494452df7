"""Retention (AVG/GDPR): personal data of finished tickets is removed after a period,
while the figures stay reportable.

``SqlPrivacy.purge(cutoff)`` anonymises every ticket that is finished (resolved, closed
or cancelled) and was last changed before ``cutoff``:

- the requester's id, name and e-mail address, and the assignee, are replaced by
  ``ANONYMOUS`` (an Entra object id is personal data too; no report needs to know who);
- of the ticket's fields only those figures need are kept: ``persons``, ``cost_centre``,
  ``when`` and, from ``location``, the building when it names one of ``buildings``;
  ``description``, ``visitors``, ``plate`` and the rest of the location go;
- in the trail, notes are emptied and every actor except the system's is anonymised;
  of an event's data only what is not personal stays (channel, priority, dates,
  queues, external id);
- followers are deleted, and so is the last error of its outbox jobs (it may quote
  a back office's answer).

Outside tickets: dialog state older than ``cutoff`` is deleted, and the question and
FAQ-vote texts kept for admins are emptied, and so are the text and the actor of
the knowledge edits made on the desk console. Product, queue, priority, channel, status,
the times and deadlines stay, so every figure of a report is the same after a purge.

``dry_run=True`` counts what would go and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import (
    dialogs,
    faq_votes,
    knowledge_edits,
    outbox,
    questions,
    ticket_events,
    ticket_followers,
    tickets,
)
from servicedesk.tickets import Status

ANONYMOUS = "anonymised"
FINISHED = (Status.RESOLVED.value, Status.CLOSED.value, Status.CANCELLED.value)
KEPT_FIELDS = ("persons", "cost_centre", "when")
KEPT_EVENT_DATA = (
    "channel", "priority", "expected", "from", "to", "external_id", "rating", "solved",
)  # fmt: skip
# a rating stays a figure; its comment is free text and goes
SYSTEM_PREFIX = "system:"


@dataclass(frozen=True, slots=True)
class PurgeSummary:
    """What a purge removed (or, in a dry run, would remove)."""

    tickets: int = 0
    events: int = 0
    followers: int = 0
    outbox_errors: int = 0
    dialogs: int = 0
    question_texts: int = 0
    vote_texts: int = 0
    knowledge_edits: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def anonymous_fields(fields: dict[str, Any], buildings: Sequence[str]) -> dict[str, Any]:
    kept = {k: v for k, v in fields.items() if k in KEPT_FIELDS}
    location = str(fields.get("location") or "").lower()
    building = next((b for b in buildings if b.lower() in location), None) if location else None
    if building is not None:
        kept["location"] = building
    return kept


class SqlPrivacy(SqlStore):
    what = "privacy"

    async def purge(
        self, cutoff: datetime, *, buildings: Sequence[str] = (), dry_run: bool = False
    ) -> PurgeSummary:
        def work() -> PurgeSummary:
            with self._engine.begin() as connection:
                return self._purge(connection, cutoff.astimezone(UTC), buildings, dry_run)

        return await self._run(work)

    def _purge(
        self, connection: Connection, cutoff: datetime, buildings: Sequence[str], dry_run: bool
    ) -> PurgeSummary:
        due = connection.execute(
            sa.select(tickets.c.id, tickets.c.fields).where(
                tickets.c.status.in_(FINISHED),
                tickets.c.updated_at < cutoff,
                tickets.c.requester_id != ANONYMOUS,
            )
        ).all()
        ids = [row.id for row in due]
        events = self._count(connection, ticket_events, ticket_events.c.ticket_id, ids)
        followers = self._count(connection, ticket_followers, ticket_followers.c.ticket_id, ids)
        errors = self._count(
            connection, outbox, outbox.c.ticket_id, ids, outbox.c.last_error.is_not(None)
        )
        stale_dialogs = dialogs.c.updated_at < cutoff
        question_texts = sa.and_(questions.c.at < cutoff, questions.c.text.is_not(None))
        vote_texts = sa.and_(faq_votes.c.at < cutoff, faq_votes.c.text.is_not(None))
        old_edits = sa.and_(knowledge_edits.c.at < cutoff, knowledge_edits.c.actor_id != ANONYMOUS)
        summary = PurgeSummary(
            tickets=len(ids),
            events=events,
            followers=followers,
            outbox_errors=errors,
            dialogs=self._count_where(connection, dialogs, stale_dialogs),
            question_texts=self._count_where(connection, questions, question_texts),
            vote_texts=self._count_where(connection, faq_votes, vote_texts),
            knowledge_edits=self._count_where(connection, knowledge_edits, old_edits),
        )
        if dry_run:
            return summary
        if due:
            connection.execute(
                tickets.update()
                .where(tickets.c.id == sa.bindparam("row_id"))
                .values(
                    requester_id=ANONYMOUS,
                    requester_name="",
                    requester_email="",
                    assignee_id=sa.case((tickets.c.assignee_id.is_(None), None), else_=ANONYMOUS),
                    assignee_name=None,
                    fields=sa.bindparam("new_fields", type_=tickets.c.fields.type),
                ),
                [
                    {
                        "row_id": row.id,
                        "new_fields": anonymous_fields(dict(row.fields or {}), buildings),
                    }
                    for row in due
                ],
            )
        for chunk in _chunks(ids):
            trail = connection.execute(
                sa.select(ticket_events.c.id, ticket_events.c.actor_id, ticket_events.c.data).where(
                    ticket_events.c.ticket_id.in_(chunk)
                )
            ).all()
            if trail:
                connection.execute(
                    ticket_events.update()
                    .where(ticket_events.c.id == sa.bindparam("event_id"))
                    .values(
                        note="",
                        actor_id=sa.bindparam("new_actor_id"),
                        actor_name=sa.bindparam("new_actor_name"),
                        data=sa.bindparam("new_data", type_=ticket_events.c.data.type),
                    ),
                    [_anonymous_event(event) for event in trail],
                )
            connection.execute(
                ticket_followers.delete().where(ticket_followers.c.ticket_id.in_(chunk))
            )
            connection.execute(
                outbox.update().where(outbox.c.ticket_id.in_(chunk)).values(last_error=None)
            )
        connection.execute(dialogs.delete().where(stale_dialogs))
        connection.execute(questions.update().where(question_texts).values(text=None))
        connection.execute(faq_votes.update().where(vote_texts).values(text=None))
        connection.execute(
            knowledge_edits.update()
            .where(old_edits)
            .values(text=None, actor_id=ANONYMOUS, actor_name="")
        )
        return summary

    @staticmethod
    def _count(
        connection: Connection, table: sa.Table, column: Any, ids: list[int], *extra: Any
    ) -> int:
        total = 0
        for chunk in _chunks(ids):
            total += int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(table).where(column.in_(chunk), *extra)
                ).scalar_one()
            )
        return total

    @staticmethod
    def _count_where(connection: Connection, table: sa.Table, condition: Any) -> int:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(table).where(condition)
            ).scalar_one()
        )


def _anonymous_event(event: Any) -> dict[str, Any]:
    system = str(event.actor_id).startswith(SYSTEM_PREFIX)
    return {
        "event_id": event.id,
        "new_actor_id": event.actor_id if system else ANONYMOUS,
        "new_actor_name": event.actor_id.removeprefix(SYSTEM_PREFIX) if system else "",
        "new_data": {k: v for k, v in dict(event.data or {}).items() if k in KEPT_EVENT_DATA},
    }


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
