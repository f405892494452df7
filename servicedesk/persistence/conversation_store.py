"""``ConversationStore`` on SQLAlchemy (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from servicedesk.conversations import (
    ConversationKind,
    ConversationReference,
    StoredConversation,
)
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import conversations

T = TypeVar("T")

_REFERENCE_COLUMNS = (
    "kind",
    "service_url",
    "channel_id",
    "bot_id",
    "tenant_id",
    "user_id",
    "team_id",
    "teams_channel_id",
    "locale",
)


def reference_of(row: Any) -> ConversationReference:
    """A ``conversations`` row as the reference it stores."""
    return ConversationReference(
        conversation_id=row.conversation_id,
        kind=ConversationKind(row.kind),
        service_url=row.service_url,
        channel_id=row.channel_id,
        bot_id=row.bot_id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        team_id=row.team_id,
        teams_channel_id=row.teams_channel_id,
        locale=row.locale,
    )


class SqlConversationStore(SqlStore):
    what = "conversation store"

    def _upsert(self, reference: ConversationReference, extra: dict[str, Any]) -> None:
        values: dict[str, Any] = {
            "conversation_id": reference.conversation_id,
            "kind": reference.kind.value,
            "service_url": reference.service_url,
            "channel_id": reference.channel_id,
            "bot_id": reference.bot_id,
            "tenant_id": reference.tenant_id,
            "user_id": reference.user_id,
            "team_id": reference.team_id,
            "teams_channel_id": reference.teams_channel_id,
            "locale": reference.locale,
            "updated_at": self._clock.now(),
            **extra,
        }
        dialect = self._engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(conversations).values(**values)
        update: dict[str, Any] = {
            name: statement.excluded[name] for name in (*_REFERENCE_COLUMNS, "updated_at")
        }
        # Keep what we knew when a later activity lacks it (e.g. no locale on an invoke).
        for name in ("tenant_id", "user_id", "team_id", "teams_channel_id", "locale"):
            update[name] = sa.func.coalesce(statement.excluded[name], conversations.c[name])
        update.update({key: statement.excluded[key] for key in extra})
        statement = statement.on_conflict_do_update(
            index_elements=[conversations.c.conversation_id], set_=update
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    async def remember(self, reference: ConversationReference) -> None:
        await self._run(lambda: self._upsert(reference, {}))

    async def record_installation(self, reference: ConversationReference) -> None:
        def work() -> None:
            now = self._clock.now()
            with self._engine.begin() as connection:
                removed = connection.execute(
                    sa.select(conversations.c.removed_at, conversations.c.installed_at).where(
                        conversations.c.conversation_id == reference.conversation_id
                    )
                ).first()
            if removed is None or removed.removed_at is not None or removed.installed_at is None:
                self._upsert(reference, {"installed_at": now, "removed_at": None})
            else:
                self._upsert(reference, {})

        await self._run(work)

    async def record_removal(self, conversation_id: str) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(
                    conversations.update()
                    .where(conversations.c.conversation_id == conversation_id)
                    .values(removed_at=self._clock.now(), welcomed_at=None)
                )

        await self._run(work)

    async def claim_welcome(self, conversation_id: str) -> bool:
        def work() -> bool:
            with self._engine.begin() as connection:
                result = connection.execute(
                    conversations.update()
                    .where(
                        conversations.c.conversation_id == conversation_id,
                        conversations.c.welcomed_at.is_(None),
                        conversations.c.removed_at.is_(None),
                    )
                    .values(welcomed_at=self._clock.now())
                )
                return result.rowcount == 1

        return await self._run(work)

    async def get(self, conversation_id: str) -> StoredConversation | None:
        def work() -> StoredConversation | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(conversations).where(
                        conversations.c.conversation_id == conversation_id
                    )
                ).first()
            if row is None:
                return None
            return StoredConversation(
                reference=reference_of(row),
                installed_at=row.installed_at,
                removed_at=row.removed_at,
                welcomed_at=row.welcomed_at,
            )

        return await self._run(work)
