"""Every input the fuzzer (tests/fuzz/, ``make fuzz``) found failing, exactly as found,
with the answer it gets now: a 400 with ``error`` and ``message``, or a reply, and
nothing logged as a failed turn."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from backoffice_adapter.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.app import create_app
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from tests.chat import said
from tests.conftest import teams_message

TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SECRET = "webhook-secret"
SECRET_ENV = "FRONTOFFICE_FUZZ_REGRESSIONS_SECRET"
JSON = {"Content-Type": "application/json"}
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[TestClient]:
    """One app for the whole module (each input is independent of the others)."""
    folder = tmp_path_factory.mktemp("fuzz-regressions")
    shutil.copytree(DEFAULT_DIR, folder / "knowledge")
    (folder / "knowledge" / "backoffices.yaml").write_text(
        f"fmis:\n  kind: webhook\n  url: http://127.0.0.1:9/unused\n  secret_env: {SECRET_ENV}\n",
        "utf-8",
    )
    os.environ[SECRET_ENV] = SECRET
    settings = Settings(
        db_url=f"sqlite:///{folder / 'frontoffice.db'}",
        knowledge_dir=folder / "knowledge",
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        poll_seconds=0,
        log_format="text",
    )
    try:
        async with TestClient(TestServer(create_app(settings))) as test_client:
            yield test_client
    finally:
        os.environ.pop(SECRET_ENV, None)


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _with(activity: dict[str, Any], key: str, raw_value: str) -> bytes:
    """``activity`` as JSON with ``key`` set to ``raw_value`` (JSON text, maybe deep)."""
    return (json.dumps(activity)[:-1] + f', "{key}": {raw_value}}}').encode()


async def _refused(response: Any, status: int = 400, code: str | None = None) -> dict[str, Any]:
    assert response.status == status, await response.text()
    body: dict[str, Any] = await response.json()
    assert body["error"] and body["message"]
    if code is not None:
        assert body["error"] == code, body
    return body


def _no_failed_turn(caplog: pytest.LogCaptureFixture) -> None:
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failed, [r.getMessage() for r in failed]


# -- JSON nested thousands of levels deep (RecursionError: 500) ---------------------------


@pytest.mark.parametrize("where", ["body", "entities", "text", "channelData", "value"])
@pytest.mark.parametrize("depth", [65, 2_000, 100_000])
async def test_json_nested_past_the_limit_in_an_activity_is_a_400(
    client: TestClient, where: str, depth: int
) -> None:
    activity = teams_message("hallo", deliveryMode="expectReplies")
    raw = _nested(depth).encode() if where == "body" else _with(activity, where, _nested(depth))
    response = await client.post("/api/messages", data=raw, headers=JSON)
    body = await _refused(response, code="too_deep")
    assert "64" in body["message"]


async def test_json_nested_deep_in_a_ticket_or_a_status_update_is_a_400(
    client: TestClient,
) -> None:
    response = await client.post("/api/v1/tickets", data=_nested(5_000), headers=AUTH)
    await _refused(response, code="too_deep")
    ticket = (
        '{"product": "storing.verwarming", "requester": {"id": "a"}, "channel": "phone", '
        f'"fields": {{"location": {_nested(3_000)}}}}}'
    )
    response = await client.post("/api/v1/tickets", data=ticket, headers=AUTH)
    await _refused(response, code="too_deep")
    raw = _nested(5_000).encode()
    stamp = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, raw, stamp), **JSON}
    response = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    await _refused(response, code="too_deep")


async def test_a_normal_activity_nested_64_levels_is_still_read(client: TestClient) -> None:
    activity = teams_message("hallo", deliveryMode="expectReplies")
    response = await client.post(
        "/api/messages", data=_with(activity, "x", _nested(62)), headers=JSON
    )
    assert response.status == 200, await response.text()


# -- card invokes of another shape (the SDK's error response could not be written: 500) ---


def _invoke(value: Any, name: str = "adaptiveCard/action") -> dict[str, Any]:
    activity = teams_message("")
    activity.pop("text")
    activity.update(type="invoke", name=name, value=value)
    return activity


@pytest.mark.parametrize(
    "value",
    [
        None,
        1,
        "x",
        [],
        {"foo": 1},
        {"self": 1},
        {"action": None, "trigger": "manual"},
        {"action": 1, "trigger": "manual"},
        {"action": [1], "trigger": "manual"},
        {"action": {"type": 1}, "trigger": "manual"},
        {"action": {"type": []}, "trigger": "manual"},
        {"action": {"type": {}}, "trigger": "manual"},
        {"action": {"type": "Action.Submit"}, "trigger": "manual"},
        {"action": {"type": "Action.Execute", "verb": 5}, "trigger": "manual"},
        {"action": {"type": "Action.Execute", "verb": ["intake.confirm"]}},
    ],
)
async def test_a_card_invoke_of_another_shape_is_a_400_teams_can_show(
    client: TestClient, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post("/api/messages", json=_invoke(value))
    body = await _refused(response, code="invalid_card_action")
    assert body["statusCode"] == 400
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["message"] == body["message"]
    _no_failed_turn(caplog)


@pytest.mark.parametrize(
    "name", ["composeExtension/query", "task/fetch", "signin/verifyState", "x"]
)
async def test_an_invoke_the_bot_does_not_handle_is_a_400_not_a_501(
    client: TestClient, name: str
) -> None:
    response = await client.post("/api/messages", json=_invoke({"x": 1}, name))
    await _refused(response, code="unsupported_invoke")


async def test_an_unknown_verb_or_odd_data_still_gets_a_readable_card(client: TestClient) -> None:
    for action in (
        {"type": "Action.Execute", "verb": "intake.confirm", "data": []},
        {"type": "Action.Execute", "verb": "intake.confirm", "data": "x"},
        {"type": "Action.Execute", "verb": "no.such.verb", "data": {"ticket": None}},
        {"type": "Action.Execute"},
    ):
        response = await client.post("/api/messages", json=_invoke({"action": action}))
        assert response.status == 200, await response.text()
        body = await response.json()
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        assert body["value"]["type"] == "AdaptiveCard"


# -- mention entities of another shape (KeyError / TypeError in the SDK's mention removal) --


@pytest.mark.parametrize(
    "entities",
    [
        [{"type": "mention", "text": "<at>Frontoffice</at>"}],  # no "mentioned": KeyError
        [{"type": "mention", "text": "<at>Frontoffice</at>", "mentioned": [[[]]]}],  # TypeError
        [{"type": "mention", "mentioned": {"name": "Frontoffice"}}],  # no id: KeyError 'id'
        [{"type": "mention", "mentioned": {"id": "28:bot-1", "name": "(.*"}}],  # a regex
        [{"text": "<at>Frontoffice</at>"}],  # no type
        [{"type": None}, {"type": 7, "mentioned": {"id": "28:bot-1"}}],
    ],
)
async def test_a_message_with_an_odd_mention_is_answered(
    client: TestClient, entities: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    activity = teams_message(
        "<at>Frontoffice</at> help", deliveryMode="expectReplies", entities=entities
    )
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 400), await response.text()
    if response.status == 200:
        assert (await response.json())["activities"]
    else:
        await _refused(response)
    _no_failed_turn(caplog)


async def test_the_bots_mention_is_removed_beside_a_mention_of_another_shape(
    client: TestClient,
) -> None:
    activity = teams_message(
        "<at>Frontoffice</at> help",
        deliveryMode="expectReplies",
        entities=[
            {"type": "mention", "text": "<at>Frontoffice</at>", "mentioned": {"id": "28:bot-1"}},
            {"type": "mention", "mentioned": [1]},
        ],
    )
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    help_text = said((await response.json())["activities"])
    plain = teams_message("help", deliveryMode="expectReplies")
    response = await client.post("/api/messages", json=plain)
    assert said((await response.json())["activities"]) == help_text


# -- channel data, ids and URLs of another type or size -------------------------------------

FOUND_TENANT_LIST = (  # as the fuzzer sent it: tenant id [[[]]] -> sqlite ProgrammingError
    b'{"type": "message", "id": "70776d4ec5e64f6d962e11c06e4f4b72", "timestamp": '
    b'"2026-11-23T09:00:00.000Z", "serviceUrl": "http://127.0.0.1:39065/", "channelId": '
    b'"msteams", "from": {"id": "29:fuzz-user", "name": "Fuzz Employee", "aadObjectId": '
    b'"aad-fuzz"}, "conversation": {"id": "19:fuzz@thread.tacv2;messageid=1", '
    b'"conversationType": "channel", "tenantId": "tenant-1"}, "recipient": {"id": "28:bot-1", '
    b'"name": "Frontoffice"}, "text": "<at>Frontoffice</at> help", "textFormat": "plain", '
    b'"locale": "nl-NL", "channelData": {"tenant": {"id": [[[]]]}, "team": {"id": '
    b'"19:team@thread.tacv2"}, "channel": {"id": "19:fuzz@thread.tacv2"}}, "deliveryMode": '
    b'"expectReplies", "entities": [{"type": "mention", "text": "<at>Frontoffice</at>", '
    b'"mentioned": {"id": "28:bot-1", "name": "Frontoffice"}}, {"type": "clientInfo", '
    b'"locale": "nl-NL", "timezone": "Europe/Amsterdam"}]}'
)


async def test_channel_data_ids_that_are_not_text_are_ignored(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post("/api/messages", data=FOUND_TENANT_LIST, headers=JSON)
    assert response.status == 200, await response.text()
    activity = teams_message(
        "help",
        deliveryMode="expectReplies",
        conversation={"id": "a:other", "conversationType": "personal"},
        channelData={"tenant": {"id": {"x": 1}}, "team": {"id": 5}, "channel": {"id": [1]}},
    )
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200, await response.text()
    _no_failed_turn(caplog)


@pytest.mark.parametrize("service_url", ["", " ", "9" * 200, "ftp://127.0.0.1/", "127.0.0.1:9"])
async def test_a_service_url_that_is_not_an_http_url_is_a_400(
    client: TestClient, service_url: str
) -> None:
    # "" made the SDK post the reply to its default host, api.botframework.com
    activity = teams_message("hallo", service_url)
    activity.pop("deliveryMode", None)
    response = await client.post("/api/messages", json=activity)
    body = await _refused(response, code="invalid_activity")
    assert "serviceUrl" in body["message"]


@pytest.mark.parametrize("field", ["conversation", "from", "id"])
async def test_an_id_of_100_000_characters_is_a_400(client: TestClient, field: str) -> None:
    # a reply's URL holds the conversation id: the Bot Connector refused the line (400)
    activity = teams_message("hallo", deliveryMode="expectReplies")
    if field == "id":
        activity["id"] = "9" * 100_000
    else:
        activity[field] = {**activity[field], "id": "9" * 100_000}
    response = await client.post("/api/messages", json=activity)
    await _refused(response, code="invalid_activity")


# -- text that is not text, numbers no parser reads, bodies past the size limit -------------


@pytest.mark.parametrize("raw_text", ['"\\ud800"', '"kamer \\udfff\\ud800 2.14"', '"\\uDBFF"'])
async def test_a_lone_surrogate_is_a_400_before_it_reaches_the_database(
    client: TestClient, raw_text: str
) -> None:
    # json.loads accepts it; UTF-8 cannot hold it: UnicodeEncodeError in SQLite, a 500
    activity = teams_message("x", deliveryMode="expectReplies")
    raw = json.dumps(activity).replace('"text": "x"', f'"text": {raw_text}').encode()
    response = await client.post("/api/messages", data=raw, headers=JSON)
    await _refused(response, code="invalid_text")
    ticket = (
        '{"product": "storing.verwarming", "requester": {"id": "a"}, "channel": "phone", '
        f'"fields": {{"location": {raw_text}}}}}'
    )
    response = await client.post("/api/v1/tickets", data=ticket, headers=AUTH)
    await _refused(response, code="invalid_text")


async def test_an_emoji_written_as_an_escaped_pair_is_still_read(client: TestClient) -> None:
    activity = teams_message("de kraan lekt \U0001f4a7", deliveryMode="expectReplies")
    raw = json.dumps(activity).encode()  # ensure_ascii: "\\ud83d\\udca7"
    assert b"\\ud83d" in raw
    response = await client.post("/api/messages", data=raw, headers=JSON)
    assert response.status == 200, await response.text()


async def test_an_integer_of_5000_digits_is_a_400(client: TestClient) -> None:
    raw = b'{"type": "message", "x": ' + b"9" * 5_000 + b"}"
    response = await client.post("/api/messages", data=raw, headers=JSON)
    await _refused(response, code="malformed_json")
    response = await client.post("/api/v1/tickets", data=raw, headers=AUTH)
    await _refused(response, code="malformed_json")


async def test_a_ticket_or_status_body_past_the_size_limit_is_a_json_413(
    client: TestClient,
) -> None:
    raw = b'{"product": "' + b"a" * 600_000 + b'"}'
    response = await client.post("/api/v1/tickets", data=raw, headers=AUTH)
    await _refused(response, status=413, code="too_large")
    stamp = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, raw, stamp), **JSON}
    response = await client.post("/api/v1/backoffices/fmis/status", data=raw, headers=headers)
    await _refused(response, status=413, code="too_large")


async def test_a_step_whose_body_is_not_utf8_is_a_400(client: TestClient) -> None:
    # schemathesis: a 400 the document did not list (it does now)
    raw = b"\xd2\n%%\xc7\x8f_\xa0P\x8e\x9b\xb6P\xc2"
    response = await client.post("/api/v1/tickets/FM-2026-000001/events", data=raw, headers=AUTH)
    await _refused(response, code="malformed_json")


# -- found by the first 100,000-input run ---------------------------------------------------


async def test_a_null_attachment_or_member_is_a_400(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    # AttributeError: 'NoneType' object has no attribute 'content_type' / 'id'
    message = teams_message("hier is de lijst", deliveryMode="expectReplies")
    for field, value in (
        ("attachments", [{"contentType": "image/png", "contentUrl": "http://127.0.0.1:9/x"}, None]),
        ("attachments", "x"),
        ("entities", [None]),
    ):
        response = await client.post("/api/messages", json={**message, field: value})
        body = await _refused(response, code="invalid_activity")
        assert field in body["message"]
    update = {**message, "type": "conversationUpdate"}
    update.pop("text")
    for members in ([{"id": "28:bot-1"}, None], [{"name": "no id"}], 5):
        for field in ("membersAdded", "membersRemoved"):
            response = await client.post("/api/messages", json={**update, field: members})
            await _refused(response, code="invalid_activity")
    _no_failed_turn(caplog)


async def test_a_service_url_with_unicode_or_a_bad_port_is_a_400(client: TestClient) -> None:
    # UnicodeEncodeError ('latin-1') and InvalidURL when the SDK posted the reply
    for service_url in (
        "http://127.0.0.1:39065/\u202e\u202dbidi",
        "http://127.0.0.1:\ufffd\uffff\U0010ffff41347/",
        "http://127.0.0.1:99999/",
        "http:///no-host",
        "http://127.0.0.1:9/a b",
    ):
        response = await client.post("/api/messages", json=teams_message("hallo", service_url))
        await _refused(response, code="invalid_activity")


async def test_a_conversation_id_of_512_unicode_characters_is_a_400(client: TestClient) -> None:
    # percent-encoded in the reply's URL it passed the connector's 8 KB line limit
    activity = teams_message("hallo", deliveryMode="expectReplies")
    activity["conversation"] = {**activity["conversation"], "id": "é" * 400}
    response = await client.post("/api/messages", json=activity)
    body = await _refused(response, code="invalid_activity")
    assert "bytes" in body["message"]


async def test_a_csv_with_a_lone_carriage_return_is_read() -> None:
    from dialogs.extract import parse_visitors_csv

    # csv.Error: new-line character seen in unquoted field
    found = (
        b"\xe2\x80\x81\xc2\xa7^5\xd6\xa7\xc6\xbd]\xd8\x8e\xc5\x92\xc6\xb1\xcc\xb0\xcc\xaakk\xcd"
        b"\x8c2\xe2\x80\xb4\xc6\xba\xd9\x85\xc4\x9f\xcc\x9f\xcd\xa7A\xd9\xaev\xc7\x8bZ\xd8\x8d("
        b"\xe2\x80\xa4\xd8\x8a\xc4\xa6\xe2\x80\x8d\xd6\xb7\r\xd9\xbek\xe2\x81\xab\xc4\xb4\xc6"
        b"\x9f\xcd\xaa[\xd8\x87\xda\x9a\xe2\x81\xac\xe2\x81\x89\xda\x84\xc8\x97\xd6\xa8Q\xd7"
        b"\x89\xc8\x84\xcc\x94\xc8\xac\xd7\x8a\xd7\x8b"
    )
    assert isinstance(parse_visitors_csv(found), list)
    names = [v.name for v in parse_visitors_csv(b"naam\rJan Jansen\rPiet de Vries\r")]
    assert names == ["Jan Jansen", "Piet de Vries"]


async def test_a_knowledge_file_with_an_impossible_date_is_a_problem_on_its_line(
    tmp_path: Path,
) -> None:
    from knowledge.loader import check_knowledge

    # ValueError: month must be in 1..12, raised out of check_knowledge
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "products" / "post.koerier.yaml"
    lines = path.read_text("utf-8").splitlines()
    lines.insert(3, "when: 2026-13-45")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    knowledge, problems = check_knowledge(folder)
    assert knowledge is None
    assert problems == [f"{path}:4: yaml: cannot read a value: month must be in 1..12"]
