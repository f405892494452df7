"""Hot reload: the running bot picks up edited knowledge files within seconds.

``KnowledgeHolder`` keeps one ``Snapshot`` (knowledge plus its matcher) and swaps
it in a single assignment, so a message is always answered from one consistent
version. A reload that fails validation keeps the last good snapshot serving and
records the problems for the log and ``/readyz``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
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


_BUILT: dict[tuple[str, tuple[tuple[str, int, int], ...]], Snapshot] = {}
_BUILT_LOCK = threading.Lock()
_BUILT_KEEP = 4


def _snapshot_of(folder: Path, seen: tuple[tuple[str, int, int], ...]) -> Snapshot:
    """The snapshot of ``folder`` as it was when ``seen`` was taken, built once per process:
    several apps in one process (the tests, ``frontoffice eval``) reading the same unchanged
    folder share one knowledge and matcher (both are read-only once built) instead of
    spending half a second each. An edit changes the fingerprint, and so the key."""
    key = (str(folder.resolve()), seen)
    with _BUILT_LOCK:
        built = _BUILT.get(key)
    if built is not None:
        return replace(built, loaded_at=datetime.now(UTC))
    snapshot = build_snapshot(folder)
    if fingerprint(folder) == seen:  # not edited while it was being read
        with _BUILT_LOCK:
            while len(_BUILT) >= _BUILT_KEEP:
                _BUILT.pop(next(iter(_BUILT)))
            _BUILT[key] = snapshot
    return snapshot


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
        snapshot = _snapshot_of(self.folder, seen)
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
            snapshot = _snapshot_of(self.folder, seen)
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
