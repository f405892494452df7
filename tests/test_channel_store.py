"""Queue channels and posted cards in the database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.clock import FixedClock
from servicedesk.errors import InputError
from servicedesk.persistence.channel_store import CardMessage, SqlChannelStore, channel_of
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Actor, Deadlines
from tests.factories import a_lift_ticket

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = "19:td@thread.tacv2"


@pytest.fixture
def stores(db_url: str) -> Iterator[tuple[SqlChannelStore, SqlTicketStore]]:
    migrate(db_url)
    engine = create_engine(db_url)
    yield SqlChannelStore(engine, FixedClock(T0)), SqlTicketStore(engine)
    engine.dispose()


async def _ticket(tickets: SqlTicketStore, queue: str = "technische-dienst") -> str:
    ticket = a_lift_ticket(T0, queue=queue, deadlines=Deadlines(T0, T0 + timedelta(hours=4)))
    return (await tickets.add(ticket, "builtin")).number


def test_a_thread_belongs_to_its_channel() -> None:
    assert channel_of(f"{CHANNEL};messageid=1700000000000") == CHANNEL
    assert channel_of(CHANNEL) == CHANNEL


async def test_a_queue_is_linked_to_one_channel(
    stores: tuple[SqlChannelStore, SqlTicketStore],
) -> None:
    channels, _ = stores
    assert await channels.channel_for("technische-dienst") is None
    await channels.link("technische-dienst", "19:old@thread.tacv2", "aad-1")
    await channels.link("technische-dienst", CHANNEL, "aad-2")
    linked = await channels.channel_for("technische-dienst")
    assert linked is not None
    assert (linked.conversation_id, linked.linked_by) == (CHANNEL, "aad-2")
    await channels.link("schoonmaak", CHANNEL, "aad-2")
    assert await channels.queues_linked_to(f"{CHANNEL};messageid=42") == [
        "schoonmaak",
        "technische-dienst",
    ]
    assert await channels.queues_linked_to("19:old@thread.tacv2") == []


async def test_unlink_one_queue_or_all(stores: tuple[SqlChannelStore, SqlTicketStore]) -> None:
    channels, _ = stores
    await channels.link("technische-dienst", CHANNEL, "aad-1")
    await channels.link("schoonmaak", CHANNEL, "aad-1")
    assert await channels.unlink(CHANNEL, "catering") == []
    assert await channels.unlink(CHANNEL, "schoonmaak") == ["schoonmaak"]
    assert await channels.unlink(f"{CHANNEL};messageid=7") == ["technische-dienst"]
    assert await channels.channel_for("technische-dienst") is None


async def test_a_card_is_remembered_once_per_ticket_and_channel(
    stores: tuple[SqlChannelStore, SqlTicketStore],
) -> None:
    channels, tickets = stores
    number = await _ticket(tickets)
    assert await channels.cards_for(number) == []
    await channels.remember_card(number, CardMessage(CHANNEL, "a-1"))
    await channels.remember_card(number, CardMessage(CHANNEL, "a-2"))  # posted again
    await channels.remember_card(number, CardMessage("19:other@thread.tacv2", "b-1"))
    assert await channels.cards_for(number) == [
        CardMessage(CHANNEL, "a-2"),
        CardMessage("19:other@thread.tacv2", "b-1"),
    ]
    await channels.touch_card(number, CardMessage(CHANNEL, "a-2"))
    with pytest.raises(InputError):
        await channels.remember_card("FM-1999-000001", CardMessage(CHANNEL, "x"))


async def test_open_tickets_without_a_card_in_the_channel(
    stores: tuple[SqlChannelStore, SqlTicketStore],
) -> None:
    channels, tickets = stores
    posted = await _ticket(tickets)
    waiting = await _ticket(tickets)
    done = await _ticket(tickets)
    await _ticket(tickets, queue="schoonmaak")
    resolved = await tickets.get(done)
    assert resolved is not None
    resolved.resolve(Actor("aad-staff"), T0, "klaar")
    await tickets.save(resolved)
    await channels.remember_card(posted, CardMessage(CHANNEL, "a-1"))
    assert await channels.open_tickets_without_card("technische-dienst", CHANNEL) == [waiting]
