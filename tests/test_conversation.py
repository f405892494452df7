"""Conversations through /api/messages: every decision, the intake, follow-ups, emergencies,
duplicates, language, and a restart in the middle of an intake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import TICKET_STORE, TICKETS
from frontoffice.settings import Settings
from servicedesk.clock import FixedClock
from servicedesk.service import Step, TicketService
from servicedesk.tickets import Actor, Status
from tests.chat import Chat, buttons

TUESDAY_10 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY_10)


async def _client(settings: Settings, clock: FixedClock) -> TestClient:
    client = TestClient(TestServer(create_app(settings, clock=clock)))
    await client.start_server()
    return client


@pytest.fixture
async def app_client(settings: Settings, clock: FixedClock) -> AsyncIterator[TestClient]:
    client = await _client(settings, clock)
    yield client
    await client.close()


@pytest.fixture
def chat(app_client: TestClient) -> Chat:
    return Chat(app_client)


def service(client: TestClient) -> TicketService:
    app: web.Application = client.server.app
    return app[TICKETS]


async def tickets_of(client: TestClient, user: str = "aad-user-1") -> list[Any]:
    return await service(client).find(user, open_only=False)


async def confirm(chat: Chat) -> str:
    """Press "Bevestigen"/"Confirm" on the summary; returns the new ticket's number."""
    title = "Bevestigen" if "Bevestigen" in chat.text() else "Confirm"
    card = await chat.press(title)
    text = str(card)
    number = text[text.index("FM-") : text.index("FM-") + 14]
    return number


# -- the decisions -----------------------------------------------------------------------------


async def test_a_greeting_gets_a_short_answer(chat: Chat) -> None:
    await chat.say("Goedemorgen!")
    assert "Waarmee kan ik je helpen" in chat.text()


async def test_help_lists_what_the_bot_does_and_the_emergency_number(chat: Chat) -> None:
    await chat.say("help")
    assert "storing" in chat.text() and "112" in chat.text()


async def test_an_faq_question_gets_the_answer_and_was_this_helpful(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Hoe laat gaat het bedrijfsrestaurant open?")
    assert "08.00" in chat.text()
    assert {"Ja, bedankt", "Nee"} <= set(buttons(chat.cards()[0]))
    card = await chat.press("Ja, bedankt")
    assert "Fijn" in str(card)
    assert await tickets_of(app_client) == []


async def test_an_unhelpful_answer_offers_to_ask_a_colleague(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Hoe laat gaat het bedrijfsrestaurant open?")
    card = await chat.press("Nee")
    assert "Stuur mijn vraag naar de frontoffice" in str(card)
    forwarded = await chat.click(*buttons(card)["Stuur mijn vraag naar de frontoffice"])
    assert "FM-2026-" in str(forwarded)
    [ticket] = await tickets_of(app_client)
    assert ticket.queue == "frontoffice"
    assert "bedrijfsrestaurant" in ticket.fields["description"]


async def test_choose_offers_buttons_and_a_pick_starts_that_intake(chat: Chat) -> None:
    await chat.say("de kraan lekt")
    card = chat.cards()[0]
    titles = set(buttons(card))
    assert "Iets anders" in titles and 3 <= len(titles) <= 4, titles
    picked = await chat.press("Lekkage of wateroverlast")
    assert "Lekkage" in str(picked) and "gebouw" in str(picked)  # the first question


async def test_redirect_points_elsewhere_and_makes_no_ticket(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Mijn laptop start niet meer op")
    assert "ICT" in chat.text() or "IT" in chat.text()
    assert not chat.cards() or "Bevestigen" not in chat.text()
    assert await tickets_of(app_client) == []


async def test_none_says_no_plainly_and_can_forward_the_question(
    chat: Chat, app_client: TestClient
) -> None:
    question = "Kan ik bij jullie mijn paspoort verlengen?"
    await chat.say(question)
    assert "niet mee helpen" in chat.text()
    card = await chat.press("Stuur mijn vraag naar de frontoffice")
    assert "FM-2026-" in str(card)
    [ticket] = await tickets_of(app_client)
    assert (ticket.queue, ticket.fields["description"]) == ("frontoffice", question)


# -- the intake -------------------------------------------------------------------------------


async def test_an_intake_asks_only_what_the_first_message_did_not_say(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Ik wil een werklunch bestellen voor 12 personen morgen om 12 uur in de Werf")
    assert "Op welke verdieping of in welke ruimte" in chat.text()
    await chat.say("zaal 1.03")
    assert "kostenplaats" in chat.text().lower()
    await chat.say("4711")
    await chat.say("Broodjes en soep, twee vegetarisch")
    summary = chat.text()
    for expected in (
        "Werf, 1e verdieping, kamer 1.03",
        "woensdag 2 december om 12:00",
        "12",
        "4711",
        "binnen 4 kantooruren (uiterlijk dinsdag 1 december om 14:00)",
        "€ 8,50 per persoon, ten laste van kostenplaats 4711",
        "Onze belofte",
    ):
        assert expected in summary, (expected, summary)
    number = await confirm(chat)
    ticket = await service(app_client).get(number)
    assert ticket.product_id == "catering.lunch"
    assert ticket.fields["persons"] == 12
    assert ticket.fields["cost_centre"] == "4711"
    assert ticket.fields["when"].startswith("2026-12-02T12:00:00+01:00")
    assert ticket.requester.id == "aad-user-1"


async def test_an_intake_without_fields_asks_each_and_re_asks_with_a_hint(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("de verwarming doet het niet")
    assert "Noem het gebouw" in chat.text()
    await chat.say("geen idee")
    assert "herken ik niet" in chat.text() and "Noem het gebouw" in chat.text()
    await chat.say("Stadskantoor")
    assert "Op welke verdieping" in chat.text()
    await chat.say("3e verdieping")
    assert "Klopt dit?" in chat.text()
    number = await confirm(chat)
    ticket = await service(app_client).get(number)
    assert ticket.fields["location"] == "Stadskantoor, 3e verdieping"
    assert ticket.fields["description"] == "de verwarming doet het niet"


async def test_a_date_in_the_past_is_refused_with_a_hint(chat: Chat) -> None:
    await chat.say("Ik wil een vergaderzaal reserveren in het Stadskantoor op de 2e verdieping")
    await chat.say("vandaag om 8 uur")
    assert "verleden" in chat.text()
    await chat.say("vrijdag 14:00")
    assert "Voor hoeveel personen" in chat.text()


async def test_a_confirm_clicked_twice_makes_one_ticket(chat: Chat, app_client: TestClient) -> None:
    await chat.say("De lamp in kamer 2.14 van het Stadskantoor is kapot")
    verb, data = buttons(chat.cards()[-1])["Bevestigen"]
    first = await chat.click(verb, data)
    second = await chat.click(verb, data)
    assert str(first) == str(second)
    assert len(await tickets_of(app_client)) == 1


async def test_stop_leaves_the_intake_and_creates_nothing(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("de verwarming doet het niet")
    await chat.say("stop")
    assert "gestopt" in chat.text()
    await chat.say("Stadskantoor")  # no longer an answer
    assert "Op welke verdieping" not in chat.text()
    assert await tickets_of(app_client) == []


async def test_opnieuw_restarts_the_same_intake(chat: Chat) -> None:
    await chat.say("de verwarming doet het niet")
    await chat.say("Stadskantoor")
    await chat.say("opnieuw")
    assert "opnieuw" in chat.text() and "Noem het gebouw" in chat.text()


async def test_help_in_the_middle_of_an_intake_repeats_the_question(chat: Chat) -> None:
    await chat.say("de verwarming doet het niet")
    await chat.say("hulp")
    assert "We waren gebleven bij" in chat.text()


async def test_a_restart_in_the_middle_of_an_intake_continues_where_it_was(
    settings: Settings, clock: FixedClock
) -> None:
    first = await _client(settings, clock)
    try:
        await Chat(first).say("de verwarming doet het niet")
        await Chat(first).say("Stadskantoor")
    finally:
        await first.close()
    second = await _client(settings, clock)  # a new process on the same database
    try:
        chat = Chat(second)
        await chat.say("2e verdieping")
        assert "Klopt dit?" in chat.text()
        assert "Stadskantoor, 2e verdieping" in chat.text()
    finally:
        await second.close()


async def test_a_dialog_left_alone_expires_politely(chat: Chat, clock: FixedClock) -> None:
    await chat.say("de verwarming doet het niet")
    clock.move_to(TUESDAY_10 + timedelta(hours=2))
    await chat.say("Stadskantoor")
    assert "vervallen" in chat.text() and "Verwarming" in chat.text()
    assert "Op welke verdieping" not in chat.text()


# -- group visitors -------------------------------------------------------------------------------


async def test_a_pasted_list_registers_the_whole_group(chat: Chat, app_client: TestClient) -> None:
    await chat.say(
        "Ik wil een groep bezoekers aanmelden voor morgen om 10 uur in het Stadskantoor, "
        "kamer 2.14"
    )
    assert "Voor hoeveel personen" in chat.text()
    await chat.say("3")
    assert "Wie komen er" in chat.text()
    await chat.say(
        "Jan Jansen, Bouwbedrijf Jansen, jan@jansen.nl\nPiet Pietersen\nKlaas de Vries, ACME"
    )
    assert "Beschrijf" in chat.text()
    await chat.say("Kennismaking met de afdeling")
    number = await confirm(chat)
    ticket = await service(app_client).get(number)
    assert len(ticket.fields["visitors"]) == 3
    assert ticket.fields["visitors"][0].startswith("Jan Jansen")
    assert "jan@jansen.nl" in ticket.fields["visitors"][0]


# -- emergencies -----------------------------------------------------------------------------------


async def test_an_emergency_gets_the_instruction_first_then_a_p1_ticket(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Er is brand op de 2e verdieping van de Werf!")
    first = chat.cards()[0]
    assert "112" in str(first) and "Noodgeval" in str(first)
    [ticket] = await tickets_of(app_client)
    assert ticket.priority == "P1" and ticket.product_id == "bhv"
    assert "FM-2026-" in chat.text()


async def test_someone_stuck_in_the_lift_asks_only_where(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Er zit iemand vast in de lift")
    assert "112" in chat.text() and "Noem het gebouw" in chat.text()
    await chat.say("Stadskantoor, begane grond")
    [ticket] = await tickets_of(app_client)
    assert (ticket.product_id, ticket.priority) == ("storing.lift", "P1")


# -- follow-up on one's own tickets ----------------------------------------------------------------


async def _lamp(chat: Chat) -> str:
    await chat.say("De lamp in kamer 2.14 van het Stadskantoor is kapot")
    return await confirm(chat)


async def test_status_and_my_tickets(chat: Chat) -> None:
    number = await _lamp(chat)
    await chat.say(f"status {number}")
    assert number in chat.text() and "Ontvangen" in chat.text()
    await chat.say("waar blijft mijn melding?")
    assert number in chat.text()
    await chat.say("my tickets")
    assert "Your open requests" in chat.text() and number in chat.text()


async def test_an_employee_cannot_read_or_cancel_someone_elses_ticket(
    chat: Chat, app_client: TestClient
) -> None:
    number = await _lamp(chat)
    other = Chat(app_client, user="aad-user-2", name="Bob", conversation="a:personal-2")
    await other.say(f"status {number}")
    assert "Ik vind geen melding" in other.text() and "Verlichting" not in other.text()
    await other.say(f"annuleer {number}")
    assert "Ik vind geen melding" in other.text()
    card = await other.click("mine.cancel", {"ticket": number})  # a forged click
    assert "niet vinden" in str(card)
    assert (await service(app_client).get(number)).status is Status.NEW


async def test_cancel_asks_for_confirmation(chat: Chat, app_client: TestClient) -> None:
    number = await _lamp(chat)
    await chat.say(f"annuleer {number}")
    assert "Weet je zeker" in chat.text()
    await chat.say("ja")
    assert "geannuleerd" in chat.text()
    assert (await service(app_client).get(number)).status is Status.CANCELLED


async def test_reopen_a_resolved_ticket(chat: Chat, app_client: TestClient) -> None:
    number = await _lamp(chat)
    await service(app_client).act(number, Step("resolve", Actor("td-1", "TD"), note="Vervangen"))
    await chat.say("het is nog niet opgelost")
    assert number in chat.text()
    card = await chat.press("Ja, heropenen")
    assert "heropend" in str(card)
    assert (await service(app_client).get(number)).status is Status.REOPENED


async def test_more_information_is_added_to_the_ticket(
    chat: Chat, app_client: TestClient
) -> None:
    number = await _lamp(chat)
    await chat.say(f"{number}: de lamp knippert nu ook in de gang ernaast")
    assert "aanvulling" in chat.text()
    ticket = await service(app_client).get(number)
    assert ticket.events[-1].note == "de lamp knippert nu ook in de gang ernaast"


async def test_a_photo_goes_to_the_open_ticket(chat: Chat, app_client: TestClient) -> None:
    number = await _lamp(chat)
    await chat.say(
        "",
        attachments=[
            {"contentType": "image/png", "contentUrl": "https://files.example/p.png", "name": "p.png"}
        ],
    )
    assert number in chat.text()
    ticket = await service(app_client).get(number)
    assert "https://files.example/p.png" in ticket.events[-1].note


# -- known problems --------------------------------------------------------------------------------


async def test_a_second_report_of_the_same_leak_becomes_a_follower(app_client: TestClient) -> None:
    ada = Chat(app_client)
    await ada.say("Er lekt water uit het plafond in kamer 2.14 van het Stadskantoor")
    number = await confirm(ada)
    bob = Chat(app_client, user="aad-user-2", name="Bob", conversation="a:personal-2")
    await bob.say("Lekkage in het Stadskantoor kamer 2.14, er staat water op de vloer")
    assert "Er is al een melding" in bob.text() and number in bob.text()
    card = await bob.press("Volg die melding")
    assert "Je volgt nu" in str(card)
    store = app_client.server.app[TICKET_STORE]
    assert [f.id for f in await store.followers(number)] == ["aad-user-2"]
    assert len(await service(app_client).find(None, open_only=False)) == 1
    await bob.say("mijn meldingen")
    assert number in bob.text()  # a follower sees the ticket too


async def test_filing_anyway_stays_possible(app_client: TestClient) -> None:
    ada = Chat(app_client)
    await ada.say("Er lekt water uit het plafond in kamer 2.14 van het Stadskantoor")
    await confirm(ada)
    bob = Chat(app_client, user="aad-user-2", name="Bob", conversation="a:personal-2")
    await bob.say("Lekkage in het Stadskantoor kamer 2.14")
    card = await bob.press("Toch een nieuwe melding")
    assert "Klopt dit?" in str(card)
    verb, data = buttons(card)["Bevestigen"]
    await bob.click(verb, data)
    assert len(await service(app_client).find(None, open_only=False)) == 2


# -- language -------------------------------------------------------------------------------------


async def test_english_in_english_and_back_to_dutch(chat: Chat) -> None:
    await chat.say("The heating is not working")
    assert "Which building" in chat.text() or "Name the building" in chat.text()
    await chat.say("Stadskantoor")  # a bare answer keeps the dialog's language
    assert "Which floor" in chat.text()
    await chat.say("stop")
    await chat.say("Hoe laat gaat het bedrijfsrestaurant open?")
    assert "Had je hier iets aan?" in chat.text()


async def test_an_english_teams_locale_gets_english(app_client: TestClient) -> None:
    chat = Chat(app_client, locale="en-GB")
    await chat.say("Stadskantoor")
    assert "Stadskantoor" not in chat.text() or "front office" in chat.text().lower()
    await chat.say("help")
    assert "I help you" in chat.text()


async def test_a_new_request_at_the_summary_drops_the_old_one_out_loud(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("De lamp in kamer 2.14 van het Stadskantoor is kapot")
    assert "Klopt dit?" in chat.text()
    await chat.say("huh?")
    assert "Klopt alles?" in chat.text()  # a few words: the hint again
    await chat.say("Hoe laat gaat het bedrijfsrestaurant open?")
    assert "niet aangemaakt" in chat.text() and "08.00" in chat.text()
    assert await tickets_of(app_client) == []


async def test_many_missing_fields_come_as_one_form(chat: Chat, app_client: TestClient) -> None:
    await chat.say("Ik wil een werklunch bestellen")
    [form] = chat.cards()
    ids = {e.get("id") for e in form["body"]}
    assert {"f_building", "f_place", "f_day", "f_time", "f_persons", "f_cost_centre"} <= ids
    assert "Of beantwoord de vragen" in chat.text()  # typing stays possible
    verb, data = buttons(form)["Versturen"]
    filled = {
        "f_building": "Werf",
        "f_place": "ergens",
        "f_day": "2026-12-03",
        "f_time": "12:30",
        "f_persons": "0",
        "f_cost_centre": "4711",
        "f_description": "Broodjes",
    }
    wrong = await chat.click(verb, {**data, **filled})
    problems = str(wrong)
    assert "Personen: Geef het aantal" in problems and "Plek:" in problems
    assert "Kostenplaats:" not in problems  # what was right is kept
    verb, data = buttons(wrong)["Versturen"]
    again = {e["id"]: e.get("value") for e in wrong["body"] if "id" in e}
    assert again["f_building"] == "Werf" and again["f_place"] == "ergens"  # kept to correct
    summary = await chat.click(verb, {**data, **filled, "f_place": "zaal 1.03", "f_persons": "8"})
    text = str(summary)
    assert "Klopt dit?" in text and "donderdag 3 december om 12:30" in text
    assert "Werf, 1e verdieping, kamer 1.03" in text and "4711" in text
    verb, data = buttons(summary)["Bevestigen"]
    await chat.click(verb, data)
    [ticket] = await tickets_of(app_client)
    assert (ticket.fields["persons"], ticket.fields["cost_centre"]) == (8, "4711")


# -- named places and visitors with their companies ------------------------------------------------


async def test_a_named_place_in_a_building_needs_no_floor_or_room(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("De verlichting in de fietsenstalling van de Werf is kapot")
    summary = chat.text()
    assert "Klopt dit?" in summary and "Werf, fietsenstalling" in summary, summary
    assert "Op welke verdieping" not in summary
    number = await confirm(chat)
    ticket = await service(app_client).get(number)
    assert ticket.product_id == "storing.verlichting"
    assert ticket.fields["location"] == "Werf, fietsenstalling"


async def test_visitors_named_with_their_companies_in_one_message_are_two(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say(
        "Ik wil twee bezoekers aanmelden voor morgen om 10 uur in het Stadskantoor, kamer 2.14: "
        "Mark Jansen from Arcadis and Lisa Bos from Witteveen+Bos"
    )
    if "Klopt dit?" in chat.text():
        summary = chat.cards()[-1]
    else:  # the bot asks which of the visitor products: the message's details are kept
        summary = await chat.press("Bezoeker aanmelden")
    text = str(summary)
    assert "Klopt dit?" in text, text
    assert "Mark Jansen (Arcadis); Lisa Bos (Witteveen+Bos)" in text
    verb, data = buttons(summary)["Bevestigen"]
    await chat.click(verb, data)
    [ticket] = await tickets_of(app_client)
    assert ticket.product_id == "bezoek.aanmelden"
    assert ticket.fields["visitors"] == ["Mark Jansen (Arcadis)", "Lisa Bos (Witteveen+Bos)"]
    assert ticket.fields["location"] == "Stadskantoor, 2e verdieping, kamer 2.14"


async def test_a_named_place_answers_the_location_question(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("de verwarming doet het niet")
    assert "Noem het gebouw" in chat.text()
    await chat.say("Werf")
    assert "Op welke verdieping" in chat.text() and "de kantine" in chat.text()
    await chat.say("in de kantine")
    assert "Klopt dit?" in chat.text() and "Werf, kantine" in chat.text(), chat.text()
    number = await confirm(chat)
    assert (await service(app_client).get(number)).fields["location"] == "Werf, kantine"
    # a place only one building has answers the whole question at once
    await chat.say("de verwarming doet het niet")
    await chat.say("de raadzaal")
    assert "Klopt dit?" in chat.text() and "Stadskantoor, raadzaal" in chat.text()
