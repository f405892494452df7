"""Teams' send limits kept in the database, so that every process shares them.

Teams allows about 50 proactive messages per second per app and tenant, and 1,800 per
hour per conversation. Each limit is a token bucket, kept as GCRA (the generic cell rate
algorithm): one row per key (``t:<tenant>``, ``c:<conversation>``) holding the bucket's
theoretical arrival time ``tat``. With ``interval`` = 1 / rate and a burst of ``b``, a
send may go at ``max(tat, now) - (b - 1) * interval`` and moves ``tat`` on by one
interval. Over any window of ``w`` seconds a key then gets at most ``w * rate + b``
sends, however many processes share the table.

``reserve`` takes the slots for a whole group of sends (the dispatcher's 32 at a time)
in **one statement**: a multi-row ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING``
that moves each key's ``tat`` on by its number of sends, unless the first slot lies
further ahead than the key's ``lead`` allows (the conversation's bucket is empty, or the
tenant is paused or booked up beyond ``max_wait``); such keys are not returned and their
sends are refused with the time there is room again. Keys are taken in sorted order, so
two processes never deadlock. PostgreSQL's clock (``statement_timestamp()``) is the one
clock, so hosts with skewed clocks still share one budget; a statement that waited for a
row lock uses its older start time, which only makes the waits longer. SQLite is one
process: Python's clock.

A slot that is reserved but not used (a refused partner key, a lost lease) is simply
lost: the budget errs on the side of sending less. Rows whose ``tat`` has passed are full
buckets, the same as no row, and are deleted now and then.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from servicedesk.notifications import SendSlot
from servicedesk.persistence.base import SqlStore
from servicedesk.persistence.database import send_budget

PER_CONVERSATION_PER_HOUR = 1800  # Teams: 1,800 operations per 3,600 s per thread
CONVERSATION_BURST = 7  # Teams: 7 per second per thread
PRUNE_SECONDS = 60.0
_NO_FLUSH = sa.text("SET LOCAL synchronous_commit = off")
_NOW = "extract(epoch FROM statement_timestamp())::float8"  # one value per statement
_TAKE_POSTGRESQL = sa.text(
    f"""
    INSERT INTO send_budget AS b (key, tat, lead)
    SELECT u.key, {_NOW} + u.cost, u.lead
    FROM unnest(CAST(:keys AS text[]), CAST(:costs AS float8[]), CAST(:leads AS float8[]))
        AS u(key, cost, lead)
    ORDER BY u.key
    ON CONFLICT (key) DO UPDATE
        SET tat = greatest(b.tat, {_NOW}) + (excluded.tat - {_NOW}), lead = excluded.lead
        WHERE greatest(b.tat, {_NOW}) - excluded.lead <= {_NOW}
    RETURNING b.key, b.tat, {_NOW} AS now
    """
)


@functools.lru_cache(maxsize=64)
def _take_sqlite(rows: int) -> sa.TextClause:
    values = ", ".join(f"(:k{n}, :now + :c{n}, :l{n})" for n in range(rows))
    return sa.text(
        f"""
        INSERT INTO send_budget AS b (key, tat, lead) VALUES {values}
        ON CONFLICT (key) DO UPDATE
            SET tat = max(b.tat, :now) + (excluded.tat - :now), lead = excluded.lead
            WHERE max(b.tat, :now) - excluded.lead <= :now
        RETURNING key, tat, :now AS now
        """
    )


def _database_now(connection: Connection) -> float:
    if connection.dialect.name == "postgresql":
        return float(connection.execute(sa.text(f"SELECT {_NOW}")).scalar_one())
    return time.time()


@dataclass(frozen=True, slots=True)
class Bucket:
    """``burst`` sends at once, then one per ``interval`` seconds; a reservation may be
    at most ``max_wait`` seconds ahead of now."""

    interval: float
    burst: int
    max_wait: float

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval

    @property
    def lead(self) -> float:
        return self.tolerance + self.max_wait


class SqlSendBudget(SqlStore):
    """``servicedesk.notifications.SendBudget`` on SQLAlchemy (PostgreSQL or SQLite).

    ``rate`` sends per second per tenant (0: no tenant limit) with ``burst`` at once;
    per conversation 1,800 an hour, 7 at once (so never more than 1,800 in any hour).
    A tenant's sends may be booked up to ``max_wait`` seconds ahead; a conversation's
    only when there is room now."""

    what = "send budget"

    def __init__(
        self,
        engine: Engine,
        rate: float,
        burst: int = 10,
        *,
        per_conversation_per_hour: int = PER_CONVERSATION_PER_HOUR,
        conversation_burst: int = CONVERSATION_BURST,
        max_wait: float = 10.0,
    ) -> None:
        super().__init__(engine)
        self.tenant = Bucket(1.0 / rate, max(1, burst), max_wait) if rate > 0 else None
        self.conversation = Bucket(
            3600.0 / max(1, per_conversation_per_hour - conversation_burst),
            max(1, conversation_burst),
            0.0,
        )
        self._pruned = 0.0

    def _bucket(self, key: str) -> Bucket:
        if key.startswith("t:") and self.tenant is not None:
            return self.tenant
        return self.conversation

    async def reserve(self, sends: Sequence[tuple[str, str]]) -> list[SendSlot]:
        if not sends:
            return []
        keys = [
            ([f"t:{tenant}"] if self.tenant is not None else []) + [f"c:{conversation}"]
            for tenant, conversation in sends
        ]
        counts = Counter(key for pair in keys for key in pair)

        def work() -> tuple[dict[str, float], dict[str, float], float]:
            with self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # soft state: a crash may forget the last milliseconds of bookings (a
                    # burst more at worst), so the commit need not wait for the disk
                    connection.execute(_NO_FLUSH)
                granted, now = self._take(connection, counts)
                refused = (
                    {
                        row.key: row.tat - row.lead - now + 0.001
                        for row in connection.execute(
                            sa.select(
                                send_budget.c.key, send_budget.c.tat, send_budget.c.lead
                            ).where(send_budget.c.key.in_(sorted(set(counts) - set(granted))))
                        )
                    }
                    if len(granted) < len(counts)
                    else {}
                )
                if now - self._pruned > PRUNE_SECONDS:
                    self._pruned = now
                    connection.execute(send_budget.delete().where(send_budget.c.tat < now))
            return granted, refused, now

        granted, refused, now = await self._run(work)
        # the i-th of a key's n sends gets the slot tat0 + i * interval - tolerance
        taken: Counter[str] = Counter()
        slots: list[SendSlot] = []
        for pair in keys:
            waits: list[float] = []
            blocked: float | None = None
            for key in pair:
                bucket = self._bucket(key)
                index = taken[key]
                taken[key] += 1
                if key not in granted:
                    blocked = max(blocked or 0.0, refused.get(key, bucket.interval))
                    continue
                first = granted[key] - counts[key] * bucket.interval
                waits.append(first + index * bucket.interval - bucket.tolerance - now)
            if blocked is not None:
                slots.append(SendSlot(None, max(blocked, 0.001)))
            else:
                slots.append(SendSlot(max(0.0, *waits)))
        return slots

    def _take(self, connection: Connection, counts: Counter[str]) -> tuple[dict[str, float], float]:
        """One statement: each key's ``tat`` moved on by its count, unless the key is
        booked too far ahead. Returns the new ``tat`` of the keys granted, and now."""
        keys = sorted(counts)
        costs = [counts[key] * self._bucket(key).interval for key in keys]
        leads = [self._bucket(key).lead for key in keys]
        if connection.dialect.name == "postgresql":  # one fixed statement, arrays bound
            result = connection.execute(
                _TAKE_POSTGRESQL, {"keys": keys, "costs": costs, "leads": leads}
            )
        else:  # SQLite: the same statement over VALUES, Python's clock
            values: dict[str, Any] = {"now": time.time()}
            for n, (key, cost, lead) in enumerate(zip(keys, costs, leads, strict=True)):
                values.update({f"k{n}": key, f"c{n}": cost, f"l{n}": lead})
            result = connection.execute(_take_sqlite(len(keys)), values)
        granted: dict[str, float] = {}
        moment: float | None = None
        for row in result:
            granted[row.key] = float(row.tat)
            moment = float(row.now)
        if moment is None:
            moment = _database_now(connection)
        return granted, moment

    async def pause(self, tenant: str, seconds: float) -> None:
        """No send to ``tenant`` before ``seconds`` from now (every process)."""
        bucket = self.tenant or Bucket(0.0, 1, 0.0)
        key = f"t:{tenant}"

        def work() -> None:
            with self._engine.begin() as connection:
                postgres = connection.dialect.name == "postgresql"
                if postgres:
                    now: Any = sa.cast(
                        sa.func.extract("epoch", sa.func.statement_timestamp()), sa.Double
                    )
                    statement: Any = postgresql.insert(send_budget)
                    greatest: Any = sa.func.greatest
                else:
                    now = sa.literal(time.time(), sa.Double)
                    statement = sqlite.insert(send_budget)
                    greatest = sa.func.max
                statement = statement.values(
                    key=key, tat=now + seconds + bucket.tolerance, lead=bucket.lead
                )
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[send_budget.c.key],
                        set_={"tat": greatest(send_budget.c.tat, statement.excluded.tat)},
                    )
                )

        await self._run(work)
