"""Back-office staff work their queue from cards in their Teams channel, end to end:
``koppel`` in a channel, a ticket from the API posted there by the outbox (fake Bot
Connector), card actions as Teams-shaped ``adaptiveCard/action`` invokes through
/api/messages, and the channel message updated for everyone.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import OUTBOX, TICKETS
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from servicedesk.clock import FixedClock
from servicedesk.tickets import EventType, Status
from tests.conftest import FakeConnector, teams_message

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FRIDAY_4PM = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
CHANNEL = "19:td-channel@thread.tacv2"
OTHER_CHANNEL = "19:cleaning@thread.tacv2"
STAFF, COLLEAGUE, STRANGER, ADMIN = "aad-staff-1", "aad-staff-2", "aad-stranger", "aad-admin"


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """The shipped knowledge, with two staff members for the technical services queue."""
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    queues_file = folder / "queues.yaml"
    queues = yaml.safe_load(queues_file.read_text("utf-8"))
    queues["technische-dienst"]["staff"] = [STAFF, COLLEAGUE.upper()]  # case does not matter
    queues["schoonmaak"]["staff"] = ["cleaner@rivierstad.example"]
    queues_file.write_text(yaml.safe_dump(queues, allow_unicode=True), "utf-8")
    return folder


@pytest.fixture
async def desk(
    db_url: str, knowledge_dir: Path, connector: tuple[FakeConnector, str]
) -> AsyncIterator[tuple[TestClient, FakeConnector, str]]:
    fake, url = connector
    settings = Settings(
        db_url=db_url,
        knowledge_dir=knowledge_dir,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        poll_seconds=0,
        admins=frozenset({ADMIN}),
        log_format="text",
    )
    app = create_app(settings, clock=FixedClock(FRIDAY_4PM))
    async with TestClient(TestServer(app)) as client:
        yield client, fake, url


def channel_message(
    text: str, url: str, user: str = STAFF, channel: str = CHANNEL, **overrides: Any
) -> dict[str, Any]:
    """A message in a team channel that @mentions the bot, as Teams sends it."""
    message_id = str(uuid.uuid4().int)[:13]
    return teams_message(
        f"<at>Frontoffice</at> {text}",
        url,
        **{
            "id": message_id,
            "from": {"id": f"29:{user}", "name": f"Name of {user}", "aadObjectId": user},
            "conversation": {
                "id": f"{channel};messageid={message_id}",
                "conversationType": "channel",
                "tenantId": "tenant-1",
            },
            "entities": [
                {
                    "type": "mention",
                    "text": "<at>Frontoffice</at>",
                    "mentioned": {"id": "28:bot-1", "name": "Frontoffice"},
                }
            ],
            "channelData": {
                "tenant": {"id": "tenant-1"},
                "team": {"id": "19:team@thread.tacv2"},
                "channel": {"id": channel},
            },
            "deliveryMode": "expectReplies",
            **overrides,
        },
    )


def card_invoke(
    verb: str, data: dict[str, Any], url: str, user: str = STAFF, locale: str = "nl-NL"
) -> dict[str, Any]:
    """An ``adaptiveCard/action`` invoke from a card in the channel, as Teams sends it."""
    activity = teams_message("", url)
    activity.pop("text")
    activity.update(
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "locale": locale,
            "from": {"id": f"29:{user}", "name": f"Name of {user}", "aadObjectId": user},
            "conversation": {
                "id": f"{CHANNEL};messageid=sent-1",
                "conversationType": "channel",
                "tenantId": "tenant-1",
            },
            "replyToId": "sent-1",
            "value": {
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": "manual",
            },
            "channelData": {"tenant": {"id": "tenant-1"}, "channel": {"id": CHANNEL}},
        }
    )
    return activity


async def say(client: TestClient, activity: dict[str, Any]) -> str:
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200, await response.text()
    return "\n".join(a.get("text", "") for a in (await response.json())["activities"])


async def click(client: TestClient, activity: dict[str, Any]) -> dict[str, Any]:
    """The invoke's answer: the card that replaces the clicked one."""
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = body["value"]
    assert card["type"] == "AdaptiveCard"
    return card


async def new_ticket(client: TestClient, product: str = "storing.verwarming") -> dict[str, Any]:
    body = {
        "product": product,
        "requester": {"id": "aad-1", "name": "Ada", "email": "ada@rivierstad.nl"},
        "channel": "phone",
        "fields": {"location": "Stadskantoor 2.14"},
        "description": "Het is 16 graden in de kamer",
    }
    response = await client.post("/api/v1/tickets", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    ticket: dict[str, Any] = await response.json()
    return ticket


async def outbox(client: TestClient) -> int:
    return await client.server.app[OUTBOX].run_once()


async def ticket_of(client: TestClient, number: str) -> Any:
    return await client.server.app[TICKETS].get(number)


def data_of(card: dict[str, Any]) -> dict[str, Any]:
    """The ticket and version an action on this card carries (from its refresh block)."""
    return dict(card["refresh"]["action"]["data"])


def text_of(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


async def linked(client: TestClient, url: str, queue: str = "technische-dienst") -> None:
    reply = await say(client, channel_message(f"koppel {queue}", url))
    assert "gekoppeld" in reply


# -- linking ----------------------------------------------------------------------------------


async def test_staff_link_their_channel_and_new_tickets_appear_there_once(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    reply = await say(client, channel_message("koppel technische-dienst", url))
    assert "Technische dienst" in reply and "gekoppeld" in reply
    ticket = await new_ticket(client)
    assert await outbox(client) == 1
    assert await outbox(client) == 0
    assert len(fake.posts) == 1
    post = fake.posts[0]
    assert post["_conversation"] == CHANNEL and post["_reply_to"] is None
    card = fake.cards()[0]
    assert card["version"] == "1.5"
    assert ticket["number"] in text_of(card)
    assert data_of(card) == {"ticket": ticket["number"], "version": 1, "events": 1}
    stored = await ticket_of(client, ticket["number"])
    assert stored.events[-1].type is EventType.DELIVERED


async def test_a_retried_delivery_does_not_post_the_card_again(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    await linked(client, url)
    ticket = await new_ticket(client)
    builtin = client.server.app[OUTBOX]._backoffices["builtin"]
    stored = await ticket_of(client, ticket["number"])
    await builtin.deliver(stored, f"deliver:{ticket['number']}")  # a retry after a crash
    await outbox(client)
    assert len(fake.posts) == 1


async def test_english_link_and_unlink(desk: tuple[TestClient, FakeConnector, str]) -> None:
    client, fake, url = desk
    reply = await say(client, channel_message("link technische-dienst", url, locale="en-US"))
    assert "now linked" in reply
    reply = await say(client, channel_message("unlink", url, locale="en-US"))
    assert "Unlinked" in reply
    await new_ticket(client)
    await outbox(client)
    assert fake.posts == []


async def test_an_unknown_queue_gets_the_list_of_queues(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, _, url = desk
    reply = await say(client, channel_message("koppel technische", url))
    assert "ken ik niet" in reply and "`technische-dienst`" in reply and "`schoonmaak`" in reply


async def test_only_staff_of_the_queue_or_admins_may_link(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, _, url = desk
    reply = await say(client, channel_message("koppel technische-dienst", url, user=STRANGER))
    assert "Alleen medewerkers" in reply
    reply = await say(client, channel_message("koppel schoonmaak", url, user=ADMIN))
    assert "gekoppeld" in reply
    reply = await say(client, channel_message("ontkoppel", url, user=STRANGER))
    assert "Alleen medewerkers" in reply


async def test_help_in_a_channel_explains_linking(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, _, url = desk
    await linked(client, url)
    reply = await say(client, channel_message("help", url))
    assert "koppel <wachtrij>" in reply and "Gekoppeld: technische-dienst" in reply
    reply = await say(client, channel_message("wat doe jij", url))
    assert "help" in reply


async def test_linking_later_posts_the_queues_open_tickets(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    ticket = await new_ticket(client)
    assert await outbox(client) == 1  # delivered to the queue without a channel: no card
    assert fake.posts == []
    reply = await say(client, channel_message("koppel technische-dienst", url))
    assert "1 openstaande" in reply
    assert len(fake.posts) == 1 and ticket["number"] in text_of(fake.cards()[0])
    await outbox(client)
    await say(client, channel_message("koppel technische-dienst", url))
    assert len(fake.posts) == 1


# -- working the card ---------------------------------------------------------------------------


async def _posted(client: TestClient, fake: FakeConnector, url: str) -> tuple[str, dict[str, Any]]:
    await linked(client, url)
    ticket = await new_ticket(client)
    await outbox(client)
    return ticket["number"], fake.cards()[0]


async def test_take_delay_resolve_change_the_ticket_and_the_card(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)

    card = await click(client, card_invoke("ticket.take", data_of(card), url))
    ticket = await ticket_of(client, number)
    assert ticket.status is Status.ACCEPTED and ticket.assignee.id == STAFF
    assert "Name of aad-staff-1" in text_of(card) and "Geaccepteerd" in text_of(card)
    assert "ticket.take" not in text_of(card)  # it is mine now
    await outbox(client)
    assert len(fake.puts) == 1  # accepted + assigned: one update
    assert fake.puts[0]["_activity"] == "sent-2" or fake.puts[0]["_activity"].startswith("sent-")
    assert "Geaccepteerd" in text_of(fake.cards(fake.puts)[0])

    delay = {**data_of(card), "delay_reason": "Onderdeel besteld", "delay_date": "2026-12-04"}
    card = await click(client, card_invoke("ticket.delay", delay, url))
    ticket = await ticket_of(client, number)
    assert ticket.status is Status.DELAYED
    assert ticket.expected_at.isoformat().startswith("2026-12-04T16:30")  # 17:30 CET
    assert "Vertraagd" in text_of(card) and "Onderdeel besteld" in text_of(card)

    resolve = {**data_of(card), "resolve_note": "Thermostaat vervangen"}
    card = await click(client, card_invoke("ticket.resolve", resolve, url))
    ticket = await ticket_of(client, number)
    assert ticket.status is Status.RESOLVED
    assert "Opgelost" in text_of(card) and "ticket.reopen" in text_of(card)
    await outbox(client)
    assert len(fake.posts) == 1
    assert "Opgelost" in text_of(fake.cards(fake.puts)[-1])
    trail = [(e.type, e.actor.id) for e in ticket.events if e.actor.id == STAFF]
    assert [type_ for type_, _ in trail] == [
        EventType.ACCEPTED,
        EventType.ASSIGNED,
        EventType.DELAYED,
        EventType.RESOLVED,
    ]


async def test_progress_and_reopen_are_ticket_events(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    card = await click(
        client,
        card_invoke("ticket.progress", {**data_of(card), "progress_note": "Monteur komt"}, url),
    )
    card = await click(
        client, card_invoke("ticket.resolve", {**data_of(card), "resolve_note": "Klaar"}, url)
    )
    card = await click(client, card_invoke("ticket.reopen", data_of(card), url, user=COLLEAGUE))
    ticket = await ticket_of(client, number)
    assert ticket.status is Status.REOPENED
    assert [e.type for e in ticket.events][-3:] == [
        EventType.PROGRESS,
        EventType.RESOLVED,
        EventType.REOPENED,
    ]
    assert ticket.events[-3].note == "Monteur komt"


async def test_a_stranger_gets_the_card_back_and_nothing_changes(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    before = await ticket_of(client, number)
    answer = await click(client, card_invoke("ticket.take", data_of(card), url, user=STRANGER))
    assert "alleen die medewerkers" in text_of(answer)
    assert "ticket.take" not in text_of(answer)  # a stranger's view has no buttons to act
    after = await ticket_of(client, number)
    assert (after.version, len(after.events), after.assignee) == (
        before.version,
        len(before.events),
        None,
    )
    await outbox(client)
    assert fake.puts == []


@pytest.mark.parametrize(
    ("verb", "extra"),
    [
        ("ticket.take", {}),
        ("ticket.progress", {"progress_note": "Monteur komt"}),
        ("ticket.delay", {"delay_reason": "Onderdeel besteld", "delay_date": "2026-12-04"}),
        ("ticket.resolve", {"resolve_note": "Vervangen"}),
        ("ticket.reassign", {"reassign_queue": "schoonmaak", "reassign_reason": "Niet van ons"}),
    ],
)
async def test_no_action_of_a_stranger_changes_the_ticket(
    desk: tuple[TestClient, FakeConnector, str], verb: str, extra: dict[str, Any]
) -> None:
    """Every verb, with data that would work for staff (docs/SECURITY.md)."""
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    before = await ticket_of(client, number)
    action = card_invoke(verb, {**data_of(card), **extra}, url, user=STRANGER)
    answer = await click(client, action)
    assert "alleen die medewerkers" in text_of(answer)
    after = await ticket_of(client, number)
    assert (after.version, len(after.events), after.status, after.queue) == (
        before.version,
        len(before.events),
        before.status,
        before.queue,
    )
    await outbox(client)
    assert fake.puts == []
    # the same click by staff does change it: the refusal above was the stranger's
    action["from"] = {"id": f"29:{STAFF}", "name": "Staff", "aadObjectId": STAFF}
    await click(client, action)
    assert (await ticket_of(client, number)).version > before.version


async def test_an_admin_may_act_on_any_queue(desk: tuple[TestClient, FakeConnector, str]) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    await click(client, card_invoke("ticket.take", data_of(card), url, user=ADMIN))
    assert (await ticket_of(client, number)).assignee.id == ADMIN


async def test_a_double_click_does_one_thing(desk: tuple[TestClient, FakeConnector, str]) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    first = await click(client, card_invoke("ticket.take", data_of(card), url))
    second = await click(client, card_invoke("ticket.take", data_of(card), url))
    ticket = await ticket_of(client, number)
    assert [e.type for e in ticket.events].count(EventType.ASSIGNED) == 1
    assert "net gewijzigd" not in text_of(second)  # the same person: quietly the current card
    assert data_of(second) == data_of(first)


async def test_two_staff_taking_at_once_the_first_wins(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    answers = await asyncio.gather(
        click(client, card_invoke("ticket.take", data_of(card), url, user=STAFF)),
        click(client, card_invoke("ticket.take", data_of(card), url, user=COLLEAGUE)),
    )
    ticket = await ticket_of(client, number)
    assert [e.type for e in ticket.events].count(EventType.ASSIGNED) == 1
    winner = ticket.assignee.id
    loser_answer = answers[1] if winner == STAFF else answers[0]
    assert "net gewijzigd" in text_of(loser_answer)
    assert f"Name of {winner}" in text_of(loser_answer)


async def test_an_action_on_a_ticket_that_moved_on_gets_the_current_card(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    current = await click(
        client, card_invoke("ticket.resolve", {**data_of(card), "resolve_note": "Klaar"}, url)
    )
    stale = await click(client, card_invoke("ticket.take", data_of(card), url, user=COLLEAGUE))
    assert "net gewijzigd" in text_of(stale) and "Opgelost" in text_of(stale)
    illegal = await click(client, card_invoke("ticket.take", data_of(current), url, user=COLLEAGUE))
    assert "kan niet meer" in text_of(illegal)
    assert (await ticket_of(client, number)).status is Status.RESOLVED


async def test_a_delay_needs_a_reason_and_a_future_date(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    for inputs in (
        {"delay_reason": "Onderdeel besteld"},
        {"delay_date": "2026-12-04"},
        {"delay_reason": "Te laat", "delay_date": "2026-11-01"},
        {"delay_reason": "Raar", "delay_date": "morgen"},
    ):
        answer = await click(client, card_invoke("ticket.delay", {**data_of(card), **inputs}, url))
        assert "Geef een reden en een nieuwe datum" in text_of(answer)
    assert (await ticket_of(client, number)).status is Status.NEW


async def test_reassign_moves_the_ticket_to_another_queue_and_its_channel(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    reply = await say(
        client, channel_message("koppel schoonmaak", url, channel=OTHER_CHANNEL, user=ADMIN)
    )
    assert "gekoppeld" in reply
    answer = await click(
        client,
        card_invoke(
            "ticket.reassign",
            {**data_of(card), "reassign_queue": "schoonmaak", "reassign_reason": "Is vervuiling"},
            url,
        ),
    )
    ticket = await ticket_of(client, number)
    assert ticket.queue == "schoonmaak" and ticket.status is Status.NEW and ticket.assignee is None
    event = ticket.events[-1]
    assert (event.type, event.note, event.data) == (
        EventType.REASSIGNED,
        "Is vervuiling",
        {"from": "technische-dienst", "to": "schoonmaak"},
    )
    assert "alleen die medewerkers" not in text_of(answer)
    assert "Schoonmaak en afval" in text_of(answer)
    await outbox(client)
    assert [p["_conversation"] for p in fake.posts] == [CHANNEL, OTHER_CHANNEL]
    assert len(fake.puts) == 1 and fake.puts[0]["_conversation"] == CHANNEL


async def test_back_to_the_front_office_needs_a_reason(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    answer = await click(
        client,
        card_invoke("ticket.reassign", {**data_of(card), "reassign_queue": "frontoffice"}, url),
    )
    assert "geef een reden" in text_of(answer)
    await click(
        client,
        card_invoke(
            "ticket.reassign",
            {**data_of(card), "reassign_queue": "frontoffice", "reassign_reason": "Geen storing"},
            url,
        ),
    )
    assert (await ticket_of(client, number)).queue == "frontoffice"


async def test_refresh_shows_each_viewer_the_current_card(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    await click(client, card_invoke("ticket.take", data_of(card), url))
    stale = {"ticket": number, "version": 1, "events": 1}
    mine = await click(client, card_invoke("ticket.refresh", stale, url))
    assert data_of(mine)["version"] > 1 and "ticket.take" not in text_of(mine)
    theirs = await click(client, card_invoke("ticket.refresh", stale, url, user=COLLEAGUE))
    assert "ticket.take" in text_of(theirs) and "ticket.resolve" in text_of(theirs)
    strangers = await click(client, card_invoke("ticket.refresh", stale, url, user=STRANGER))
    assert "ticket.resolve" not in text_of(strangers) and "Technische dienst" in text_of(strangers)
    english = await click(client, card_invoke("ticket.refresh", stale, url, locale="en-GB"))
    assert "Accepted" in text_of(english) and "Respond by" in text_of(english)


@pytest.mark.parametrize(
    ("verb", "data", "expected"),
    [
        ("ticket.fly", {"ticket": "FM-2026-000001", "version": 1}, "begrijp ik niet"),
        ("ticket.take", {}, "begrijp ik niet"),
        ("ticket.take", {"ticket": ["x"], "version": "one"}, "begrijp ik niet"),
        ("ticket.take", {"ticket": "FM-2026-000001"}, "begrijp ik niet"),
        ("ticket.take", {"ticket": "FM-1999-999999", "version": 1}, "bestaat niet"),
    ],
)
async def test_unknown_verbs_and_malformed_data_get_a_readable_card(
    desk: tuple[TestClient, FakeConnector, str], verb: str, data: dict[str, Any], expected: str
) -> None:
    client, fake, url = desk
    await _posted(client, fake, url)
    answer = await click(client, card_invoke(verb, data, url))
    assert expected in text_of(answer)


async def test_an_invoke_without_data_is_not_a_500(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, _, url = desk
    activity = card_invoke("ticket.take", {}, url)
    activity["value"] = {"action": {"type": "Action.Execute", "verb": "ticket.take"}}
    answer = await click(client, activity)
    assert "begrijp ik niet" in text_of(answer)


# -- when Teams lost the message -----------------------------------------------------------------


async def test_a_card_teams_lost_is_posted_again_in_its_thread(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    first_id = "sent-1"
    fake.fail_puts(1)  # 404 ActivityNotFoundInConversation
    card = await click(client, card_invoke("ticket.take", data_of(card), url))
    assert await outbox(client) >= 1
    assert len(fake.posts) == 2
    repost = fake.posts[1]
    assert (repost["_conversation"], repost["_reply_to"]) == (CHANNEL, first_id)
    assert "Geaccepteerd" in text_of(fake.cards()[1])
    # the next update goes to the new message
    await click(
        client, card_invoke("ticket.progress", {**data_of(card), "progress_note": "Onderweg"}, url)
    )
    await outbox(client)
    assert fake.puts[-1]["_activity"] == "sent-2"


async def test_a_refused_update_is_marked_failed_for_an_admin(
    desk: tuple[TestClient, FakeConnector, str],
) -> None:
    client, fake, url = desk
    number, card = await _posted(client, fake, url)
    fake.fail_puts(1, status=403, code="BotNotInConversationRoster")
    await click(client, card_invoke("ticket.take", data_of(card), url))
    await outbox(client)
    failed = await client.server.app[OUTBOX]._store.outbox_rows("failed")
    assert len(failed) == 1 and "403" in failed[0]["last_error"]
    assert len(fake.posts) == 1 and fake.puts == []
