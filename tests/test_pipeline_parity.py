"""The bot and ``frontoffice eval`` make the same decision on every line of the eval files.

Each labelled message is sent as the first message of a new personal chat through
/api/messages (the running app, clock at the eval's moment); what the bot did is
read back from the questions it records (decision and product). The eval's
prediction for the same line comes from ``dialogs.evaluation.pipeline``. They must
agree line for line: the figures ``frontoffice eval`` prints are the bot's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.app import INSIGHT_BUFFER, create_app
from bot.keys import STORE_ENGINE
from dialogs.evaluation import EVAL_NOW, pipeline
from frontoffice.settings import Settings
from knowledge.evaluation import read_examples
from knowledge.reload import Snapshot
from servicedesk.clock import FixedClock
from servicedesk.persistence.database import questions
from tests.chat import Chat
from tests.conftest import DATA

FILES = ("queries.jsonl", "holdout_messages.jsonl")


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[TestClient]:
    moment = EVAL_NOW.replace(tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    client = TestClient(TestServer(create_app(settings, clock=FixedClock(moment))))
    await client.start_server()
    yield client
    await client.close()


@pytest.mark.parametrize("name", FILES)
async def test_the_bot_does_what_the_eval_reports(
    name: str, app_client: TestClient, snapshot: Snapshot
) -> None:
    predict = pipeline(snapshot)
    engine = app_client.server.app[STORE_ENGINE]
    disagreements = []
    for number, example in enumerate(read_examples(DATA / name)):
        locale = "en-GB" if example.lang == "en" else "nl-NL"
        chat = Chat(app_client, user=f"u{number}", conversation=f"a:c{number}", locale=locale)
        await chat.say(example.text)
        await app_client.server.app[INSIGHT_BUFFER].flush()  # written a moment after the reply
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(questions.c.decision, questions.c.product_id)
                .where(questions.c.id > number)
                .order_by(questions.c.id)
            ).all()
        assert len(rows) == 1, (example.text, rows)  # one decision recorded per message
        row = rows[0]
        expected = predict(example.text)
        bot = (row.decision, row.product_id or "none")
        eval_ = (expected.act, expected.predicted)
        if bot != eval_:
            disagreements.append((example.text, bot, eval_))
    assert disagreements == []

