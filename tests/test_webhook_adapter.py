"""The webhook adapter: signatures, the signed POST to a real aiohttp receiver, inbound updates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from backoffice_adapter.webhook import (
    IDEMPOTENCY_HEADER,
    PAYLOAD_SCHEMA,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookBackOffice,
    parse_inbound,
    sign,
    verify,
)
from servicedesk.backoffice import (
    BackOffice,
    BackOfficeRejected,
    BackOfficeUnavailable,
    Delivered,
    StatusUpdate,
)
from servicedesk.clock import FixedClock
from servicedesk.errors import InputError
from servicedesk.tickets import Channel, Deadlines, Requester, Status, Ticket

SECRET = "webhook-secret-1"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))


def make_ticket(fields: dict[str, Any] | None = None) -> Ticket:
    return Ticket.open(
        number="FM-2026-000123",
        requester=Requester(id="aad-user-1", name="Ada Employee", email="ada@rivierstad.nl"),
        product_id="catering.werklunch",
        queue="catering",
        kwis="wens",
        priority="P4",
        channel=Channel.PHONE,
        fields=fields
        if fields is not None
        else {"location": "Stadskantoor 2.01", "persons": 12, "description": "Werklunch"},
        charge="8,50 per persoon",
        at=NOW,
        deadlines=Deadlines(NOW + timedelta(days=1), NOW + timedelta(days=10)),
    )


# -- signatures ------------------------------------------------------------------------


def test_a_signature_verifies_with_the_secret() -> None:
    body = b'{"number":"FM-2026-000123"}'
    signature = sign(SECRET, body, TS)
    assert signature.startswith("sha256=")
    assert len(signature) == len("sha256=") + 64
    assert verify(SECRET, body, TS, signature, NOW)
    assert verify(SECRET.encode(), body, TS, signature.upper().replace("SHA256=", "sha256="), NOW)
    assert verify(SECRET, body, TS, signature, NOW + timedelta(seconds=299))


@pytest.mark.parametrize(
    ("secret", "body", "timestamp", "now"),
    [
        ("another-secret", b'{"number":"FM-2026-000123"}', TS, NOW),  # wrong secret
        (SECRET, b'{"number":"FM-2026-000124"}', TS, NOW),  # tampered body
        (SECRET, b'{"number":"FM-2026-000123"}', str(int(TS) + 1), NOW),  # tampered timestamp
        (SECRET, b'{"number":"FM-2026-000123"}', TS, NOW + timedelta(seconds=301)),  # too old
        (SECRET, b'{"number":"FM-2026-000123"}', TS, NOW - timedelta(minutes=10)),  # future
    ],
)
def test_a_signature_fails_for_anything_else(
    secret: str, body: bytes, timestamp: str, now: datetime
) -> None:
    signature = sign(SECRET, b'{"number":"FM-2026-000123"}', TS)
    assert not verify(secret, body, timestamp, signature, now)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(None, "sha256=00"), (TS, None), ("", "x"), ("yesterday", "sha256=00"), (TS, "sha256=é")],
)
def test_missing_or_garbled_headers_never_verify(
    timestamp: str | None, signature: str | None
) -> None:
    assert not verify(SECRET, b"{}", timestamp, signature, NOW)


def test_an_old_signature_is_refused_even_when_it_was_right() -> None:
    body = b"{}"
    old = str(int((NOW - timedelta(hours=1)).timestamp()))
    assert not verify(SECRET, body, old, sign(SECRET, body, old), NOW)
    assert verify(SECRET, body, old, sign(SECRET, body, old), NOW, tolerance=3600)


# -- deliver to a real receiver ---------------------------------------------------------


class Receiver:
    """A back office's webhook endpoint: verifies like a real one would, records, answers."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, bool]] = []
        self.status = 201
        self.reply: Any = {"id": "WB-77", "number": "werkbon 77"}
        self.raw_reply: str | None = None
        self.headers: dict[str, str] = {}
        self.delay = 0.0
        self.app = web.Application()
        self.app.router.add_post("/hook", self._hook)
        self.app.router.add_post("/moved", self._moved)

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        valid = verify(
            SECRET,
            raw,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            NOW,
        )
        self.received.append((dict(request.headers), raw, valid))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.raw_reply is not None:
            return web.Response(status=self.status, text=self.raw_reply, headers=self.headers)
        return web.json_response(self.reply, status=self.status, headers=self.headers)

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/hook")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    fake = Receiver()
    server = TestServer(fake.app)
    await server.start_server()
    yield fake, str(server.make_url("/hook"))
    await server.close()


@pytest.fixture
async def webhook(receiver: tuple[Receiver, str]) -> AsyncIterator[WebhookBackOffice]:
    _, url = receiver
    async with WebhookBackOffice(url, SECRET, timeout=2, clock=FixedClock(NOW)) as adapter:
        yield adapter


async def test_deliver_posts_the_signed_payload_and_the_receiver_verifies_it(
    receiver: tuple[Receiver, str], webhook: WebhookBackOffice
) -> None:
    fake, _ = receiver
    port: BackOffice = webhook
    assert port.name == "webhook"

    delivered = await webhook.deliver(make_ticket(), "ticket-FM-2026-000123")

    assert delivered == Delivered(external_id="WB-77", external_number="werkbon 77")
    ((headers, raw, valid),) = fake.received
    assert valid
    assert headers[IDEMPOTENCY_HEADER] == "ticket-FM-2026-000123"
    assert headers[TIMESTAMP_HEADER] == TS
    assert headers[SIGNATURE_HEADER] == sign(SECRET, raw, TS)
    assert headers["Content-Type"].startswith("application/json")
    body = json.loads(raw)
    assert body == {
        "schema": PAYLOAD_SCHEMA,
        "number": "FM-2026-000123",
        "product": "catering.werklunch",
        "queue": "catering",
        "kwis": "wens",
        "priority": "P4",
        "channel": "phone",
        "status": "new",
        "requester": {
            "id": "aad-user-1",
            "name": "Ada Employee",
            "email": "ada@rivierstad.nl",
            "language": "nl",
        },
        "fields": {"location": "Stadskantoor 2.01", "persons": 12, "description": "Werklunch"},
        "charge": "8,50 per persoon",
        "created_at": "2026-11-23T09:00:00+00:00",
        "deadlines": {
            "response_due": "2026-11-24T09:00:00+00:00",
            "resolve_due": "2026-12-03T09:00:00+00:00",
        },
    }
    assert await webhook.updates([("FM-2026-000123", "WB-77")]) == []


async def test_dates_inside_fields_are_sent_as_iso(
    receiver: tuple[Receiver, str], webhook: WebhookBackOffice
) -> None:
    fake, _ = receiver
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    await webhook.deliver(make_ticket({"when": when, "visitors": ["A. Jansen"]}), "k")
    body = json.loads(fake.received[0][1])
    assert body["fields"] == {"when": "2026-11-30T12:00:00+00:00", "visitors": ["A. Jansen"]}


async def test_a_2xx_without_json_is_still_delivered(
    receiver: tuple[Receiver, str], webhook: WebhookBackOffice
) -> None:
    fake, _ = receiver
    fake.status, fake.raw_reply = 204, ""
    assert await webhook.deliver(make_ticket(), "k") == Delivered()
    fake.status, fake.raw_reply = 200, "thanks"
    assert await webhook.deliver(make_ticket(), "k") == Delivered()


@pytest.mark.parametrize("status", [500, 502, 503, 408])
async def test_server_errors_are_temporary(
    receiver: tuple[Receiver, str], webhook: WebhookBackOffice, status: int
) -> None:
    fake, _ = receiver
    fake.status, fake.reply = status, {"error": "unavailable", "message": "Even geduld"}
    with pytest.raises(BackOfficeUnavailable, match=f"HTTP {status}: Even geduld"):
        await webhook.deliver(make_ticket(), "k")


async def test_429_carries_retry_after(
    receiver: tuple[Receiver, str], webhook: WebhookBackOffice
) -> None:
    fake, _ = receiver
    fake.status, fake.headers = 429, {"Retry-After": "12"}
    with pytest.raises(BackOfficeUnavailable) as caught:
        await webhook.deliver(make_ticket(), "k")
    assert caught.value.retry_after == 12.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_rejected_with_the_receivers_message(
    receiver: tuple[Receiver, str], webhook: WebhookBackOffice, status: int
) -> None:
    fake, _ = receiver
    fake.status, fake.reply = status, {"error": "bad_request", "message": "Onbekend product"}
    with pytest.raises(BackOfficeRejected, match=f"HTTP {status}: Onbekend product"):
        await webhook.deliver(make_ticket(), "k")


async def test_a_redirect_is_rejected_not_followed(receiver: tuple[Receiver, str]) -> None:
    fake, url = receiver
    async with WebhookBackOffice(url.replace("/hook", "/moved"), SECRET) as adapter:
        with pytest.raises(BackOfficeRejected, match="HTTP 302: redirected"):
            await adapter.deliver(make_ticket(), "k")
    assert fake.received == []


async def test_a_slow_receiver_is_temporary(
    receiver: tuple[Receiver, str],
) -> None:
    fake, url = receiver
    fake.delay = 0.5
    async with WebhookBackOffice(url, SECRET, timeout=0.1) as adapter:
        with pytest.raises(BackOfficeUnavailable, match="no answer within 0.1 s"):
            await adapter.deliver(make_ticket(), "k")


def test_a_webhook_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookBackOffice("http://127.0.0.1:9/hook", "")


# -- inbound ---------------------------------------------------------------------------


def _inbound(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": "FM-2026-000123",
        "key": "werkbon-77-3",
        "status": "delayed",
        "note": "Onderdeel besteld",
        "expected": "2026-12-01T12:00:00+01:00",
        "at": "2026-11-24T10:00:00+01:00",
        "actor": {"name": "Monteur Jansen"},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_parse_inbound_gives_a_status_update() -> None:
    update = parse_inbound(_inbound())
    assert update == StatusUpdate(
        number="FM-2026-000123",
        key="werkbon-77-3",
        at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        actor_name="Monteur Jansen",
        status=Status.DELAYED,
        note="Onderdeel besteld",
        expected=datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
    )


def test_parse_inbound_takes_a_note_alone_and_defaults_the_time() -> None:
    body = {"number": "FM-1", "key": "k1", "note": "Gebeld", "actor": {"name": "Piet"}}
    update = parse_inbound(body, now=NOW)
    assert (update.status, update.note, update.at, update.expected) == (None, "Gebeld", NOW, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not an object", "the body must be a JSON object"),
        ({}, "number: is required; key: is required; actor: is required"),
        (_inbound(status="done"), "status: must be one of new, accepted, in_progress"),
        (_inbound(expected="2026-12-01T12:00:00"), "expected: needs a time zone offset"),
        (_inbound(expected="soon"), "expected: Input should be a valid datetime"),
        (_inbound(expected_at="2026-12-01"), "expected_at: is not a known field"),
        (_inbound(actor={"name": " "}), "actor.name: String should have at least 1 character"),
        (_inbound(number=""), "number: String should have at least 1 character"),
        (_inbound(status=None, note=None), "status or note: give a new status, a note, or both"),
        (_inbound(expected=None), "expected: status delayed needs the new expected date"),
        (_inbound(status="resolved", note=""), "note: status resolved needs a note"),
        (_inbound(status="on_hold", note=None), "note: status on_hold needs a reason"),
    ],
)
def test_parse_inbound_rejects_bad_payloads_clearly(body: Any, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_inbound(body)
    assert message in str(caught.value)
