"""What the decision pipeline makes of a message, seen through /api/messages.

Requests phrased as questions start the intake with their details; pure questions
get the answer; ordinary words are not "corrected" into products; a new request or
a question typed at an intake question is recognised, never stored as the answer;
answers add to what was given; a date field does not ask for a time; a complaint
about a ticket becomes a complaint linked to it. (Wording here is our own, not from
any eval file.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from frontoffice.settings import Settings
from servicedesk.clock import FixedClock
from tests.chat import Chat, buttons
from tests.test_conversation import TUESDAY_10, _client, confirm, tickets_of


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[TestClient]:
    client = await _client(settings, FixedClock(TUESDAY_10))
    yield client
    await client.close()


@pytest.fixture
def chat(app_client: TestClient) -> Chat:
    return Chat(app_client)


async def test_a_complete_booking_asked_as_a_question_goes_straight_to_the_summary(
    chat: Chat,
) -> None:
    await chat.say(
        "Kan ik vergaderzaal 2.14 in het Stadskantoor reserveren voor donderdag van 10 tot 12, "
        "met 8 personen?"
    )
    text = chat.text()
    assert "Klopt dit?" in text, text
    assert "kamer 2.14" in text and "donderdag 3 december om 10:00" in text and "8" in text


async def test_an_english_order_asked_politely_keeps_every_detail(chat: Chat) -> None:
    await chat.say(
        "Could you order coffee and tea for 6 people on Friday at 14:00 in room 1.10 of the "
        "Werf? Cost centre 55120."
    )
    text = chat.text()
    assert "Is this right?" in text, text
    assert "55120" in text and "Friday 4 December at 14:00" in text


async def test_an_order_that_says_what_it_needs_is_not_asked_for_a_description(
    chat: Chat,
) -> None:
    await chat.say(
        "Wil je 4 pakken printpapier en 12 markers bestellen voor kamer 3.03 in het "
        "Stadskantoor? Kostenplaats 47110."
    )
    text = chat.text()
    assert "Klopt dit?" in text and "printpapier" in text, text


async def test_a_pure_information_question_still_gets_the_answer_with_the_order_button(
    chat: Chat,
) -> None:
    await chat.say("Wat kost een werklunch per persoon?")
    card = chat.cards()[0]
    assert "8,50" in chat.text()
    assert any("Melden of aanvragen" in title for title in buttons(card)), buttons(card)


async def test_chit_chat_and_creative_requests_are_not_ours(chat: Chat) -> None:
    for message in (
        "Schrijf eens een gedichtje over de maandagochtend",
        "Wat vind jij van de koers van de aandelen deze week?",
        "Weet jij een goede garage voor de APK van mijn eigen auto?",
    ):
        await chat.say(message)
        assert "niet mee helpen" in chat.text(), (message, chat.text())


async def test_an_ordinary_word_is_not_corrected_into_a_catalogue_word(chat: Chat) -> None:
    # "burgemeester" and "binnenstad" are real words, not typos of catalogue words
    await chat.say("Wie wordt de nieuwe burgemeester van de binnenstad?")
    assert "niet mee helpen" in chat.text(), chat.text()


async def test_a_swapped_letter_in_a_short_word_is_still_understood(chat: Chat) -> None:
    await chat.say("de lfit in de Werf maakt een raar piepend geluid")
    assert "Lift" in chat.text(), chat.text()


async def test_a_new_request_at_an_intake_question_offers_a_switch(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("Ik wil een werklunch bestellen")
    await chat.say("O ja, en ik ben mijn toegangspas kwijtgeraakt, die moet geblokkeerd worden")
    text = chat.text()
    assert "Zal ik eerst je melding over" in text and "Toegangspas" in text, text
    card = await chat.press("Met Toegangspas beginnen")
    assert "Toegangspas" in str(card)
    state_text = str(card)
    assert "kwijtgeraakt" in state_text or "Klopt dit?" in state_text, state_text


async def test_finishing_the_current_request_first_asks_its_question_again(
    chat: Chat,
) -> None:
    await chat.say("Ik wil een werklunch bestellen")
    await chat.say("trouwens, de koffieautomaat op de tweede verdieping is stuk")
    card = await chat.press("Eerst Werklunch bestellen afronden")
    assert "We waren gebleven bij" in str(card)
    await chat.say("Stadskantoor kamer 4.01")
    assert "koffieautomaat" not in chat.text().lower()


async def test_a_question_at_an_intake_question_is_answered_and_the_intake_resumes(
    chat: Chat,
) -> None:
    await chat.say("Ik wil een werklunch bestellen")
    await chat.say("Hoe laat gaat het bedrijfsrestaurant eigenlijk open?")
    text = chat.text()
    assert "08.00" in text and "We waren gebleven bij" in text, text


async def test_an_answer_adds_to_what_the_first_message_gave(chat: Chat) -> None:
    await chat.say("Er lekt water uit het plafond op de 2e verdieping")
    assert "gebouw" in chat.text()
    await chat.say("Werf")
    text = chat.text()
    assert "Werf, 2e verdieping" in text, text


async def test_a_date_field_does_not_ask_for_a_time(chat: Chat) -> None:
    await chat.say("Ik wil een parkeervergunning aanvragen vanaf maandag 7 december")
    assert "Hoe laat" not in chat.text()
    assert "kenteken" in chat.text().lower(), chat.text()


async def test_a_complaint_about_a_ticket_becomes_a_linked_complaint(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("De verwarming in kamer 2.20 van het Stadskantoor doet het niet")
    first = await confirm(chat)
    await chat.say(f"Mijn melding {first} staat al drie weken open en niemand heeft gereageerd")
    assert "Klacht" in chat.text(), chat.text()
    second = await confirm(chat)
    tickets = {t.number: t for t in await tickets_of(app_client)}
    assert tickets[second].product_id == "klacht"
    assert any(first in (e.note or "") for e in tickets[second].events)
    assert any(second in (e.note or "") for e in tickets[first].events)


async def test_asking_where_a_request_is_without_any_does_not_loop(chat: Chat) -> None:
    await chat.say("waar blijft mijn melding?")
    assert "geen" in chat.text().lower(), chat.text()
    await chat.say("Hoe laat gaat het bedrijfsrestaurant open?")
    assert "We waren gebleven" not in chat.text()
    assert "08.00" in chat.text()


async def test_names_and_codes_in_a_long_message_do_not_choose_the_product(chat: Chat) -> None:
    await chat.say(
        "Op vrijdag 18 december neemt onze collega Gerrit Bosman na 25 jaar afscheid. We willen "
        "een afscheidsborrel in de kantine van de Werf om 16:00 voor 50 mensen, met bitterballen "
        "en wijn. Kostenplaats 43120; vragen aan Fleur van Dam (f.vandam@rivierstad.nl)."
    )
    text = chat.text()
    assert "Borrel" in text and "Klopt dit?" in text, text
    assert "43120" in text and "50" in text


async def test_a_suggestion_becomes_an_idea(chat: Chat) -> None:
    await chat.say("Idee: zet bij de ingang van het Stadskantoor een bak voor natte paraplu's")
    assert "Idee" in chat.text(), chat.text()


async def test_a_complaint_without_a_number_is_still_a_complaint(chat: Chat) -> None:
    await chat.say(
        "Ik ben echt ontevreden: de vergaderzaal was vorige week niet schoongemaakt en niemand "
        "heeft op mijn mail gereageerd."
    )
    assert "Klacht" in chat.text(), chat.text()


async def test_more_words_after_a_choice_card_are_read_with_the_first_message(
    chat: Chat,
) -> None:
    await chat.say("de kraan lekt")
    assert "Gaat het om een van deze?" in chat.text()
    await chat.say("het is de kraan van het toilet op de 2e verdieping van het Stadskantoor")
    assert "Sanitair" in chat.text() or "Lekkage" in chat.text(), chat.text()
    assert "Gaat het om een van deze?" not in chat.text()


async def test_a_detail_typed_at_the_summary_amends_it(chat: Chat) -> None:
    await chat.say("De verwarming doet het niet op de 3e verdieping van de Werf")
    assert "Klopt dit?" in chat.text()
    await chat.say("kamer 3.08")
    text = chat.text()
    assert "Klopt dit?" in text and "kamer 3.08" in text, text


async def test_an_answer_that_gives_two_fields_keeps_both(chat: Chat) -> None:
    await chat.say("Ik wil koffie en thee bestellen voor een overleg morgen om 10 uur in de Werf")
    while "hoeveel personen" not in chat.text().lower():
        await chat.say("kamer 2.03")
    await chat.say("12 personen, kostenplaats 42210")
    text = chat.text()
    assert "Klopt dit?" in text and "42210" in text, text


async def test_an_information_question_gets_an_answer_even_when_a_product_is_clear(
    chat: Chat,
) -> None:
    await chat.say("Hoe kom ik aan een extra sleutel voor mijn ladeblok?")
    card = chat.cards()[0]
    assert any("Melden of aanvragen" in title for title in buttons(card)), chat.text()
    assert "Klopt dit?" not in chat.text()


async def test_a_complaint_with_a_slip_in_the_word_is_a_complaint(chat: Chat) -> None:
    await chat.say("wil een klachtt indienen over de catering van gisteren")
    assert "Klacht" in chat.text(), chat.text()


async def test_a_room_named_after_a_room_word_is_a_place_not_a_booking(chat: Chat) -> None:
    await chat.say("The socket in meeting room Rijnzicht gives no power")
    assert "Power" in chat.text() or "Elektra" in chat.text(), chat.text()


async def test_the_switch_offer_can_be_answered_in_words(chat: Chat) -> None:
    await chat.say("Ik wil een werklunch bestellen")
    await chat.say("trouwens, de koffieautomaat op de tweede verdieping is stuk")
    assert "Zal ik eerst je melding over" in chat.text()
    await chat.say("eerst afronden")
    assert "We waren gebleven bij" in chat.text(), chat.text()
    await chat.say("en nog iets: de lamp in kamer 3.10 van de Werf knippert de hele dag")
    assert "Zal ik eerst je melding over" in chat.text(), chat.text()
    await chat.say("begin maar met de nieuwe")
    text = chat.text()
    assert "Verlichting" in text and "Werklunch" in text, text  # dropped out loud, new one on


async def test_registering_a_large_group_is_the_group_product(chat: Chat) -> None:
    await chat.say(
        "Volgende week dinsdag om 13:00 komt er een groep van 18 mensen van de provincie op "
        "werkbezoek, kun je die aanmelden bij de receptie van het Stadskantoor?"
    )
    assert "Groep bezoekers" in chat.text(), chat.text()


async def test_hold_on_opens_a_new_topic_even_when_it_also_names_a_place(chat: Chat) -> None:
    await chat.say("Ik wil een flexplek reserveren voor vrijdag")
    await chat.say("Wacht even, er lekt water uit het plafond van de kantine in de Werf")
    assert "Zal ik eerst je melding over" in chat.text(), chat.text()
