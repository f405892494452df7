"""End to end: the bot as a real process, Microsoft 365 Agents Playground as the Teams client.

The playground (npm, pinned in e2e/package-lock.json; `make test` installs it) sends real
Teams-shaped activities to `frontoffice serve` and runs the mocked Bot Connector the bot
replies to. tests/playground.py drives it over HTTP and its WebSocket, the way its web
page does. The bot runs once for the module, a playground (so a new conversation) per
test; both are always stopped, and their logs are printed (shown on failure).

Skipped only when e2e/node_modules is missing and FRONTOFFICE_E2E is not "required".
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dialogs.messages import t
from knowledge.loader import DEFAULT_DIR
from knowledge.reload import Snapshot, build_snapshot
from tests.playground import (
    PLAYGROUND_BIN,
    BotServer,
    Playground,
    PlaygroundServer,
    card_text,
)

pytestmark = pytest.mark.slow

if not PLAYGROUND_BIN.exists():
    reason = f"{PLAYGROUND_BIN} missing: run `make e2e/node_modules` (npm ci --prefix e2e)"
    if os.environ.get("FRONTOFFICE_E2E") == "required":
        raise RuntimeError(f"FRONTOFFICE_E2E=required but {reason}")
    pytest.skip(reason, allow_module_level=True)

LANGUAGES = ("nl", "en")


@pytest.fixture(scope="module")
def knowledge() -> Snapshot:
    return build_snapshot(DEFAULT_DIR)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    """The bot, once for the module (each test gets its own conversation)."""
    server = BotServer(tmp_path_factory.mktemp("e2e-bot"))
    started = time.monotonic()
    try:
        server.start()
        print(f"e2e: bot up in {time.monotonic() - started:.1f} s")
        yield server
    finally:
        server.stop()
        print(f"--- bot log ---\n{server.log()}")


@pytest.fixture
def playground(bot: BotServer, tmp_path: Path) -> Iterator[PlaygroundServer]:
    """A playground per test: its personal chat has a new conversation id each start, so
    no dialog state leaks from one test into the next."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH, but e2e/node_modules is installed")
    server = PlaygroundServer(tmp_path, bot.messages_url)
    started = time.monotonic()
    try:
        server.start()
        print(f"e2e: playground up in {time.monotonic() - started:.1f} s")
        yield server
    finally:
        server.stop()
        print(f"--- playground log ---\n{server.log()}")


@pytest.fixture
async def chat(playground: PlaygroundServer) -> AsyncIterator[Playground]:
    client = Playground(playground.url)
    try:
        await client.start()
        yield client
    finally:
        await client.stop()


def _texts(key: str, **params: str) -> set[str]:
    return {t(language, key, **params) for language in LANGUAGES}


async def test_install_sends_the_welcome(chat: Playground, knowledge: Snapshot) -> None:
    replies = await chat.install()
    organisation = knowledge.knowledge.organisation.name
    assert len(replies) == 1
    assert replies[0].text in _texts("welcome", organisation=organisation)
    assert replies[0].action == "createMessage"
    assert replies[0].conversation_id == chat.conversation_id


async def test_help_explains_what_the_bot_does(chat: Playground, knowledge: Snapshot) -> None:
    replies = await chat.say("help")
    emergency = knowledge.knowledge.organisation.emergency
    expected = {t(lang, "help", emergency=emergency.in_language(lang)) for lang in LANGUAGES}
    assert len(replies) == 1
    assert replies[0].text in expected
    assert "help" in replies[0].text.lower()


async def test_an_faq_question_gets_its_answer(chat: Playground, knowledge: Snapshot) -> None:
    replies = await chat.say("Hoe laat gaat het bedrijfsrestaurant open?")
    product = knowledge.knowledge.products["catering.restaurant"]
    entry = next(e for e in product.faq if e.id == "openingstijden")
    answers = {entry.answer.in_language(lang) for lang in LANGUAGES}
    # the answer comes on a card with "was this helpful?"
    assert replies, "no answer"
    assert any(answer in replies[0].all_text for answer in answers), replies[0].all_text


async def test_a_vague_message_offers_a_choice_and_a_pick_replaces_the_card(
    chat: Playground,
) -> None:
    replies = await chat.say("pas")
    assert len(replies) == 1
    choose = replies[0].card
    assert choose is not None and choose["version"] == "1.5"
    picks = [a for a in choose.get("actions", []) if a.get("verb") == "product.pick"]
    assert 2 <= len(picks) <= 3, choose
    assert all(a["type"] == "Action.Execute" and a["data"].get("product") for a in picks)
    assert picks[0]["data"]["product"] == "toegang.pas"

    started = time.monotonic()
    picked = await chat.execute(replies[0], picks[0]["title"])
    assert time.monotonic() - started < 5
    # the answer is the card that takes the choice's place (what it shows is the engine's)
    assert picked["type"] == "AdaptiveCard" and picked["version"] == "1.5"
    assert picked != choose
    assert card_text(picked).strip()
    assert not [a for a in picked.get("actions", []) if a.get("verb") == "product.pick"]


async def test_something_else_on_the_choice_answers_with_a_notice(chat: Playground) -> None:
    replies = await chat.say("pas")
    notice = await chat.execute(replies[0], "product.other")
    assert [b["text"] for b in notice["body"]][0] in _texts("choose.other_reply")


async def test_a_report_goes_from_message_to_ticket_number(chat: Playground) -> None:
    """The whole intake in the Teams client: the message gives the place, the summary card
    shows the promise, Confirm (Action.Execute) answers with the ticket number, and the
    number is in "my tickets"."""
    replies = await chat.say("The radiator in room 2.14 of the Stadskantoor is cold")
    summary = next(r for r in replies if r.card is not None)
    assert "Stadskantoor, 2nd floor, room 2.14" in summary.all_text
    assert "What you can expect from us" in summary.all_text
    created = await chat.execute(summary, "intake.confirm")
    text = card_text(created)
    assert "FM-" in text, text
    number = text[text.index("FM-") : text.index("FM-") + 14]
    listed = await chat.say("my tickets")
    assert listed and number in listed[0].all_text
