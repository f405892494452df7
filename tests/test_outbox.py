"""The outbox: a committed ticket reaches its back office once, whatever goes wrong."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from servicedesk.backoffice import (
    BackOfficeRejected,
    BackOfficeUnavailable,
    Delivered,
    StatusUpdate,
)
from servicedesk.clock import FixedClock
from servicedesk.outbox import OutboxWorker, RetryPolicy
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Actor, Deadlines, EventType, Requester, Ticket
from tests.factories import a_lift_ticket

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FlakyBackOffice:
    """Implements the port; fails the first ``failures`` calls, remembers keys."""

    name = "flaky"

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or BackOfficeUnavailable("503 from the back office")
        self.calls: list[str] = []
        self.created: dict[str, str] = {}

    async def deliver(self, ticket: Ticket, idempotency_key: str) -> Delivered:
        self.calls.append(idempotency_key)
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        external = self.created.setdefault(idempotency_key, f"ext-{len(self.created) + 1}")
        return Delivered(external_id=external, external_number=external.upper())

    async def updates(self, tickets: list[tuple[str, str]]) -> list[StatusUpdate]:
        return []


@pytest.fixture
def store(db_url: str) -> Iterator[SqlTicketStore]:
    migrate(db_url)
    engine = create_engine(db_url)
    yield SqlTicketStore(engine)
    engine.dispose()


def _ticket() -> Ticket:
    return a_lift_ticket(
        T0,
        requester=Requester("aad-1"),
        deadlines=Deadlines(T0 + timedelta(minutes=15), T0 + timedelta(hours=4)),
    )


async def test_a_new_ticket_is_delivered_once(store: SqlTicketStore) -> None:
    ticket = await store.add(_ticket(), "flaky")
    backoffice = FlakyBackOffice()
    worker = OutboxWorker(store, {"flaky": backoffice}, FixedClock(T0))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert backoffice.calls == [f"deliver:{ticket.number}"]
    stored = await store.get(ticket.number)
    assert stored is not None and stored.events[-1].type is EventType.DELIVERED
    assert (await store.outbox_rows())[0]["state"] == "done"


async def test_temporary_failures_are_retried_with_growing_waits(store: SqlTicketStore) -> None:
    ticket = await store.add(_ticket(), "flaky")
    clock = FixedClock(T0)
    backoffice = FlakyBackOffice(failures=3)
    worker = OutboxWorker(
        store,
        {"flaky": backoffice},
        clock,
        RetryPolicy(max_attempts=10, base_seconds=2),
        random.Random(1),
    )
    waits = []
    for _ in range(4):
        await worker.run_once()
        row = (await store.outbox_rows())[0]
        if row["state"] == "done":
            break
        due = row["next_attempt_at"].replace(tzinfo=UTC)
        waits.append((due - clock.now()).total_seconds())
        assert await worker.run_once() == 0  # not due yet: nothing is sent early
        clock.move_to(due)
    assert (await store.outbox_rows())[0]["state"] == "done"
    assert len(backoffice.calls) == 4 and set(backoffice.calls) == {f"deliver:{ticket.number}"}
    assert waits[0] < waits[-1]
    assert all(1 <= wait <= 8 for wait in waits)


async def test_retry_after_from_the_back_office_is_honoured(store: SqlTicketStore) -> None:
    await store.add(_ticket(), "flaky")
    backoffice = FlakyBackOffice(1, BackOfficeUnavailable("429", retry_after=120))
    worker = OutboxWorker(store, {"flaky": backoffice}, FixedClock(T0))
    await worker.run_once()
    row = (await store.outbox_rows())[0]
    assert row["next_attempt_at"].replace(tzinfo=UTC) >= T0 + timedelta(seconds=120)


async def test_after_the_last_attempt_the_job_is_failed_for_an_admin(
    store: SqlTicketStore,
) -> None:
    await store.add(_ticket(), "flaky")
    clock = FixedClock(T0)
    worker = OutboxWorker(
        store,
        {"flaky": FlakyBackOffice(failures=99)},
        clock,
        RetryPolicy(max_attempts=3, base_seconds=1),
    )
    for _ in range(5):
        await worker.run_once()
        clock.move_to(clock.now() + timedelta(minutes=10))
    failed = await store.outbox_rows("failed")
    assert len(failed) == 1
    assert failed[0]["attempts"] == 3 and "gave up after 3 attempts" in failed[0]["last_error"]


async def test_a_rejection_fails_at_once(store: SqlTicketStore) -> None:
    await store.add(_ticket(), "flaky")
    worker = OutboxWorker(
        store, {"flaky": FlakyBackOffice(1, BackOfficeRejected("400: bad"))}, FixedClock(T0)
    )
    await worker.run_once()
    assert (await store.outbox_rows("failed"))[0]["last_error"] == "rejected: 400: bad"


async def test_a_crashed_worker_s_claim_expires_and_the_same_key_is_used_again(
    store: SqlTicketStore,
) -> None:
    ticket = await store.add(_ticket(), "flaky")
    clock = FixedClock(T0)
    claimed = await store.claim_due(clock.now())  # a worker claims, then dies (kill -9)
    assert len(claimed) == 1
    backoffice = FlakyBackOffice()
    worker = OutboxWorker(store, {"flaky": backoffice}, clock)
    assert await worker.run_once() == 0  # still leased to the dead worker
    clock.move_to(T0 + timedelta(minutes=3))
    assert await worker.run_once() == 1
    assert backoffice.calls == [f"deliver:{ticket.number}"]


async def test_two_workers_never_take_the_same_job(store: SqlTicketStore) -> None:
    for _ in range(6):
        await store.add(_ticket(), "flaky")
    first = await store.claim_due(T0, limit=4)
    second = await store.claim_due(T0, limit=4)
    assert len(first) == 4 and len(second) == 2
    assert not {j.id for j in first} & {j.id for j in second}


async def test_an_unknown_back_office_fails_the_job_visibly(store: SqlTicketStore) -> None:
    await store.add(_ticket(), "topdesk-old")
    worker = OutboxWorker(store, {}, FixedClock(T0))
    await worker.run_once()
    assert (
        "no back office called 'topdesk-old'"
        in (await store.outbox_rows("failed"))[0]["last_error"]
    )


async def test_moments_with_an_offset_come_back_as_the_same_moment(store: SqlTicketStore) -> None:
    """SQLite keeps no offset; the store must not shift a +01:00 time by an hour."""
    amsterdam = timezone(timedelta(hours=1))
    ticket = await store.add(a_lift_ticket(datetime(2026, 12, 1, 10, 0, tzinfo=amsterdam)), "x")
    ticket.delay(
        Actor("td", "TD"),
        datetime(2026, 12, 1, 10, 5, tzinfo=amsterdam),
        "Onderdeel besteld",
        datetime(2026, 12, 4, 9, 0, tzinfo=amsterdam),
    )
    await store.save(ticket)
    again = await store.get(ticket.number)
    assert again is not None
    assert again.created_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert again.expected_at == datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert again.events[-1].at == datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
