"""The console's tickets pages: the filtered list, a ticket's page with its trail, and the
same actions as the channel card, through the same service and version checks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.keys import TICKET_STORE, TICKETS
from console.roles import Identity
from console.session import SessionCodec
from servicedesk.clock import FixedClock
from servicedesk.service import NewTicket, Step
from servicedesk.tickets import Actor, Channel, EventType, Requester, Status, Ticket
from tests.console_kit import console_client, console_settings, csrf_of, sign_in

WEDNESDAY_11 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam
TD, CLEANING = "technische-dienst", "schoonmaak"
ROW = re.compile(r'<tr data-number="([^"]+)">')


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WEDNESDAY_11)


@pytest.fixture
async def client(db_url: str, clock: FixedClock) -> AsyncIterator[TestClient]:
    async with console_client(console_settings(db_url), clock=clock) as c:
        yield c


async def new_ticket(
    client: TestClient,
    product: str = "storing.lift",
    name: str = "Ada Lovelace",
    location: str = "Stadskantoor 2.14",
    description: str = "De lift blijft hangen",
) -> Ticket:
    return await client.server.app[TICKETS].create(
        NewTicket(
            product_id=product,
            requester=Requester(f"aad-{name.split()[0].lower()}", name, "ada@rivierstad.nl"),
            channel=Channel.PHONE,
            fields={"location": location, "description": description},
        )
    )


async def listed(client: TestClient, query: str = "") -> list[str]:
    response = await client.get(f"/desk/tickets{query}")
    assert response.status == 200, await response.text()
    html = await response.text()
    assert 'id="tickets"' in html or "Geen meldingen" in html
    return ROW.findall(html)


async def current(client: TestClient, number: str) -> Ticket:
    return await client.server.app[TICKETS].get(number)


async def act(
    client: TestClient, number: str, verb: str, token: str, **inputs: str
) -> tuple[int, str]:
    """Posts the action form as the page draws it (the version it was drawn with)."""
    page = await client.get(f"/desk/tickets/{number}")
    html = await page.text()
    version = re.search(r'name="version" value="(\d+)"', html)
    events = re.search(r'name="events" value="(\d+)"', html)
    assert version and events, html
    form = {
        "_csrf": token,
        "verb": verb,
        "version": version.group(1),
        "events": events.group(1),
        **inputs,
    }
    response = await client.post(f"/desk/tickets/{number}/act", data=form)
    return response.status, await response.text()


async def pushes(client: TestClient, number: str) -> list[int]:
    rows = await client.server.app[TICKET_STORE].outbox_rows()
    return [r["event_seq"] for r in rows if r["kind"] == "push" and r["number"] == number]


# -- the list --------------------------------------------------------------------------------


async def test_the_list_filters_by_queue_status_and_text_newest_first(
    client: TestClient, clock: FixedClock
) -> None:
    lift = await new_ticket(client)
    clock.move_to(WEDNESDAY_11 + timedelta(minutes=1))
    waste = await new_ticket(
        client, "schoonmaak.afval", "Bob Bakker", "Werf, ingang B", "Container vol"
    )
    clock.move_to(WEDNESDAY_11 + timedelta(minutes=2))
    heating = await new_ticket(
        client, "storing.verwarming", "Cor Claes", "Raadhuis 0.01", "Het is koud"
    )
    await client.server.app[TICKETS].act(heating.number, Step("take", Actor("aad-x", "Xavier")))
    await sign_in(client, "desk")
    assert await listed(client) == [heating.number, waste.number, lift.number]
    assert await listed(client, f"?queue={TD}") == [heating.number, lift.number]
    assert await listed(client, "?status=new") == [waste.number, lift.number]
    assert await listed(client, "?status=accepted") == [heating.number]
    assert await listed(client, "?status=open") == [heating.number, waste.number, lift.number]
    assert await listed(client, "?q=bakker") == [waste.number]  # requester name
    assert await listed(client, "?q=ingang+b") == [waste.number]  # location
    assert await listed(client, "?q=koud") == [heating.number]  # description
    assert await listed(client, "?q=Verwarming") == [heating.number]  # product name
    assert await listed(client, "?q=heating") == [heating.number]  # product name in English
    assert await listed(client, f"?q={lift.number[-6:]}") == [lift.number]  # number
    assert await listed(client, "?q=100%25") == []  # LIKE wildcards are plain text
    assert await listed(client, f"?queue={CLEANING}&q=lift") == []
    page = await (await client.get("/desk/tickets")).text()
    assert f'<a href="/desk/tickets/{lift.number}">' in page
    assert "Lift" in page and "Ada Lovelace" in page and "25-11-2026 11:00" in page


async def test_the_sla_filters_follow_the_clock(client: TestClient, clock: FixedClock) -> None:
    """P1 (24x7): response in 15 minutes, resolution in 4 hours; at risk from 75%."""
    waiting = await new_ticket(client, name="Ada Lovelace")
    taken = await new_ticket(client, name="Bob Bakker")
    await client.server.app[TICKETS].act(taken.number, Step("take", Actor("aad-x", "Xavier")))
    calm = await new_ticket(client, "storing.verwarming", "Cor Claes")  # P3, business hours
    await sign_in(client, "admin", "Lea Lead")
    clock.move_to(WEDNESDAY_11 + timedelta(minutes=5))
    assert await listed(client, "?sla=at_risk") == []
    assert await listed(client, "?sla=ok") == [calm.number, taken.number, waiting.number]
    clock.move_to(WEDNESDAY_11 + timedelta(minutes=12))  # 12 of 15 minutes: at risk
    assert await listed(client, "?sla=at_risk") == [waiting.number]
    assert await listed(client, "?sla=breached") == []
    assert await listed(client, "?sla=ok") == [calm.number, taken.number]
    page = await (await client.get("/desk/tickets?sla=at_risk")).text()
    assert 'class="sla-at_risk"' in page
    clock.move_to(WEDNESDAY_11 + timedelta(minutes=16))
    assert await listed(client, "?sla=breached") == [waiting.number]
    assert await listed(client, "?sla=at_risk") == []
    clock.move_to(WEDNESDAY_11 + timedelta(hours=3, minutes=10))  # 190 of 240 minutes
    # the P1's resolution and the P3's response (4 business hours) are both at risk now
    assert await listed(client, "?sla=at_risk") == [calm.number, taken.number]
    assert await listed(client, f"?sla=breached&queue={TD}") == [waiting.number]
    page = await (await client.get("/desk/tickets?sla=breached")).text()
    assert 'class="sla-breached"' in page


async def test_the_list_pages_by_fifty(client: TestClient, clock: FixedClock) -> None:
    made = []
    for minute in range(52):
        clock.move_to(WEDNESDAY_11 + timedelta(minutes=minute))
        made.append((await new_ticket(client, "storing.verwarming")).number)
    await sign_in(client, "desk")
    first = await listed(client)
    assert first == list(reversed(made))[:50]
    assert await listed(client, "?page=2") == list(reversed(made))[50:]
    html = await (await client.get("/desk/tickets")).text()
    assert 'rel="next"' in html and "52" in html


async def test_queue_staff_see_only_their_queues(client: TestClient) -> None:
    lift = await new_ticket(client)
    waste = await new_ticket(client, "schoonmaak.afval", "Bob Bakker")
    await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    assert await listed(client) == [lift.number]
    assert await listed(client, f"?q={waste.number}") == []
    refused = await client.get(f"/desk/tickets?queue={CLEANING}")
    assert refused.status == 403
    hidden = await client.get(f"/desk/tickets/{waste.number}")
    assert hidden.status == 404 and waste.number in await hidden.text()
    assert "Bob Bakker" not in await hidden.text()
    token = csrf_of(await (await client.get(f"/desk/tickets/{lift.number}")).text())
    acted = await client.post(
        f"/desk/tickets/{waste.number}/act",
        data={"_csrf": token, "verb": "take", "version": "1", "events": "1"},
    )
    assert acted.status == 404
    assert (await current(client, waste.number)).status is Status.NEW


async def test_signed_out_visitors_go_to_the_sign_in(client: TestClient) -> None:
    response = await client.get("/desk/tickets", allow_redirects=False)
    assert response.status == 303 and "/desk/signin" in response.headers["Location"]


# -- the ticket page and its actions ---------------------------------------------------------


async def test_the_ticket_page_shows_the_facts_trail_and_the_card_actions(
    client: TestClient,
) -> None:
    lift = await new_ticket(client)
    await client.server.app[TICKETS].follow(lift.number, Requester("aad-fien", "Fien Volger"))
    await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    response = await client.get(f"/desk/tickets/{lift.number}")
    html = await response.text()
    assert response.status == 200
    for text in (
        "Lift",
        "Technische dienst",
        "Storing",
        "P1 · kritiek",
        "Nieuw",
        "Ada Lovelace · ada@rivierstad.nl",
        "telefoon",
        "Stadskantoor 2.14",
        "De lift blijft hangen",
        "Fien Volger",
        "25-11-2026 11:15",  # response due, Amsterdam time
        "aangemaakt",
    ):
        assert text in html, text
    for verb in ("take", "progress", "delay", "resolve", "reassign", "cancel"):
        assert f'name="verb" value="{verb}"' in html
    assert 'name="verb" value="reopen"' not in html
    assert 'name="version" value="1"' in html


async def test_each_action_lands_in_the_trail_with_the_signed_in_person(
    client: TestClient, clock: FixedClock
) -> None:
    lift = await new_ticket(client)
    number = lift.number
    token = await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    steps: list[tuple[str, dict[str, str], EventType]] = [
        ("take", {}, EventType.ASSIGNED),
        ("progress", {"progress_note": "Monteur onderweg"}, EventType.PROGRESS),
        (
            "delay",
            {"delay_reason": "Onderdeel besteld", "delay_date": "2026-11-30"},
            EventType.DELAYED,
        ),
        ("resolve", {"resolve_note": "Kabel vervangen"}, EventType.RESOLVED),
        ("reopen", {}, EventType.REOPENED),
        (
            "reassign",
            {"reassign_queue": CLEANING, "reassign_reason": "Vervuiling"},
            EventType.REASSIGNED,
        ),
    ]
    for verb, inputs, event in steps:
        before = len((await current(client, number)).events)
        status, html = await act(client, number, verb, token, **inputs)
        assert status == 200, html  # redirected to the ticket (or the list)
        ticket = await current(client, number)
        assert ticket.events[-1].type is event, verb
        assert {e.actor.name for e in ticket.events[before:]} == {"Tom Techniek"}
        assert {e.actor.id for e in ticket.events[before:]} == {"dev:tomtechniek"}
        # every new event is pushed to the queue's Teams card by the outbox
        assert set(range(before, len(ticket.events))) <= set(await pushes(client, number))
    ticket = await current(client, number)
    assert ticket.queue == CLEANING and ticket.status is Status.NEW
    assert [e.note for e in ticket.events if e.type is EventType.DELAYED] == ["Onderdeel besteld"]
    # the ticket went to a queue Tom does not see: he is back at the list, told so
    assert f"Melding {number} staat nu in een wachtrij die u niet ziet" in html
    assert (await client.get(f"/desk/tickets/{number}")).status == 404


async def test_the_trail_shows_who_when_and_what(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "admin", "Lea Lead")
    status, html = await act(client, lift.number, "progress", token, progress_note="Bezig <b>")
    assert status == 200
    assert "Gelukt" in html and "Lea Lead" in html and "voortgang gemeld" in html
    assert "Bezig &lt;b&gt;" in html  # autoescaped
    assert "25-11-2026 11:00" in html


async def test_cancel_on_behalf_of_a_caller(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "desk", "Dana Desk")
    page = await (await client.get(f"/desk/tickets/{lift.number}")).text()
    assert 'name="verb" value="cancel"' in page and 'name="verb" value="take"' not in page
    status, html = await act(client, lift.number, "cancel", token)
    assert status == 422 and "Vul een bericht in" in html
    status, html = await act(
        client, lift.number, "cancel", token, cancel_reason="Melder belde: lift doet het weer"
    )
    assert status == 200
    ticket = await current(client, lift.number)
    assert ticket.status is Status.CANCELLED
    assert (ticket.events[-1].actor.name, ticket.events[-1].note) == (
        "Dana Desk",
        "Melder belde: lift doet het weer",
    )
    assert len(ticket.events) - 1 in await pushes(client, lift.number)


async def test_desk_staff_may_only_cancel_and_reopen(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "desk", "Dana Desk")
    for verb, inputs in (("take", {}), ("resolve", {"resolve_note": "Klaar"})):
        status, html = await act(client, lift.number, verb, token, **inputs)
        assert status == 403, verb
        assert "Dit mag u niet" in html
    assert (await current(client, lift.number)).status is Status.NEW
    assert await pushes(client, lift.number) == []


async def test_queue_staff_of_another_queue_cannot_act(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "queue", "Sam Schoon", queues=[CLEANING])
    response = await client.post(
        f"/desk/tickets/{lift.number}/act",
        data={"_csrf": token, "verb": "take", "version": "1", "events": "1"},
    )
    assert response.status == 404
    assert (await current(client, lift.number)).status is Status.NEW


async def test_a_post_without_the_csrf_token_changes_nothing(client: TestClient) -> None:
    lift = await new_ticket(client)
    await sign_in(client, "admin", "Lea Lead")
    for form in (
        {"verb": "take", "version": "1"},
        {"_csrf": "forged", "verb": "take", "version": "1"},
    ):
        response = await client.post(f"/desk/tickets/{lift.number}/act", data=form)
        assert response.status == 403
    ticket = await current(client, lift.number)
    assert ticket.status is Status.NEW and len(ticket.events) == 1
    assert await pushes(client, lift.number) == []


async def test_a_delay_needs_a_reason_and_a_future_date(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    for inputs in (
        {"delay_reason": "Onderdeel besteld"},
        {"delay_date": "2026-12-04"},
        {"delay_reason": "Te laat", "delay_date": "2026-11-01"},
        {"delay_reason": "Raar", "delay_date": "morgen"},
    ):
        status, html = await act(client, lift.number, "delay", token, **inputs)
        assert status == 422, inputs
        assert "Geef een reden en een nieuwe datum in de toekomst" in html
        assert "<details open>" in html  # the delay form stays open with what was typed
    ticket = await current(client, lift.number)
    assert ticket.status is Status.NEW and len(ticket.events) == 1
    assert await pushes(client, lift.number) == []


async def test_a_step_the_status_does_not_allow_is_refused(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "admin", "Lea Lead")
    status, _ = await act(client, lift.number, "resolve", token, resolve_note="Klaar")
    assert status == 200
    status, html = await act(client, lift.number, "progress", token, progress_note="Nog iets")
    assert status == 422 and "Dat kan niet meer" in html
    status, html = await act(client, lift.number, "nonsense", token)
    assert status == 422
    assert (await current(client, lift.number)).status is Status.RESOLVED


async def test_two_people_acting_at_once_the_first_wins(client: TestClient, db_url: str) -> None:
    lift = await new_ticket(client)
    async with console_client(console_settings(db_url), clock=FixedClock(WEDNESDAY_11)) as other:
        tom = await sign_in(client, "queue", "Tom Techniek", queues=[TD])
        tina = await sign_in(other, "queue", "Tina Techniek", queues=[TD])
        for c in (client, other):
            assert (
                'name="version" value="1"'
                in await (await c.get(f"/desk/tickets/{lift.number}")).text()
            )
        form = {"verb": "take", "version": "1", "events": "1"}
        answers = await asyncio.gather(
            client.post(f"/desk/tickets/{lift.number}/act", data={**form, "_csrf": tom}),
            other.post(f"/desk/tickets/{lift.number}/act", data={**form, "_csrf": tina}),
        )
        statuses = sorted(a.status for a in answers)
        assert statuses == [200, 409]
        loser = next(a for a in answers if a.status == 409)
        assert "Iemand anders heeft dit ticket net gewijzigd" in await loser.text()
    ticket = await current(client, lift.number)
    assert [e.type for e in ticket.events].count(EventType.ASSIGNED) == 1
    assert ticket.assignee is not None and ticket.assignee.name in ("Tom Techniek", "Tina Techniek")


async def test_a_page_drawn_before_someone_else_acted_gets_409(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    await client.server.app[TICKETS].act(lift.number, Step("take", Actor("aad-t", "Tina")))
    response = await client.post(
        f"/desk/tickets/{lift.number}/act",
        data={
            "_csrf": token,
            "verb": "resolve",
            "version": "1",
            "events": "1",
            "resolve_note": "x",
        },
    )
    assert response.status == 409
    html = await response.text()
    assert "Iemand anders" in html and "Tina" in html  # the current state, with the trail
    ticket = await current(client, lift.number)
    assert ticket.status is Status.ACCEPTED and ticket.resolved_at is None


async def test_the_same_persons_double_submit_does_one_thing(client: TestClient) -> None:
    lift = await new_ticket(client)
    token = await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    form = {"_csrf": token, "verb": "take", "version": "1", "events": "1"}
    first = await client.post(f"/desk/tickets/{lift.number}/act", data=form)
    second = await client.post(f"/desk/tickets/{lift.number}/act", data=form)
    assert (first.status, second.status) == (200, 200)
    ticket = await current(client, lift.number)
    assert [e.type for e in ticket.events].count(EventType.ASSIGNED) == 1


async def test_bookkeeping_since_the_page_was_drawn_is_no_conflict(client: TestClient) -> None:
    """The outbox records 'delivered' after the page was drawn: the action still counts."""
    lift = await new_ticket(client)
    token = await sign_in(client, "queue", "Tom Techniek", queues=[TD])
    ticket = await current(client, lift.number)
    ticket.record_delivery(WEDNESDAY_11, "builtin", None)
    await client.server.app[TICKET_STORE].save(ticket)
    response = await client.post(
        f"/desk/tickets/{lift.number}/act",
        data={"_csrf": token, "verb": "take", "version": "1", "events": "1"},
    )
    assert response.status == 200
    assert (await current(client, lift.number)).assignee is not None


async def test_a_person_without_a_role_gets_403(db_url: str) -> None:
    """Signed in (an Entra identity, say) but neither desk, queue staff nor admin."""
    secret = "k" * 32
    async with console_client(console_settings(db_url, console_secret=secret)) as client:
        lift = await new_ticket(client)
        carrier = web.Response()
        token = "t" * 32
        who = Identity("aad-nobody", "Nora Niemand").to_json()
        SessionCodec(secret, secure=False).store(carrier, {"who": who, "csrf": token})
        client.session.cookie_jar.update_cookies({"desk": carrier.cookies["desk"].value})
        for path in ("/desk/tickets", f"/desk/tickets/{lift.number}"):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 403, path
        response = await client.post(
            f"/desk/tickets/{lift.number}/act",
            data={"_csrf": token, "verb": "take", "version": "1", "events": "1"},
        )
        assert response.status == 403
        assert (await current(client, lift.number)).status is Status.NEW


async def test_the_page_is_in_english_too(client: TestClient) -> None:
    lift = await new_ticket(client)
    await sign_in(client, "admin", "Lea Lead")
    await client.get("/desk/language/en?next=/desk/tickets")
    html = await (await client.get(f"/desk/tickets/{lift.number}")).text()
    assert "take this" in html and "Lift / elevator" in html and "History" in html
    listing = await (await client.get("/desk/tickets")).text()
    assert "Requester" in listing
