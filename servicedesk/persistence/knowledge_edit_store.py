"""The record of knowledge edits made on the desk console (table ``knowledge_edits``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import knowledge_edits


@dataclass(frozen=True, slots=True)
class KnowledgeEdit:
    at: datetime
    actor_id: str
    actor_name: str
    file: str  # relative to the knowledge folder: "products/storing.lekkage.yaml"
    kind: str  # phrasing | faq_question | faq_new
    product: str
    text: str | None  # emptied by the retention purge


class SqlKnowledgeEdits(SqlStore):
    what = "knowledge edits"

    async def record(self, edit: KnowledgeEdit) -> None:
        def work() -> None:
            with self._engine.begin() as connection:
                connection.execute(
                    knowledge_edits.insert().values(
                        at=edit.at,
                        actor_id=edit.actor_id,
                        actor_name=edit.actor_name,
                        file=edit.file,
                        kind=edit.kind,
                        product=edit.product,
                        text=edit.text,
                    )
                )

        await self._run(work)

    async def recent(self, limit: int = 20) -> list[KnowledgeEdit]:
        def work() -> list[KnowledgeEdit]:
            query = (
                sa.select(knowledge_edits)
                .order_by(knowledge_edits.c.at.desc(), knowledge_edits.c.id.desc())
                .limit(limit)
            )
            with self._engine.connect() as connection:
                return [
                    KnowledgeEdit(
                        at=row.at,
                        actor_id=row.actor_id,
                        actor_name=row.actor_name,
                        file=row.file,
                        kind=row.kind,
                        product=row.product,
                        text=row.text,
                    )
                    for row in connection.execute(query)
                ]

        return await self._run(work)
