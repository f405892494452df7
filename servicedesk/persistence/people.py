"""Known employees, for the desk's caller look-up: the requesters and followers of earlier
tickets, found by a fragment of their name or e-mail address (case-insensitive), and the
people with a stored personal chat, found by their exact id. Never logs names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from servicedesk.conversations import ConversationKind
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import conversations, ticket_followers, tickets
from servicedesk.persistence.privacy import ANONYMOUS

LIMIT = 20
MIN_FRAGMENT = 2  # a single letter finds half the organisation


@dataclass(frozen=True, slots=True)
class KnownPerson:
    id: str
    name: str
    email: str
    language: str


def _like(fragment: str) -> str:
    escaped = fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlPeople(SqlStore):
    what = "people"

    async def find(self, fragment: str, limit: int = LIMIT) -> list[KnownPerson]:
        """People whose name or e-mail contains ``fragment`` (or whose id is it), the most
        recently seen first, each once, at most ``limit``."""
        fragment = fragment.strip()[:200]
        if len(fragment) < MIN_FRAGMENT:
            return []

        def work() -> list[KnownPerson]:
            pattern = _like(fragment)
            found: dict[str, tuple[Any, KnownPerson]] = {}

            def keep(when: Any, person: KnownPerson) -> None:
                known = found.get(person.id)
                if known is None or (when is not None and (known[0] is None or when > known[0])):
                    found[person.id] = (when, person)

            with self._engine.connect() as connection:
                t = tickets.c
                rows = connection.execute(
                    sa.select(
                        t.requester_id,
                        t.requester_name,
                        t.requester_email,
                        t.requester_language,
                        sa.func.max(t.created_at).label("seen"),
                    )
                    .where(
                        t.requester_id != ANONYMOUS,  # forgotten after the retention period
                        sa.or_(
                            sa.func.lower(t.requester_name).like(pattern, escape="\\"),
                            sa.func.lower(t.requester_email).like(pattern, escape="\\"),
                            t.requester_id == fragment,
                        )
                    )
                    .group_by(
                        t.requester_id, t.requester_name, t.requester_email, t.requester_language
                    )
                    .order_by(sa.desc("seen"))
                    .limit(limit * 5)
                )
                for row in rows:
                    keep(row.seen, KnownPerson(*row[:4]))
                f = ticket_followers.c
                rows = connection.execute(
                    sa.select(
                        f.follower_id,
                        f.name,
                        f.email,
                        f.language,
                        sa.func.max(f.added_at).label("seen"),
                    )
                    .where(
                        sa.or_(
                            sa.func.lower(f.name).like(pattern, escape="\\"),
                            sa.func.lower(f.email).like(pattern, escape="\\"),
                            f.follower_id == fragment,
                        )
                    )
                    .group_by(f.follower_id, f.name, f.email, f.language)
                    .order_by(sa.desc("seen"))
                    .limit(limit * 5)
                )
                for row in rows:
                    keep(row.seen, KnownPerson(*row[:4]))
                if fragment not in found:
                    chat = connection.execute(
                        sa.select(conversations.c.user_id, conversations.c.locale)
                        .where(
                            conversations.c.user_id == fragment,
                            conversations.c.kind == ConversationKind.PERSONAL.value,
                        )
                        .limit(1)
                    ).first()
                    if chat is not None:
                        language = "en" if (chat.locale or "").lower().startswith("en") else "nl"
                        keep(None, KnownPerson(fragment, "", "", language))
            newest = sorted(
                found.values(),
                key=lambda p: (-(p[0].timestamp() if p[0] else 0.0), p[1].name.lower()),
            )
            return [person for _, person in newest[:limit]]

        return await self._run(work)

    async def get(self, person_id: str) -> KnownPerson | None:
        """The person with exactly this id, as last seen on a ticket (or a chat only)."""
        person_id = person_id.strip()
        if not person_id:
            return None
        for person in await self.find(person_id, limit=LIMIT):
            if person.id == person_id:
                return person
        return None

    async def by_email(self, email: str) -> KnownPerson | None:
        """The person last seen with exactly this e-mail address (case-insensitive)."""
        email = email.strip().lower()
        if not email:
            return None
        for person in await self.find(email, limit=LIMIT):
            if person.email.lower() == email:
                return person
        return None
