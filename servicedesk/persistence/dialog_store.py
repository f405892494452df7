"""Dialog state per conversation (SQLite or PostgreSQL).

The state of an unfinished conversation (an intake halfway, a question awaiting
"yes") lives in the database, not in the process: after a restart, or on another
replica, the next message continues where the last one stopped. Writes carry the
version they read; a concurrent write in the same conversation is refused with
``ConcurrentUpdate`` instead of silently overwriting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import dialogs
from servicedesk.persistence.ticket_store import ConcurrentUpdate

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredDialog:
    state: dict[str, Any]
    version: int
    updated_at: datetime


class SqlDialogStore(SqlStore):
    what = "dialog store"

    async def load(self, conversation_id: str) -> StoredDialog | None:
        def work() -> StoredDialog | None:
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(dialogs).where(dialogs.c.conversation_id == conversation_id)
                ).first()
            if row is None:
                return None
            return StoredDialog(dict(row.state), int(row.version), row.updated_at)

        return await self._run(work)

    async def save(
        self,
        conversation_id: str,
        user_id: str,
        state: dict[str, Any],
        version: int,
        now: datetime,
    ) -> int:
        """Write the state read at ``version`` (0: there was none); returns the new version."""

        def work() -> int:
            with self._engine.begin() as connection:
                if version == 0:
                    try:
                        connection.execute(
                            dialogs.insert().values(
                                conversation_id=conversation_id,
                                user_id=user_id,
                                state=state,
                                version=1,
                                updated_at=now,
                            )
                        )
                    except sa.exc.IntegrityError as exc:
                        raise ConcurrentUpdate(conversation_id) from exc
                    return 1
                changed = connection.execute(
                    dialogs.update()
                    .where(
                        dialogs.c.conversation_id == conversation_id,
                        dialogs.c.version == version,
                    )
                    .values(state=state, version=version + 1, updated_at=now, user_id=user_id)
                ).rowcount
                if changed != 1:
                    raise ConcurrentUpdate(conversation_id)
                return version + 1

        return await self._run(work)

    async def clear(self, conversation_id: str) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(
                    dialogs.delete().where(dialogs.c.conversation_id == conversation_id)
                )

        await self._run(work)

    async def purge_older_than(self, moment: datetime) -> int:
        """Forget dialogs left before ``moment`` (what people typed is personal data)."""

        def work() -> int:
            with self._engine.begin() as connection:
                return int(
                    connection.execute(
                        dialogs.delete().where(dialogs.c.updated_at < moment)
                    ).rowcount
                )

        return await self._run(work)
