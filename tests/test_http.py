"""/api/messages, /healthz and /readyz over HTTP with Teams-shaped activities."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient

from tests.chat import said
from tests.conftest import FakeConnector, teams_message


async def _post(client: TestClient, activity: Any, **kwargs: Any) -> Any:
    return await client.post("/api/messages", json=activity, **kwargs)


async def test_healthz_answers_alive(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_reports_database_and_knowledge(client: TestClient) -> None:
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200, body
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["knowledge"]["status"] == "ok"
    assert body["checks"]["knowledge"]["products"] == 47


async def test_expect_replies_returns_the_reply_in_the_body(client: TestClient) -> None:
    activity = teams_message("Wat kost een werklunch per persoon?", deliveryMode="expectReplies")
    response = await _post(client, activity)
    assert response.status == 200
    body = await response.json()
    assert "8,50" in said(body["activities"])


async def test_message_replies_go_to_the_connector(
    client: TestClient, connector: tuple[FakeConnector, str]
) -> None:
    fake, url = connector
    response = await _post(client, teams_message("When does the staff restaurant open?", url))
    assert response.status in (200, 201)
    assert len(fake.activities) == 1
    sent = fake.activities[0]
    assert sent["_conversation"] == "a:personal-1"
    card = sent["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert "Did this help?" in json.dumps(card)


async def test_channel_message_with_mention_is_answered_without_the_mention(
    client: TestClient,
) -> None:
    activity = teams_message(
        "<at>Frontoffice</at> help",
        deliveryMode="expectReplies",
        conversation={
            "id": "19:channel@thread.tacv2;messageid=1",
            "conversationType": "channel",
            "tenantId": "tenant-1",
        },
        entities=[
            {
                "type": "mention",
                "text": "<at>Frontoffice</at>",
                "mentioned": {"id": "28:bot-1", "name": "Frontoffice"},
            }
        ],
        channelData={
            "tenant": {"id": "tenant-1"},
            "team": {"id": "19:team@thread.tacv2"},
            "channel": {"id": "19:channel@thread.tacv2"},
        },
    )
    response = await _post(client, activity)
    body = await response.json()
    # a channel is a back-office queue's: its help is about linking (bot/channels.py)
    assert "koppel <wachtrij>" in body["activities"][0]["text"]


async def test_english_message_gets_an_english_answer(client: TestClient) -> None:
    activity = teams_message(
        "How much does a working lunch cost per person?",
        deliveryMode="expectReplies",
        locale="en-US",
    )
    body = await (await _post(client, activity)).json()
    assert "per person" in said(body["activities"])


def _installation(action: str, **overrides: Any) -> dict[str, Any]:
    activity = teams_message(
        "", deliveryMode="expectReplies", type="installationUpdate", action=action
    )
    activity.pop("text")
    activity.update(overrides)
    return activity


def _members_added() -> dict[str, Any]:
    activity = teams_message(
        "",
        deliveryMode="expectReplies",
        type="conversationUpdate",
        membersAdded=[{"id": "28:bot-1"}],
    )
    activity.pop("text")
    return activity


async def test_welcome_is_sent_once_even_when_teams_delivers_the_install_twice(
    client: TestClient,
) -> None:
    bodies = [
        await (await _post(client, a)).json()
        for a in (_members_added(), _installation("add"), _members_added())
    ]
    welcomes = [
        a
        for body in bodies
        for a in body["activities"]
        if "digitale frontoffice" in (a.get("text") or "")
    ]
    assert len(welcomes) == 1


async def test_reinstall_after_removal_welcomes_again(client: TestClient) -> None:
    first = await (await _post(client, _installation("add"))).json()
    removed = await _post(client, _installation("remove"))
    assert removed.status == 200
    again = await (await _post(client, _installation("add"))).json()
    assert len(first["activities"]) == 1
    assert len(again["activities"]) == 1


async def test_concurrent_duplicate_installs_welcome_once(client: TestClient) -> None:
    responses = await asyncio.gather(*(_post(client, _members_added()) for _ in range(5)))
    bodies = [await r.json() for r in responses]
    assert sum(len(body["activities"]) for body in bodies) == 1


async def test_member_added_who_is_not_the_bot_gets_no_welcome(client: TestClient) -> None:
    activity = _members_added()
    activity["membersAdded"] = [{"id": "29:someone-else"}]
    body = await (await _post(client, activity)).json()
    assert body["activities"] == []


def _invoke(verb: str, data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    activity = teams_message(
        "",
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )
    activity.pop("text")
    activity.update(overrides)
    return activity


async def test_card_action_answers_with_the_updated_card(client: TestClient) -> None:
    response = await _post(client, _invoke("product.pick", {"product": "storing.lekkage"}))
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Lekkage" in json.dumps(body["value"], ensure_ascii=False)


async def test_card_action_with_expect_replies_also_works(client: TestClient) -> None:
    response = await _post(
        client, _invoke("product.pick", {"product": "parkeren"}, deliveryMode="expectReplies")
    )
    assert response.status == 200
    body = await response.json()
    assert "activities" in body


async def test_unknown_card_verb_gets_a_polite_card_not_an_error(client: TestClient) -> None:
    response = await _post(client, _invoke("rm -rf", {}))
    assert response.status == 200
    body = await response.json()
    assert "ken ik niet" in json.dumps(body["value"], ensure_ascii=False)


async def test_malformed_json_is_a_400_with_a_json_error(client: TestClient) -> None:
    response = await client.post(
        "/api/messages", data=b'{"type": "message",', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"] == "malformed_json"


async def test_a_body_that_is_not_an_activity_is_a_400(client: TestClient) -> None:
    for body in ([1, 2, 3], "hello", {"text": "no type"}, {"type": 42}):
        response = await _post(client, body)
        assert response.status == 400, body
        assert (await response.json())["error"] == "invalid_activity"


async def test_message_without_conversation_is_a_400_naming_the_field(client: TestClient) -> None:
    activity = teams_message("hallo")
    del activity["conversation"]
    response = await _post(client, activity)
    assert response.status == 400
    assert "conversation" in (await response.json())["message"]


async def test_wrong_field_types_are_a_400(client: TestClient) -> None:
    response = await _post(client, teams_message(["not", "text"]))  # type: ignore[arg-type]
    assert response.status == 400


async def test_oversized_body_is_a_413(client: TestClient) -> None:
    response = await _post(client, teams_message("x" * 300_000))
    assert response.status == 413
    assert (await response.json())["error"] == "too_large"


async def test_non_json_content_type_is_a_415(client: TestClient) -> None:
    response = await client.post(
        "/api/messages", data="hello", headers={"Content-Type": "text/plain"}
    )
    assert response.status == 415


async def test_very_long_text_within_the_limit_gets_an_answer(client: TestClient) -> None:
    text = "De verwarming is kapot. " * 400
    body = await (await _post(client, teams_message(text, deliveryMode="expectReplies"))).json()
    assert body["activities"], body
