"""The desk console's pages for phone and counter staff: the knowledge search through the
bot's pipeline, the ticket form with the chat's checks and summary, the known problem, the
caller look-up, the receipt in Teams, and who may use them."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.keys import KNOWLEDGE, STORE_ENGINE, TICKETS
from bot.notify_scheduler import NOTIFICATIONS
from dialogs.messages import t
from servicedesk.clock import FixedClock
from servicedesk.persistence.database import questions
from servicedesk.persistence.database import tickets as tickets_table
from servicedesk.persistence.people import SqlPeople
from servicedesk.persistence.privacy import ANONYMOUS
from servicedesk.service import NewTicket, TicketService
from servicedesk.tickets import Channel, EventType, Requester, Ticket
from tests.chat import Chat, said
from tests.conftest import FakeConnector
from tests.console_kit import console_client, console_settings, sign_in

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
LEAK = "storing.lekkage"
TOKEN = "0123456789abcdef0123456789abcdef"


@dataclass
class Desk:
    client: TestClient
    csrf: str

    @property
    def tickets(self) -> TicketService:
        return self.client.server.app[TICKETS]

    async def all_tickets(self) -> list[Ticket]:
        return await self.tickets.find(None, False)

    async def page(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path)
        body = await response.text()
        assert response.status == status, body
        return body

    async def post(self, product: str, status: int = 200, **form: str) -> tuple[int, str, Any]:
        data = {
            "_csrf": self.csrf,
            "token": TOKEN,
            "priority": "",
            "channel": "phone",
            "caller_name": "Piet Beller",
            "caller_lang": "nl",
            **form,
        }
        response = await self.client.post(f"/desk/file/{product}", data=data, allow_redirects=False)
        return response.status, await response.text(), response.headers


def leak_form(**changes: str) -> dict[str, str]:
    return {
        "f_building": "Werf",
        "f_place": "kantine",
        "f_description": "Er lekt water in de kantine",
        **changes,
    }


def nl(key: str, **values: object) -> str:
    """A catalogue text as the page shows it (escaped)."""
    return html.escape(t("nl", key, **values), quote=True)


@pytest.fixture
async def desk(db_url: str) -> AsyncIterator[Desk]:
    async with console_client(console_settings(db_url), clock=FixedClock(MONDAY_10)) as client:
        yield Desk(client, await sign_in(client, "desk"))


# -- the search --------------------------------------------------------------------------


async def test_a_leak_in_the_canteen_shows_the_product_and_a_prefilled_form(desk: Desk) -> None:
    page = await desk.page("/desk/search?q=lekkage+in+de+kantine")
    assert 'data-act="intake"' in page
    assert 'href="/desk/file/storing.lekkage?text=lekkage+in+de+kantine"' in page
    form = await desk.page("/desk/file/storing.lekkage?text=lekkage+in+de+kantine")
    assert 'name="f_place" value="kantine"' in form  # the building is asked for
    page = await desk.page("/desk/search?q=lekkage+in+de+kantine+van+de+Werf")
    assert 'data-act="intake"' in page
    knowledge = desk.client.server.app[KNOWLEDGE].current().knowledge
    product = knowledge.products[LEAK]
    assert html.escape(product.name.nl) in page and html.escape(product.description.nl) in page
    assert "P1" in page and "15 minuten" in page  # the SLA class and its response time
    assert nl("product.charge_none") in page
    assert 'id="q"' in page and 'name="q"' in page and "autofocus" in page
    link = re.search(r'href="(/desk/file/storing\.lekkage\?[^"]+)"', page)
    assert link, page
    form = await desk.page(html.unescape(link.group(1)))
    assert '<option value="Werf" selected>' in form
    assert 'name="f_place" value="kantine"' in form
    assert "lekkage in de kantine van de Werf</textarea>" in form
    with desk.client.server.app[STORE_ENGINE].connect() as connection:  # nothing recorded
        assert connection.execute(sa.select(sa.func.count()).select_from(questions)).scalar() == 0


async def test_an_faq_question_shows_the_answer(desk: Desk) -> None:
    page = await desk.page("/desk/search?q=Hoe+laat+gaat+het+bedrijfsrestaurant+open%3F")
    assert 'data-act="answer"' in page and 'id="faq"' in page
    product = desk.client.server.app[KNOWLEDGE].current().knowledge.products["catering.restaurant"]
    entry = next(e for e in product.faq if e.id == "openingstijden")
    assert html.escape(entry.answer.nl) in page and html.escape(entry.questions.nl[0]) in page


async def test_an_english_question_is_answered_in_english(desk: Desk) -> None:
    await desk.client.get("/desk/language/en")
    page = await desk.page("/desk/search?q=How+much+does+a+parking+permit+cost%3F")
    product = desk.client.server.app[KNOWLEDGE].current().knowledge.products["parkeren"]
    entry = next(e for e in product.faq if e.id == "kosten")
    assert html.escape(entry.answer.en) in page and "Register a report or request" in page


async def test_nonsense_offers_to_pass_the_question_on(desk: Desk) -> None:
    page = await desk.page("/desk/search?q=xq+zzv+blorp")
    assert 'data-act="none"' in page
    assert "/desk/file/frontoffice.vraag?text=xq+zzv+blorp" in page
    form = await desk.page("/desk/file/frontoffice.vraag?text=xq+zzv+blorp")
    assert "xq zzv blorp</textarea>" in form


async def test_an_emergency_shows_the_instruction_and_a_p1_form(desk: Desk) -> None:
    page = await desk.page("/desk/search?q=er+is+brand")
    organisation = desk.client.server.app[KNOWLEDGE].current().knowledge.organisation
    assert 'data-act="emergency"' in page and html.escape(organisation.emergency.nl) in page
    link = re.search(r'href="(/desk/file/[^"]+priority=P1[^"]*)"', page)
    assert link, page
    form = await desk.page(html.unescape(link.group(1)))
    assert 'name="priority" value="P1"' in form


async def test_something_not_ours_points_elsewhere(desk: Desk) -> None:
    page = await desk.page("/desk/search?q=mijn+laptop+is+kapot")
    assert 'data-act="redirect"' in page and 'id="redirect"' in page
    assert "/desk/file/" not in page


# -- the form ----------------------------------------------------------------------------


async def test_a_missing_place_and_a_bad_date_get_the_chats_hints_and_nothing_is_made(
    desk: Desk,
) -> None:
    status, page, _ = await desk.post(LEAK, step="check", **leak_form(f_building=""))
    assert status == 422
    assert 'id="problems"' in page
    assert nl("field.location") + ": " + nl("intake.hint.location_more") in page
    assert "Er lekt water in de kantine</textarea>" in page  # what was typed stays
    status, page, _ = await desk.post(
        "catering.lunch",
        step="check",
        f_building="Stadskantoor",
        f_place="kamer 2.14",
        f_day="2026-11-20",  # last Friday
        f_time="12:00",
        f_persons="12",
        f_cost_centre="4711",
        f_description="Broodjes en soep",
    )
    assert status == 422
    assert nl("intake.hint.when_past") in page
    status, page, _ = await desk.post(LEAK, step="check", **leak_form(), caller_name="")
    assert status == 422 and nl("console.desk.caller.missing") in page
    assert await desk.all_tickets() == []


async def test_the_summary_shows_the_deadlines_and_the_charge_to_the_cost_centre(
    desk: Desk,
) -> None:
    status, page, _ = await desk.post(
        "catering.lunch",
        step="check",
        f_building="Stadskantoor",
        f_place="kamer 2.14",
        f_day="2026-11-25",
        f_time="12:00",
        f_persons="12",
        f_cost_centre="4711",
        f_description="Broodjes en soep",
    )
    assert status == 200, page
    product = desk.client.server.app[KNOWLEDGE].current().knowledge.products["catering.lunch"]
    assert product.charge is not None
    assert nl("summary.charge_to", charge=product.charge.nl, cost_centre="4711") in page
    assert nl("product.response") in page and "4 kantooruren" in page
    assert "maandag 23 november om 14:00" in page  # 4 business hours from Monday 10:00
    assert 'name="step" value="confirm"' in page
    assert await desk.all_tickets() == []


async def test_confirm_files_one_phone_ticket_with_the_desk_person_in_the_trail(
    desk: Desk,
) -> None:
    status, page, _ = await desk.post(LEAK, step="check", **leak_form())
    assert status == 200 and "23 november om 10:15" in page  # P1: 15 minutes
    numbers = []
    for _ in range(2):  # a double submit
        status, _, headers = await desk.post(LEAK, step="confirm", **leak_form())
        assert status == 303
        numbers.append(headers["Location"].rsplit("/", 1)[1])
    assert numbers[0] == numbers[1]
    [ticket] = await desk.all_tickets()
    assert ticket.number == numbers[0] and ticket.channel is Channel.PHONE
    assert ticket.fields["location"] == "Werf, kantine"
    created = ticket.events[0]
    assert created.type is EventType.CREATED
    assert (created.actor.id, created.actor.name) == ("dev:danadesk", "Dana Desk")
    assert ticket.requester.name == "Piet Beller"
    filed = await desk.page(f"/desk/filed/{ticket.number}")
    assert f'<strong id="ticket-number">{ticket.number}</strong>' in filed
    assert f'href="/desk/tickets/{ticket.number}"' in filed
    assert 'data-reachable="no"' in filed


async def test_a_known_problem_offers_to_follow_and_following_files_nothing(desk: Desk) -> None:
    first = await desk.tickets.create(
        NewTicket(
            LEAK,
            Requester("aad-first", "Eerste Melder"),
            Channel.CHAT,
            {"location": "Werf, kantine", "description": "Lekkage in de kantine"},
        )
    )
    status, page, _ = await desk.post(LEAK, step="check", **leak_form())
    assert status == 200 and f'data-number="{first.number}"' in page
    assert 'value="follow"' in page and 'value="anyway"' in page
    status, page, _ = await desk.post(
        LEAK, step="follow", known=first.number, **leak_form(), caller_email="piet@example.org"
    )
    assert status == 200, page
    assert [t.number for t in await desk.all_tickets()] == [first.number]
    followers = await desk.client.server.app[TICKETS]._store.followers(first.number)
    assert [(f.name, f.email) for f in followers] == [("Piet Beller", "piet@example.org")]
    status, page, _ = await desk.post(LEAK, step="anyway", **leak_form())
    assert status == 200 and 'value="confirm"' in page  # filing anyway: the summary


async def test_the_caller_is_found_by_a_fragment_of_their_name(desk: Desk) -> None:
    await desk.tickets.create(
        NewTicket(
            LEAK,
            Requester("aad-ada", "Ada Lovelace", "ada@example.org"),
            Channel.CHAT,
            {"location": "Stadskantoor, kamer 2.14", "description": "Lekkage bij het raam"},
        )
    )
    page = await desk.page("/desk/callers?q=LOVE")
    assert 'data-id="aad-ada"' in page and "Ada Lovelace" in page
    assert "Ada Lovelace" not in await desk.page("/desk/callers?q=xyz")
    status, page, _ = await desk.post(LEAK, step="lookup", caller_q="lovel", **leak_form())
    assert status == 200 and 'name="caller" value="aad-ada"' in page
    status, page, _ = await desk.post(
        LEAK,
        step="check",
        caller="aad-ada",
        **leak_form(f_building="Stadskantoor", f_place="kamer 3.08"),
    )
    assert status == 200 and "Ada Lovelace" in page
    people = SqlPeople(desk.client.server.app[STORE_ENGINE])
    assert [p.id for p in await people.find("%%")] == []  # wildcards are plain characters


async def test_people_forgotten_by_the_retention_purge_are_not_offered_as_callers(
    desk: Desk,
) -> None:
    ticket = await desk.tickets.create(
        NewTicket(
            LEAK,
            Requester("aad-old", "Oud Gediende", "oud@example.org"),
            Channel.PHONE,
            {"location": "Stadskantoor, kamer 2.14", "description": "Lekkage"},
        )
    )
    engine = desk.client.server.app[STORE_ENGINE]
    with engine.begin() as connection:  # what SqlPrivacy.purge leaves of a requester
        connection.execute(
            tickets_table.update()
            .where(tickets_table.c.number == ticket.number)
            .values(requester_id=ANONYMOUS, requester_name=ANONYMOUS, requester_email=ANONYMOUS)
        )
    assert await SqlPeople(engine).find("anonym") == []


# -- roles and CSRF ------------------------------------------------------------------------


async def test_queue_staff_may_not_use_the_desk(db_url: str) -> None:
    async with console_client(console_settings(db_url)) as client:
        csrf = await sign_in(client, "queue", "Quinn", queues=["technische-dienst"])
        for path in ("/desk/search?q=lekkage", f"/desk/file/{LEAK}", "/desk/callers?q=ad"):
            assert (await client.get(path)).status == 403, path
        response = await client.post(
            f"/desk/file/{LEAK}", data={"_csrf": csrf, "step": "confirm", **leak_form()}
        )
        assert response.status == 403
        assert await client.server.app[TICKETS].find(None, False) == []


async def test_a_confirm_without_the_csrf_token_is_refused_and_files_nothing(desk: Desk) -> None:
    for token in (None, "forged"):
        data = {"step": "confirm", "token": TOKEN, "channel": "phone", "caller_name": "Piet"}
        if token:
            data["_csrf"] = token
        response = await desk.client.post(f"/desk/file/{LEAK}", data={**data, **leak_form()})
        assert response.status == 403
    assert await desk.all_tickets() == []


# -- the receipt in Teams --------------------------------------------------------------------


async def test_a_phone_ticket_for_someone_with_a_chat_gets_the_receipt_in_teams(
    db_url: str, connector: tuple[FakeConnector, str]
) -> None:
    fake, url = connector
    async with console_client(console_settings(db_url), clock=FixedClock(MONDAY_10)) as client:
        await Chat(client, user="aad-req", name="Rita Req", conversation="a:aad-req").say(
            "hallo", serviceUrl=url
        )
        desk = Desk(client, await sign_in(client, "desk"))
        status, page, _ = await desk.post(LEAK, step="lookup", caller_q="aad-req", **leak_form())
        assert 'name="caller" value="aad-req"' in page
        assert nl("console.desk.caller.reachable") in page
        form = {**leak_form(), "caller": "aad-req", "caller_name": "Rita Req"}
        status, page, _ = await desk.post(LEAK, step="check", **form)
        assert status == 200 and 'data-reachable="yes"' in page
        status, _, headers = await desk.post(LEAK, step="confirm", **form)
        assert status == 303
        number = unquote(headers["Location"]).rsplit("/", 1)[1]
        await client.server.app[NOTIFICATIONS].run_once()
        receipts = [a for a in fake.posts if a["_conversation"] == "a:aad-req"]
        text = said(receipts)
        assert len(receipts) == 1 and number in text and "We hebben je melding ontvangen" in text
        rows = await client.server.app[NOTIFICATIONS].store.rows(state="sent", number=number)
        assert [r["kind"] for r in rows if r["recipient"] == "user:aad-req"] == ["confirmation"]
