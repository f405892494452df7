"""The TOPdesk adapter against a fake TOPdesk over real HTTP (tests/fake_topdesk.py)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from backoffice_adapter.topdesk import (
    PUSH_MARKER,
    TopdeskBackOffice,
    format_date,
    html_to_text,
    parse_date,
)
from servicedesk.backoffice import (
    BackOffice,
    BackOfficeRejected,
    BackOfficeUnavailable,
    Delivered,
)
from servicedesk.tickets import Actor, Channel, Deadlines, Requester, Status, Ticket
from tests.fake_topdesk import FakeTopdesk

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STAFF = Actor("staff-1", "Bea Balie")
PRIORITIES = {"P1": "P1 Kritiek", "P2": "P2 Hoog", "P3": "P3 Normaal", "P4": "P4 Laag"}
KNOWN_NAMES = {
    "operatorGroup": {"Technische dienst"},
    "priority": set(PRIORITIES.values()),
    "category": {"Gebouw"},
    "subcategory": {"Klimaat"},
    "callType": {"Storing"},
}


def make_ticket(
    number: str = "FM-2026-000123",
    description: str = "Het is veel te koud in kamer 3.14, de radiator blijft koud.",
    priority: str = "P3",
) -> Ticket:
    return Ticket.open(
        number=number,
        requester=Requester(
            id="aad-user-1", name="Ada Employee", email="ada@rivierstad.nl", language="nl"
        ),
        product_id="storing.verwarming",
        queue="technische-dienst",
        kwis="storing",
        priority=priority,
        channel=Channel.CHAT,
        fields={"location": "Stadskantoor, 3e verdieping, 3.14", "description": description},
        charge=None,
        at=AT,
        deadlines=Deadlines(AT + timedelta(hours=4), AT + timedelta(days=3)),
    )


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeTopdesk, str]]:
    server = FakeTopdesk(names={k: set(v) for k, v in KNOWN_NAMES.items()})
    url = await server.start()
    yield server, url
    await server.close()


def adapter_for(url: str, fake: FakeTopdesk, **overrides: object) -> TopdeskBackOffice:
    options: dict[str, object] = {
        "operator_group": "Technische dienst",
        "category": "Gebouw",
        "subcategory": "Klimaat",
        "priority_map": PRIORITIES,
        "call_type": "Storing",
        "timeout": 2.0,
        "product_names": {"storing.verwarming": "Verwarming of klimaat"},
    }
    options.update(overrides)
    login = str(options.pop("login", fake.login))
    password = str(options.pop("password", fake.password))
    return TopdeskBackOffice(url, login, password, **options)  # type: ignore[arg-type]


@pytest.fixture
async def topdesk(fake: tuple[FakeTopdesk, str]) -> AsyncIterator[TopdeskBackOffice]:
    server, url = fake
    adapter = adapter_for(url, server)
    yield adapter
    await adapter.close()


# -- deliver ---------------------------------------------------------------------------


async def test_the_adapter_satisfies_the_port(topdesk: TopdeskBackOffice) -> None:
    port: BackOffice = topdesk
    assert port.name == "topdesk"


async def test_deliver_creates_an_incident_with_the_right_body(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    long = "Radiator <koud> & " + "de thermostaat reageert niet meer op de knoppen " * 4
    ticket = make_ticket(description=long, priority="P2")

    delivered = await topdesk.deliver(ticket, "key-1")

    assert len(server.incidents) == 1
    incident = server.incidents[0]
    assert delivered == Delivered(external_id=incident["id"], external_number=incident["number"])
    assert incident["number"].startswith("I ")
    body = server.bodies[0]
    assert body["externalNumber"] == "FM-2026-000123"
    assert len(body["briefDescription"]) <= 80
    assert body["briefDescription"].startswith("Verwarming of klimaat: Radiator <koud> & de")
    assert body["briefDescription"].endswith("…")
    assert body["caller"] == {"dynamicName": "Ada Employee", "email": "ada@rivierstad.nl"}
    assert "callerLookup" not in body
    assert body["operatorGroup"] == {"name": "Technische dienst"}
    assert body["category"] == {"name": "Gebouw"}
    assert body["subcategory"] == {"name": "Klimaat"}
    assert body["callType"] == {"name": "Storing"}
    assert body["priority"] == {"name": "P2 Hoog"}
    assert body["status"] == "secondLine"
    request = body["request"]
    assert "FM-2026-000123" in request
    assert "Radiator &lt;koud&gt; &amp; de" in request
    assert "<koud>" not in request
    assert "<b>Locatie:</b> Stadskantoor, 3e verdieping, 3.14" in request
    assert "<br>" in request
    assert "23-11-2026 14:00" in request  # response due 13:00 UTC = 14:00 in Amsterdam
    # the look-up comes first, so a retry never creates a second incident
    assert server.requests[:2] == [("GET", "/tas/api/incidents"), ("POST", "/tas/api/incidents")]


async def test_without_operator_group_or_mapped_priority_topdesk_defaults_apply(
    fake: tuple[FakeTopdesk, str],
) -> None:
    server, url = fake
    async with adapter_for(
        url, server, operator_group=None, category=None, subcategory=None, call_type=None
    ) as adapter:
        await adapter.deliver(make_ticket(priority="P9"), "key-1")
    body = server.bodies[0]
    assert body["status"] == "firstLine"
    for key in ("operatorGroup", "category", "subcategory", "callType", "priority"):
        assert key not in body


async def test_delivering_twice_finds_the_incident_instead_of_creating_another(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    first = await topdesk.deliver(make_ticket(), "key-1")
    again = await topdesk.deliver(make_ticket(), "key-1")
    other = await topdesk.deliver(make_ticket(number="FM-2026-000124"), "key-2")

    assert again == first
    assert other.external_id != first.external_id
    assert len(server.incidents) == 2
    assert [m for m, _ in server.requests].count("POST") == 2


async def test_a_timeout_after_topdesk_stored_the_incident_does_not_duplicate_it(
    fake: tuple[FakeTopdesk, str],
) -> None:
    server, url = fake
    server.slow_next(1, seconds=0.6, method="POST")
    async with adapter_for(url, server, timeout=0.2) as adapter:
        with pytest.raises(BackOfficeUnavailable, match="no answer within 0.2 s"):
            await adapter.deliver(make_ticket(), "key-1")
        assert len(server.incidents) == 1  # TOPdesk did the work; only the answer was lost

        retried = await adapter.deliver(make_ticket(), "key-1")

    assert len(server.incidents) == 1
    assert retried.external_id == server.incidents[0]["id"]
    assert retried.external_number == server.incidents[0]["number"]
    assert [m for m, _ in server.requests].count("POST") == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_server_errors_and_request_timeouts_are_temporary(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice, status: int
) -> None:
    server, _ = fake
    server.fail_next(1, status, message="Er ging iets mis", method="POST")
    with pytest.raises(BackOfficeUnavailable, match=f"HTTP {status}: Er ging iets mis") as caught:
        await topdesk.deliver(make_ticket(), "key-1")
    assert caught.value.retry_after is None
    assert server.incidents == []
    await topdesk.deliver(make_ticket(), "key-1")  # the next attempt goes through
    assert len(server.incidents) == 1


async def test_429_carries_retry_after(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    server.fail_next(1, 429, retry_after=30, message="Too many requests")
    with pytest.raises(BackOfficeUnavailable) as caught:
        await topdesk.deliver(make_ticket(), "key-1")
    assert caught.value.retry_after == 30.0
    assert "HTTP 429: Too many requests" in str(caught.value)


async def test_down_then_up(fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice) -> None:
    server, _ = fake
    server.down()
    for _ in range(3):
        with pytest.raises(BackOfficeUnavailable, match="HTTP 503: TOPdesk is in maintenance"):
            await topdesk.deliver(make_ticket(), "key-1")
    server.up()
    await topdesk.deliver(make_ticket(), "key-1")
    assert len(server.incidents) == 1


async def test_connection_refused_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with TopdeskBackOffice(
        f"http://127.0.0.1:{port}/tas/api/",
        "login",
        "password",
        operator_group=None,
        category=None,
        subcategory=None,
        priority_map={},
        call_type=None,
        timeout=2,
    ) as adapter:
        with pytest.raises(BackOfficeUnavailable, match="TOPdesk find incident: Client"):
            await adapter.deliver(make_ticket(), "key-1")


async def test_a_wrong_password_is_rejected_with_topdesks_message(
    fake: tuple[FakeTopdesk, str],
) -> None:
    server, url = fake
    async with adapter_for(url, server, password="wrong") as adapter:
        with pytest.raises(BackOfficeRejected, match="HTTP 401: Invalid login or application"):
            await adapter.deliver(make_ticket(), "key-1")
    assert server.incidents == []


async def test_a_validation_error_is_rejected_with_topdesks_message(
    fake: tuple[FakeTopdesk, str],
) -> None:
    server, url = fake
    async with adapter_for(url, server, operator_group="Loodgieters") as adapter:
        with pytest.raises(BackOfficeRejected) as caught:
            await adapter.deliver(make_ticket(), "key-1")
    assert "HTTP 400" in str(caught.value)
    assert "No operatorGroup found with name 'Loodgieters'" in str(caught.value)
    assert server.incidents == []


@pytest.mark.parametrize(
    ("status", "shape"), [(400, "errors"), (403, "list"), (404, "list"), (422, "errors")]
)
async def test_other_client_errors_are_rejected_with_either_body_shape(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice, status: int, shape: str
) -> None:
    server, _ = fake
    server.fail_next(1, status, message="Niet toegestaan: veld X", shape=shape)
    with pytest.raises(BackOfficeRejected, match=f"HTTP {status}: Niet toegestaan: veld X"):
        await topdesk.deliver(make_ticket(), "key-1")


async def test_a_number_longer_than_externalnumber_allows_is_rejected_before_sending(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    with pytest.raises(BackOfficeRejected, match="externalNumber"):
        await topdesk.deliver(make_ticket(number="FM-" + "9" * 60), "key-1")
    assert server.requests == []


async def test_version(topdesk: TopdeskBackOffice) -> None:
    assert await topdesk.version() == "3.7.0"


# -- updates ---------------------------------------------------------------------------


async def _delivered(topdesk: TopdeskBackOffice, ticket: Ticket) -> str:
    delivered = await topdesk.deliver(ticket, f"key-{ticket.number}")
    assert delivered.external_id is not None
    return delivered.external_id


async def test_a_new_incident_reports_nothing(topdesk: TopdeskBackOffice) -> None:
    incident_id = await _delivered(topdesk, make_ticket())
    assert await topdesk.updates([("FM-2026-000123", incident_id)]) == []
    assert await topdesk.updates([]) == []


async def test_an_action_shows_up_once_as_a_note_with_a_stable_key(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    incident_id = await _delivered(topdesk, make_ticket())
    action = server.add_action(incident_id, "Monteur komt <b>morgen</b> langs &amp; belt<br>vooraf")
    server.add_action(incident_id, "Interne notitie: onderdeel bestellen", invisible=True)

    first = await topdesk.updates([("FM-2026-000123", incident_id)])
    second = await topdesk.updates([("FM-2026-000123", incident_id)])

    assert len(first) == 1
    note = first[0]
    assert note.number == "FM-2026-000123"
    assert note.key == f"topdesk:{action['id']}"
    assert note.status is None
    assert note.note == "Monteur komt morgen langs & belt\nvooraf"
    assert note.actor_name == "Jan Monteur"
    assert note.at == parse_date(action["entryDate"])
    assert second == first


async def test_completed_becomes_resolved_and_closed_becomes_closed(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    incident_id = await _delivered(topdesk, make_ticket())
    incident = server.set_status(incident_id, completed=True, operator="Jan Monteur")

    resolved = await topdesk.updates([("FM-2026-000123", incident_id)])
    assert [u.status for u in resolved] == [Status.RESOLVED]
    update = resolved[0]
    assert update.at == parse_date(incident["completedDate"])
    assert update.key == f"topdesk:{incident_id}:status:resolved:{incident['completedDate']}"
    assert update.actor_name == "Jan Monteur"
    assert update.note == f"TOPdesk {incident['number']}: afgemeld"
    server.add_action(incident_id, "Radiator ontlucht")  # a later edit: same status key
    again = await topdesk.updates([("FM-2026-000123", incident_id)])
    assert [u.key for u in again if u.status] == [update.key]

    server.set_status(incident_id, closed=True)
    closed = await topdesk.updates([("FM-2026-000123", incident_id)])
    assert [u.status for u in closed if u.status] == [Status.CLOSED]


async def test_processing_statuses_map_to_ours(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    incident_id = await _delivered(topdesk, make_ticket())
    pair = [("FM-2026-000123", incident_id)]

    incident = server.set_status(incident_id, processing_status="In behandeling")
    (working,) = await topdesk.updates(pair)
    assert working.status is Status.IN_PROGRESS
    assert working.note == f"TOPdesk {incident['number']}: In behandeling"

    server.set_status(incident_id, on_hold=True)
    assert [u.status for u in await topdesk.updates(pair)] == [Status.ON_HOLD]

    target = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    server.set_status(incident_id, on_hold=False, processing_status="Vertraagd", target_date=target)
    (delayed,) = await topdesk.updates(pair)
    assert delayed.status is Status.DELAYED
    assert delayed.expected == target

    server.set_status(incident_id, processing_status="Iets eigens")
    assert await topdesk.updates(pair) == []


async def test_many_actions_are_read_across_pages(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    server.max_page_size = 10
    incident_id = await _delivered(topdesk, make_ticket())
    for n in range(25):
        server.add_action(incident_id, f"Stap {n}")
    found = await topdesk.updates([("FM-2026-000123", incident_id)])
    assert sorted(u.note for u in found) == sorted(f"Stap {n}" for n in range(25))
    assert len({u.key for u in found}) == 25


async def test_an_unknown_incident_is_skipped_and_an_outage_fails_the_poll(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    incident_id = await _delivered(topdesk, make_ticket())
    server.add_action(incident_id, "Bezig")
    pairs = [("FM-2026-000123", incident_id), ("FM-2026-000999", "no-such-incident")]
    assert [u.note for u in await topdesk.updates(pairs)] == ["Bezig"]

    server.down()
    with pytest.raises(BackOfficeUnavailable):
        await topdesk.updates(pairs)


# -- push ------------------------------------------------------------------------------


async def test_push_writes_an_action_that_does_not_come_back_as_a_note(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    ticket = make_ticket()
    delivered = await topdesk.deliver(ticket, "key-1")
    ticket.record_delivery(AT, "topdesk", delivered.external_id)
    ticket.progress(STAFF, AT + timedelta(minutes=5), "De melder is <vanaf 14:00> aanwezig")

    assert await topdesk.push(ticket, ticket.events[-1]) is True

    (action,) = server.actions[str(delivered.external_id)]
    assert action["memoText"] == f"{PUSH_MARKER} De melder is &lt;vanaf 14:00&gt; aanwezig"
    assert action["invisibleForCaller"] is False
    assert server.bodies[-1]["onHold"] is False
    assert await topdesk.updates([(ticket.number, str(delivered.external_id))]) == []


async def test_push_maps_our_statuses_to_topdesk_fields(
    fake: tuple[FakeTopdesk, str],
) -> None:
    server, url = fake
    adapter = adapter_for(
        url, server, push_processing_statuses={Status.ON_HOLD: "Wacht op gebruiker"}
    )
    async with adapter:
        ticket = make_ticket()
        delivered = await adapter.deliver(ticket, "key-1")  # no delivered event: looked up
        incident = server.incidents[0]

        ticket.hold(STAFF, AT + timedelta(minutes=1), "Wacht op toegang tot de ruimte")
        assert await adapter.push(ticket, ticket.events[-1])
        assert incident["onHold"] is True
        assert incident["processingStatus"]["name"] == "Wacht op gebruiker"

        expected = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
        ticket.delay(STAFF, AT + timedelta(minutes=2), "Onderdeel besteld", expected)
        assert await adapter.push(ticket, ticket.events[-1], delivered.external_id)
        assert incident["onHold"] is False
        assert incident["targetDate"] == format_date(expected)
        assert server.bodies[-1]["targetDate"] == "2026-11-27T15:00:00.000+0000"

        ticket.resolve(STAFF, AT + timedelta(hours=1), "Radiator vervangen")
        assert await adapter.push(ticket, ticket.events[-1])
        assert incident["completed"] is True

        ticket.close(Actor.system("topdesk"), AT + timedelta(days=1))
        assert await adapter.push(ticket, ticket.events[-1]) is False  # TOPdesk's own: not echoed

    texts = [html_to_text(a["memoText"]) for a in server.actions[incident["id"]]]
    assert texts == [
        f"{PUSH_MARKER} Radiator vervangen",
        f"{PUSH_MARKER} Vertraagd tot 27-11-2026 16:00: Onderdeel besteld",
        f"{PUSH_MARKER} In de wacht: Wacht op toegang tot de ruimte",
    ]


async def test_push_before_delivery_is_temporary(topdesk: TopdeskBackOffice) -> None:
    ticket = make_ticket()
    ticket.cancel(Actor("aad-user-1", "Ada Employee"), AT, "Niet meer nodig")
    with pytest.raises(BackOfficeUnavailable, match="has no incident yet"):
        await topdesk.push(ticket, ticket.events[-1])


async def test_events_topdesk_does_not_need_are_not_pushed(
    fake: tuple[FakeTopdesk, str], topdesk: TopdeskBackOffice
) -> None:
    server, _ = fake
    ticket = make_ticket()
    assert await topdesk.push(ticket, ticket.events[0]) is False  # created
    ticket.assign(STAFF, Actor("staff-2", "Cor"), AT)
    assert await topdesk.push(ticket, ticket.events[-1]) is False
    assert server.requests == []


# -- dates -----------------------------------------------------------------------------


def test_topdesk_dates_round_trip() -> None:
    parsed = parse_date("2021-02-11T06:32:36.303+0000")
    assert parsed == datetime(2021, 2, 11, 6, 32, 36, 303000, tzinfo=UTC)
    assert format_date(parsed) == "2021-02-11T06:32:36.303+0000"
    summer = parse_date("2024-08-01T12:00:00.000+0200")
    assert summer.utcoffset() == timedelta(hours=2)
    assert format_date(summer) == "2024-08-01T12:00:00.000+0200"
    assert parse_date("2024-08-01T10:00:00Z") == summer
    with pytest.raises(ValueError):
        parse_date("2024-08-01T10:00:00")
