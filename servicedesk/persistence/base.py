"""What every SQL store shares: blocking SQLAlchemy work off the event loop, and
driver errors turned into ``StoreError``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from servicedesk.clock import Clock, SystemClock
from servicedesk.errors import StoreError

T = TypeVar("T")


class SqlStore:
    what: ClassVar[str] = "store"  # named in errors: "ticket store: OperationalError"

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()

    async def _run(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(work)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"{self.what}: {type(exc).__name__}") from exc
