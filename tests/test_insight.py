"""Insight from the chat and the weekly summary card: questions and votes are recorded
(the text only where admins need it), an admin links a channel with ``koppel admin``,
and the summary of last week reaches it once, through a fake Bot Connector."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.app import INSIGHT_BUFFER, create_app
from bot.insight import INSIGHT_WORK, previous_week
from bot.keys import STORE_ENGINE
from frontoffice import history as generated
from frontoffice.settings import Settings
from knowledge.reload import Snapshot
from servicedesk.clock import FixedClock
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.insight_store import SqlInsightStore
from tests.conftest import FakeConnector, teams_message
from tests.test_queue_channel import ADMIN, STAFF, channel_message, say

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY_9AM = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


@pytest.fixture
async def app_client(
    db_url: str, connector: tuple[FakeConnector, str]
) -> AsyncIterator[tuple[TestClient, FakeConnector, str, FixedClock]]:
    fake, url = connector
    clock = FixedClock(MONDAY_9AM)
    settings = Settings(
        db_url=db_url,
        knowledge_reload_seconds=0,
        outbox_seconds=0,
        poll_seconds=0,
        admins=frozenset({ADMIN}),
        log_format="text",
    )
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        yield client, fake, url, clock


async def _rows(client: TestClient, table: str) -> list[Any]:
    engine = client.server.app[STORE_ENGINE]

    def read() -> list[Any]:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")))

    return await asyncio.to_thread(read)


async def test_matched_questions_are_recorded_with_text_only_when_nothing_fitted(
    app_client: tuple[TestClient, FakeConnector, str, FixedClock],
) -> None:
    client, _, url, _ = app_client
    for text in ("wat kost een werklunch?", "hoe laat vertrekt de trein naar Utrecht"):
        activity = teams_message(text, url, deliveryMode="expectReplies")
        response = await client.post("/api/messages", json=activity)
        assert response.status == 200
    await client.server.app[INSIGHT_BUFFER].flush()  # written a moment after the reply
    rows = await _rows(client, "questions")
    assert len(rows) == 2
    answered, unknown = rows
    assert answered.decision in ("answer", "product") and answered.text is None
    assert answered.product_id == "catering.lunch" and answered.score > 0
    if unknown.decision in ("none", "choose"):
        assert unknown.text == "hoe laat vertrekt de trein naar Utrecht"


async def test_faq_votes_keep_the_question_only_when_the_answer_did_not_help(
    db_url: str,
) -> None:
    migrate(db_url)
    engine = create_engine(db_url)
    store = SqlInsightStore(engine)
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    await store.record_vote(at=at, product_id="parkeren", faq_id="x", helpful=True, text="q1")
    await store.record_vote(at=at, product_id="parkeren", faq_id="x", helpful=False, text="q2")
    await store.record_question(
        at=at, language="nl", decision="none", product_id=None, faq_id=None, score=0.1, text="q3"
    )
    from servicedesk.reporting import Window

    data = await store.facts(Window(at, at.replace(day=24)))
    engine.dispose()
    assert [(v.helpful, v.text) for v in data.votes] == [(True, None), (False, "q2")]
    assert [(q.decision, q.text) for q in data.questions] == [("none", "q3")]


def test_the_summary_covers_the_week_before_from_monday_8am() -> None:
    assert previous_week(datetime(2026, 11, 30, 6, 59, tzinfo=UTC), AMSTERDAM) is None
    window = previous_week(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), AMSTERDAM)
    assert window is not None
    assert window.start == datetime(2026, 11, 23, tzinfo=AMSTERDAM)
    assert window.end == datetime(2026, 11, 30, tzinfo=AMSTERDAM)


async def test_only_an_admin_links_the_admin_channel(
    app_client: tuple[TestClient, FakeConnector, str, FixedClock],
) -> None:
    client, _, url, _ = app_client
    refused = await say(client, channel_message("koppel admin", url, user=STAFF))
    assert "Alleen beheerders" in refused
    assert await client.server.app[INSIGHT_WORK].weekly.run_once() is False
    done = await say(client, channel_message("koppel admin", url, user=ADMIN))
    assert "weekoverzicht" in done


async def test_the_weekly_summary_reaches_the_admin_channel_once_with_a_chart(
    app_client: tuple[TestClient, FakeConnector, str, FixedClock],
    snapshot: Snapshot,
) -> None:
    client, fake, url, clock = app_client
    history = generated.generate(snapshot.knowledge, count=600, weeks=8, end=date(2026, 11, 30))
    await asyncio.to_thread(generated.write, client.server.app[STORE_ENGINE], history)
    await say(client, channel_message("koppel admin", url, user=ADMIN))
    weekly = client.server.app[INSIGHT_WORK].weekly

    assert await weekly.run_once() is True
    assert await weekly.run_once() is False  # once per week, however often it checks
    assert len(fake.posts) == 1
    post = fake.posts[0]
    assert post["_conversation"] == "19:td-channel@thread.tacv2"
    card = fake.cards()[0]
    assert card["version"] == "1.5"
    text = str(card)
    last_week = [
        t
        for t in history.tickets
        if t.created_at.astimezone(AMSTERDAM).isocalendar()[:2] == (2026, 48)
    ]
    assert "Weekoverzicht frontoffice · 2026-W48" in text
    assert f"'text': '{len(last_week)}'" in text  # the week's ticket count, as a big figure
    image = next(item for item in card["body"] if item["type"] == "Image")
    assert image["url"].startswith("data:image/png;base64,")
    png = base64.b64decode(image["url"].split(",", 1)[1])
    assert png[:4] == b"\x89PNG" and len(png) < 60_000

    clock.move_to(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # a week later: the next one
    assert await weekly.run_once() is True
    assert len(fake.posts) == 2


async def test_a_failed_send_is_tried_again_at_the_next_check(
    app_client: tuple[TestClient, FakeConnector, str, FixedClock],
) -> None:
    client, fake, url, _ = app_client
    await say(client, channel_message("koppel admin", url, user=ADMIN))
    weekly = client.server.app[INSIGHT_WORK].weekly
    engine = client.server.app[STORE_ENGINE]

    def break_reference() -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE conversations SET service_url = 'http://127.0.0.1:9/'")
            )

    await asyncio.to_thread(break_reference)
    with pytest.raises(Exception):  # noqa: B017 - whatever the connector error
        await weekly.run_once()
    assert fake.posts == []

    def restore() -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE conversations SET service_url = :url"), {"url": url + "/"}
            )

    await asyncio.to_thread(restore)
    assert await weekly.run_once() is True
    assert len(fake.posts) == 1
