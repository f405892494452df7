"""Hot reload: the running bot picks up edited knowledge files within seconds.

``KnowledgeHolder`` keeps one ``Snapshot`` (knowledge plus its matcher) and swaps
it in a single assignment, so a message is always answered from one consistent
version. A reload that fails validation keeps the last good snapshot serving and
records the problems for the log and ``/readyz``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from knowledge.loader import Knowledge, check_knowledge, fingerprint
from knowledge.matcher import Matcher
from servicedesk.errors import KnowledgeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    knowledge: Knowledge
    matcher: Matcher
    loaded_at: datetime


@dataclass(frozen=True)
class ReloadStatus:
    loaded_at: datetime | None
    products: int
    problems: tuple[str, ...]  # of the last failed attempt, empty when the files are good
    failed_at: datetime | None


def build_snapshot(folder: Path) -> Snapshot:
    knowledge, problems = check_knowledge(folder)
    if knowledge is None:
        raise KnowledgeError(problems)
    return Snapshot(knowledge, Matcher(knowledge), datetime.now(UTC))


class KnowledgeHolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._snapshot: Snapshot | None = None
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._problems: tuple[str, ...] = ()
        self._failed_at: datetime | None = None

    def load(self) -> Snapshot:
        """First load: raises ``KnowledgeError`` when the folder is invalid."""
        seen = fingerprint(self.folder)
        snapshot = build_snapshot(self.folder)
        self._snapshot, self._seen = snapshot, seen
        log.info("knowledge loaded", extra={"products": len(snapshot.knowledge.products)})
        return snapshot

    def current(self) -> Snapshot:
        if self._snapshot is None:
            return self.load()
        return self._snapshot

    def changed(self) -> bool:
        return fingerprint(self.folder) != self._seen

    def reload_if_changed(self) -> bool:
        """Reload when a file changed; True when a new snapshot was swapped in.

        Blocking (it validates and builds an index): call it off the event loop.
        """
        seen = fingerprint(self.folder)
        if seen == self._seen:
            return False
        self._seen = seen
        try:
            snapshot = build_snapshot(self.folder)
        except KnowledgeError as exc:
            self._problems = tuple(exc.problems)
            self._failed_at = datetime.now(UTC)
            log.error(
                "knowledge reload rejected; the last good knowledge keeps serving",
                extra={"problems": list(exc.problems[:20]), "count": len(exc.problems)},
            )
            return False
        self._snapshot = snapshot
        self._problems, self._failed_at = (), None
        log.info("knowledge reloaded", extra={"products": len(snapshot.knowledge.products)})
        return True

    def status(self) -> ReloadStatus:
        snapshot = self._snapshot
        return ReloadStatus(
            loaded_at=snapshot.loaded_at if snapshot else None,
            products=len(snapshot.knowledge.products) if snapshot else 0,
            problems=self._problems,
            failed_at=self._failed_at,
        )
