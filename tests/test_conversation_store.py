"""Conversation references persist, on SQLite always and PostgreSQL when configured."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from servicedesk.conversations import ConversationKind, ConversationReference
from servicedesk.persistence.conversation_store import SqlConversationStore
from servicedesk.persistence.database import create_engine, migrate


@pytest.fixture
def store(db_url: str) -> Iterator[SqlConversationStore]:
    migrate(db_url)
    engine = create_engine(db_url)
    yield SqlConversationStore(engine)
    engine.dispose()


def _reference(conversation_id: str = "a:1", **overrides: object) -> ConversationReference:
    values: dict[str, object] = {
        "conversation_id": conversation_id,
        "kind": ConversationKind.PERSONAL,
        "service_url": "https://smba.trafficmanager.net/emea/",
        "channel_id": "msteams",
        "bot_id": "28:bot",
        "tenant_id": "tenant-1",
        "user_id": "aad-1",
        "locale": "nl-NL",
    }
    values.update(overrides)
    return ConversationReference(**values)  # type: ignore[arg-type]


async def test_a_remembered_reference_comes_back_whole(store: SqlConversationStore) -> None:
    reference = _reference(
        kind=ConversationKind.CHANNEL, team_id="19:team", teams_channel_id="19:c"
    )
    await store.remember(reference)
    stored = await store.get("a:1")
    assert stored is not None
    assert stored.reference == reference


async def test_a_moved_service_url_replaces_the_old_one_but_keeps_what_was_known(
    store: SqlConversationStore,
) -> None:
    await store.remember(_reference())
    await store.remember(
        _reference(service_url="https://smba.trafficmanager.net/amer/", locale=None)
    )
    stored = await store.get("a:1")
    assert stored is not None
    assert stored.reference.service_url == "https://smba.trafficmanager.net/amer/"
    assert stored.reference.locale == "nl-NL"


async def test_welcome_is_claimed_once_per_installation(store: SqlConversationStore) -> None:
    await store.record_installation(_reference())
    assert await store.claim_welcome("a:1") is True
    assert await store.claim_welcome("a:1") is False
    await store.record_installation(_reference())  # Teams delivers the install twice
    assert await store.claim_welcome("a:1") is False


async def test_removal_is_recorded_and_a_new_installation_welcomes_again(
    store: SqlConversationStore,
) -> None:
    await store.record_installation(_reference())
    assert await store.claim_welcome("a:1")
    await store.record_removal("a:1")
    removed = await store.get("a:1")
    assert removed is not None and not removed.active
    assert await store.claim_welcome("a:1") is False  # nobody to welcome while removed
    await store.record_installation(_reference())
    reinstalled = await store.get("a:1")
    assert reinstalled is not None and reinstalled.active
    assert await store.claim_welcome("a:1") is True


async def test_concurrent_claims_let_exactly_one_win(store: SqlConversationStore) -> None:
    await store.record_installation(_reference())
    results = await asyncio.gather(*(store.claim_welcome("a:1") for _ in range(8)))
    assert results.count(True) == 1


async def test_an_unknown_conversation_is_none(store: SqlConversationStore) -> None:
    assert await store.get("nope") is None


def test_migrations_create_the_schema_and_are_idempotent(db_url: str) -> None:
    assert migrate(db_url) == "0009"
    assert migrate(db_url) == "0009"
    engine = create_engine(db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {
        "conversations",
        "tickets",
        "ticket_events",
        "outbox",
        "applied_updates",
        "alembic_version",
    } <= tables
