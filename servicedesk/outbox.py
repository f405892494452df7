"""The outbox worker: delivers committed tickets to their back office, exactly once.

Every delivery job was committed with its ticket. The worker claims due jobs
(a lease, so a crashed worker's jobs come back), calls the back office with the
job's idempotency key, and marks the job done. Temporary failures are retried
with exponential backoff and full jitter (or the back office's Retry-After);
after ``max_attempts`` the job is ``failed`` and shows up for admins. A crash
between "delivered" and "marked done" only leads to a retry with the same key,
which the adapters make harmless.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from servicedesk.backoffice import BackOffice, BackOfficeRejected, BackOfficeUnavailable
from servicedesk.clock import Clock
from servicedesk.persistence.ticket_store import OutboxJob, SqlTicketStore
from servicedesk.tickets import Ticket

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 20  # with the defaults: about 3 hours of trying
    base_seconds: float = 2.0
    max_seconds: float = 900.0
    lease_seconds: float = 120.0  # a claimed job is reserved this long (a crash: then retried)

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Full jitter: a random wait up to base x 2^(attempts-1), capped."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return rng.uniform(ceiling / 2, ceiling)


class OutboxWorker:
    def __init__(
        self,
        store: SqlTicketStore,
        backoffices: Mapping[str, BackOffice],
        clock: Clock,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._backoffices = backoffices
        self._clock = clock
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    async def run_once(self, limit: int = 20) -> int:
        """Deliver what is due now; returns how many jobs were finished."""
        jobs = await self._store.claim_due(
            self._clock.now(), limit, timedelta(seconds=self.policy.lease_seconds)
        )
        done = 0
        for job in jobs:
            done += await self._deliver(job)
        return done

    async def _deliver(self, job: OutboxJob) -> int:
        ticket = await self._store.get_by_id(job.ticket_id)
        if ticket is None:
            await self._store.fail(job, "ticket not found")
            return 0
        name = await self._backoffice_name(ticket.number)
        backoffice = self._backoffices.get(name)
        if backoffice is None:
            await self._store.fail(job, f"no back office called {name!r} is configured")
            log.error("delivery failed: unknown back office", extra={"ticket": ticket.number})
            return 0
        if job.kind == "push":
            return await self._push(job, ticket, backoffice, name)
        delivered = await self._attempt(
            job, ticket.number, name, lambda: backoffice.deliver(ticket, job.idempotency_key)
        )
        if delivered is None:
            return 0
        now = self._clock.now()
        ticket.record_delivery(now, name, delivered.external_id)
        await self._store.save(ticket)
        await self._store.set_external(
            ticket.number, delivered.external_id, delivered.external_number
        )
        await self._store.finish(job, now)
        log.info(
            "delivered",
            extra={"ticket": ticket.number, "backoffice": name, "attempts": job.attempts},
        )
        return 1

    async def _push(self, job: OutboxJob, ticket: Ticket, backoffice: BackOffice, name: str) -> int:
        """Tell the back office about one of our events (a cancel, a reopen, a note)."""
        push = getattr(backoffice, "push", None)
        if push is not None and job.event_seq is not None and job.event_seq < len(ticket.events):
            event = ticket.events[job.event_seq]
            if await self._attempt(job, ticket.number, name, lambda: push(ticket, event)) is None:
                return 0
        # else: nothing this back office takes
        await self._store.finish(job, self._clock.now())
        return 1

    async def _attempt(
        self, job: OutboxJob, number: str, name: str, call: Callable[[], Awaitable[T]]
    ) -> T | None:
        """One try at the back office; None when it failed (the job is rescheduled or failed)."""
        try:
            return await call()
        except asyncio.CancelledError:
            # shutting down mid-call: give the job back at once (a kill -9 instead leaves
            # the lease to run out); the same idempotency key makes the retry harmless
            await asyncio.shield(self._store.retry(job, self._clock.now(), "interrupted"))
            raise
        except BackOfficeRejected as exc:
            await self._store.fail(job, f"rejected: {exc}")
            log.error(f"{job.kind} rejected", extra={"ticket": number, "backoffice": name})
        except (BackOfficeUnavailable, OSError, TimeoutError) as exc:
            await self._later(job, number, exc)
        return None

    async def _later(self, job: OutboxJob, number: str, error: Exception) -> None:
        if job.attempts >= self.policy.max_attempts:
            await self._store.fail(job, f"gave up after {job.attempts} attempts: {error}")
            log.error(
                "delivery failed for good", extra={"ticket": number, "attempts": job.attempts}
            )
            return
        wait = self.policy.delay(job.attempts, self._rng)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > 0:
            wait = max(wait, float(retry_after))
        await self._store.retry(job, self._clock.now() + timedelta(seconds=wait), str(error))
        log.warning(
            "delivery postponed",
            extra={"ticket": number, "attempts": job.attempts, "retry_in_s": round(wait, 1)},
        )

    async def _backoffice_name(self, number: str) -> str:
        return await self._store.backoffice_of(number)
