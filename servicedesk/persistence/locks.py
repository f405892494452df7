"""Background work that one process at a time should do, when several share PostgreSQL.

``one_at_a_time(engine, name)`` takes a PostgreSQL session advisory lock without waiting
(``pg_try_advisory_lock``) on a connection of its own and says whether this process got
it; the lock goes when the block ends, or with the connection when the process dies.
Used for back-office polling (two pollers applying updates to one ticket at once would
lose one to the version check) and the insight work (the weekly card, the retention
purge). SQLite is one process: always yes.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

NAMESPACE = 0x666F  # "fo": the first key of every advisory lock of this app


def lock_key(name: str) -> int:
    """A stable 32-bit signed key for ``name``."""
    key = zlib.crc32(name.encode("utf-8"))
    return key - 2**32 if key >= 2**31 else key


@asynccontextmanager
async def one_at_a_time(engine: Engine, name: str) -> AsyncIterator[bool]:
    """``async with one_at_a_time(engine, "backoffice-poll") as mine: if mine: …``"""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = {"ns": NAMESPACE, "key": lock_key(name)}
    connection = await asyncio.to_thread(engine.connect)
    try:

        def take() -> bool:
            got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:ns, :key)"), key)
            mine = bool(got.scalar())
            connection.commit()  # a session lock: it outlives the transaction
            return mine

        def give_back() -> None:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:ns, :key)"), key)
            connection.commit()

        mine = await asyncio.to_thread(take)
        try:
            yield mine
        finally:
            if mine:
                await asyncio.to_thread(give_back)
    finally:
        await asyncio.to_thread(connection.close)
