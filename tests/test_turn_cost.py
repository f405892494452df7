"""What makes a turn cheaper must not change what it does: insight records batched after
the reply are all written (on a clean stop too, and after the database comes back), and
the SDK clients reused across turns are the ones for the same app, scope and service URL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, ExpectedReplies
from msrest.serialization import Serializer

from bot import sdk_patches
from bot.app import INSIGHT_BUFFER, create_app
from bot.auth import build_authentication
from frontoffice.settings import Settings
from servicedesk.errors import StoreError
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.insight_store import BufferedInsight, SqlInsightStore
from tests.cards_sample import sample_cards
from tests.conftest import teams_message

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


async def test_question_records_waiting_at_a_clean_stop_are_written(db_url: str) -> None:
    settings = Settings(
        db_url=db_url,
        knowledge_reload_seconds=0,
        outbox_seconds=0,
        poll_seconds=0,
        insight_flush_seconds=3600,  # only the first, empty flush runs while we talk
        log_format="text",
    )
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        for text in ("wat kost een werklunch?", "hoe laat vertrekt de trein naar Utrecht"):
            message = teams_message(text, "http://127.0.0.1:9/", deliveryMode="expectReplies")
            assert (await client.post("/api/messages", json=message)).status == 200
        assert app[INSIGHT_BUFFER].pending == 2
        assert _count(db_url, "questions") == 0  # not on the reply's path
    assert _count(db_url, "questions") == 2


async def test_records_stay_while_the_database_is_away_and_are_written_once_back(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'late.db'}"
    engine = create_engine(url)  # no schema yet: every write fails
    buffered = BufferedInsight(SqlInsightStore(engine))
    try:
        await buffered.record_question(
            at=AT,
            language="nl",
            decision="answer",
            product_id="catering.lunch",
            faq_id="kosten",
            score=0.9,
            text=None,
        )
        await buffered.record_vote(
            at=AT, product_id="catering.lunch", faq_id="kosten", helpful=False, text="te duur?"
        )
        with pytest.raises(StoreError):
            await buffered.flush()
        assert buffered.pending == 2
        migrate(url)
        assert await buffered.flush() == 2
        assert await buffered.flush() == 0  # once
    finally:
        engine.dispose()
    assert _count(url, "questions") == 1 and _count(url, "faq_votes") == 1


def _activity(service_url: str) -> Activity:
    return Activity().deserialize(teams_message("hallo", service_url, deliveryMode="expectReplies"))


async def test_connector_and_user_token_clients_are_reused_per_service_url() -> None:
    auth = build_authentication(Settings())  # local mode
    first = await auth.authenticate_request(_activity("http://127.0.0.1:9/a/"), "")
    second = await auth.authenticate_request(_activity("http://127.0.0.1:9/a/"), "")
    client = await first.connector_factory.create("http://127.0.0.1:9/a/", first.audience)
    again = await second.connector_factory.create("http://127.0.0.1:9/a/", second.audience)
    other = await second.connector_factory.create("http://127.0.0.1:9/b/", second.audience)
    assert client is again
    assert other is not client and other.config.base_url == "http://127.0.0.1:9/b/"
    proactive = auth.create_connector_factory(first.claims_identity)
    assert await proactive.create("http://127.0.0.1:9/a/", first.audience) is client
    tokens = await auth.create_user_token_client(first.claims_identity)
    assert await auth.create_user_token_client(second.claims_identity) is tokens


class _Colour(Enum):
    GOOD = "good"


def test_card_content_serialises_as_msrest_does() -> None:
    """The fast copy of plain card content gives what msrest's own walk gives; a value
    that is not plain JSON (an enum, a date) still goes msrest's way."""
    sdk_patches.apply()
    fast = Serializer.serialize_object
    original = fast.original  # type: ignore[attr-defined]
    odd = {"style": _Colour.GOOD, "at": AT, "n": [1, 2.5, True, None]}
    cards = [*sample_cards().values(), odd]
    assert len(cards) > 10
    for card in cards:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        activity.text = "Klopt dit?"
        quick = ExpectedReplies(activities=[activity]).serialize()
        Serializer.serialize_object = original
        try:
            slow = ExpectedReplies(activities=[activity]).serialize()
        finally:
            Serializer.serialize_object = fast
        assert quick == slow
    assert isinstance(quick["activities"][0]["attachments"][0]["content"]["at"], str)
