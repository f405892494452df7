"""Emergencies in plain words (dialogs/intents.py, organisation.yaml ``emergencies``):
injuries, someone unwell, fire, someone stuck in a lift, aggression; in Dutch and
English, with typos; and the facilities messages that share a word with them but are
no emergency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from bot.app import create_app
from bot.keys import TICKETS
from dialogs.intents import EmergencyRules, emergency, is_ordinary_word
from dialogs.understand import Understander
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR, ORGANISATION
from knowledge.model import Organisation
from knowledge.reload import Snapshot
from servicedesk.clock import FixedClock
from tests.chat import Chat

BHV, LIFT, SECURITY = "bhv", "storing.lift", "beveiliging.incident"


@pytest.fixture(scope="module")
def rules(snapshot: Snapshot) -> EmergencyRules:
    return EmergencyRules.from_organisation(snapshot.knowledge.organisation)


EMERGENCIES = [
    # injuries, falls, bleeding, broken bones, burns, cuts
    ("Mijn collega is net van de trap gevallen en zijn hoofd bloedt flink", BHV),
    ("bezoeker gestruikeld bij de ingang, kan niet meer opstaan", BHV),
    ("een medewerker is uitgegleden in de kantine en heeft haar pols gebroken denk ik", BHV),
    ("help er is iemand van de ladder gevallen in het magazijn", BHV),
    ("ik ben op de trap gevallen en mijn enkel is dik", BHV),
    ("collega heeft zich lelijk gesneden aan een glasplaat, diepe snee in zijn hand", BHV),
    ("iemand heeft kokend water over zijn arm gekregen in de pantry", BHV),
    ("er is een bedrijfsongeval gebeurd in de werkplaats", BHV),
    ("schoonmaker heeft schoonmaakmiddel in zijn ogen gekregen", BHV),
    ("My colleague fell down the stairs and can't move her leg", BHV),
    ("a visitor tripped over a cable and hit his head on the desk", BHV),
    ("someone cut their hand badly on broken glass, there's blood everywhere", BHV),
    ("I think he has a broken arm after falling off the stepladder", BHV),
    ("guy burned his hand on the coffee machine, looks bad", BHV),
    ("the cleaner got an electric shock from a socket", BHV),
    # someone unwell, unconscious, not breathing, a seizure, the heart, an allergy
    ("Een bezoeker is onwel geworden in de wachtruimte", BHV),
    ("collega zakte ineens in elkaar achter haar bureau en reageert niet", BHV),
    ("HELP iemand ligt op de grond en ademt niet", BHV),
    ("ik denk dat mijn collega een hartaanval heeft, pijn op de borst", BHV),
    ("man heeft een epileptische aanval in de hal", BHV),
    ("vrouw krijgt een allergische reactie en krijgt geen lucht", BHV),
    ("mijn collega kreeg opeens geen adem meer", BHV),
    ("A colleague fainted in the atrium and isn't responding", BHV),
    ("someone is having a seizure on the 3rd floor", BHV),
    ("guest is not breathing, we need the AED now", BHV),
    ("my manager is clutching his chest, I think it's a heart attack", BHV),
    ("there is a man lying on the floor near the toilets", BHV),
    ("my colleague is choking on his food", BHV),
    # fire, flames, smoke, gas
    ("brand in de keuken!!", BHV),
    ("er komen vlammen uit de prullenbak op de 4e", BHV),
    ("het stinkt hier enorm naar gas in de kelder", BHV),
    ("de printer rookt", BHV),
    ("flames are coming out of the bin next to the coffee corner", BHV),
    ("I can smell gas in the basement", BHV),
    ("thick smoke in the stairwell of the Werf", BHV),
    # stuck in a lift
    ("Help, ik zit vast in de lift tussen 2 verdiepingen", LIFT),
    ("de lift staat stil met drie collega's erin", LIFT),
    ("lift in Depot Noord zit vast met mensen", LIFT),
    ("de lift is blijven steken en mijn collega zit erin", LIFT),
    ("we are trapped in the lift, the doors won't open", LIFT),
    ("the elevator stopped with a visitor inside", LIFT),
    # aggression, threats, an intruder, a weapon
    ("Er staat een klant te schreeuwen bij de balie en hij bedreigt mijn collega", SECURITY),
    ("een bezoeker slaat de beveiliger", SECURITY),
    ("man gooit met stoelen in de wachtruimte", SECURITY),
    ("iemand zei dat hij de receptioniste buiten opwacht", SECURITY),
    ("verdachte man loopt rond in de parkeergarage", SECURITY),
    ("een vrouw zwaait met een mes in de kantine", SECURITY),
    ("bezoeker dreigt de baliemedewerker iets aan te doen", SECURITY),
    ("a visitor is shouting at reception and says he will wait for them outside", SECURITY),
    ("someone punched a colleague in the car park", SECURITY),
    ("there's an intruder on the 2nd floor", SECURITY),
    ("man threatening staff at the front desk", SECURITY),
    ("a guy is throwing chairs around in the canteen", SECURITY),
    ("a guy pulled a knife at the front desk", SECURITY),
    # typos
    ("colega is gevalen en bloed erg", BHV),
    ("iemand is bewustelos op het toilet", BHV),
    ("een bezoekster is flauwgevalen bij de receptie", BHV),
    ("somone is unconcious in the meeting room", BHV),
    ("visiter colapsed near the lifts", BHV),
    ("ther is smoek coming out of the server room", BHV),
    ("er zitten 2 mensen opgeslotn in de lfit", LIFT),
    ("my collegue is stuck in the elevater", LIFT),
    ("er loopt een insluipr rond in de kelder", SECURITY),
    ("iemand is via de achterdeur binnengeslopen en loopt nu op de 2e", SECURITY),
    ("a stranger got in through the fire exit and is wandering the corridors", SECURITY),
    ("er loopt een vrouw op de 3e die hier niet hoort en in bureaulades kijkt", SECURITY),
    ("a visitor keeps trying door handles on the 4th floor", SECURITY),
]

NOT_EMERGENCIES = [
    # fire safety, first aid and the lift as facilities work
    "De brandblusser in de gang moet gecontroleerd worden",
    "can someone check the fire extinguisher on floor 2",
    "the fire door on the 3rd floor doesn't close properly",
    "is there a fire drill tomorrow?",
    "wanneer is de volgende ontruimingsoefening",
    "the fire exit is blocked by boxes",
    "the stacked boxes in the corridor are a fire hazard",
    "de EHBO-koffer moet aangevuld worden, de pleisters zijn op",
    "please restock the first aid kit in the pantry",
    "waar hangt de AED in het Stadskantoor?",
    "where is the nearest AED",
    "de AED moet gecontroleerd worden",
    "ik wil me aanmelden voor de BHV-cursus",
    "when is the next first aid training",
    "de rookmelder piept",
    "the smoke detector is beeping",
    "de lift is kapot",
    "the lift is out of order again",
    "de lift maakt een vreemd geluid",
    # words that also mean something harmless
    "de deur van het toilet klemt",
    "er valt licht uit in de vergaderzaal",
    "het licht in de gang brandt de hele nacht",
    "het alarm van de koelkast gaat steeds af",
    "ik heb koffie gemorst op het tapijt",
    "spilled hot coffee on my laptop",
    "mijn pas is gevallen achter de radiator",
    "er is een tegel van het plafond gevallen",
    "mijn collega zegt dat er een plafondplaat is gevallen",
    "my badge fell behind the cabinet",
    "my monitor fell off the desk and the screen is cracked",
    "ik heb per ongeluk de verkeerde vergaderzaal geboekt",
    "de printer reageert niet",
    "the card reader at the entrance is not responding",
    "de helpdesk reageert niet op mijn mail",
    "the radiator needs bleeding",
    "the chair's leg is broken",
    "the hand dryer is broken",
    "what brand of coffee do we have?",
    "ik zoek een mes voor de taart",
    "we need knives and forks for the lunch on friday",
    "mensen roken bij de hoofdingang, kan daar een bordje komen",
    "de thermostaat slaat niet aan",
    "the breaker tripped and the power is out in wing B",
    "the supplier is threatening to cancel the contract",
    "de zonwering zit vast",
    "I'm stuck in traffic, can someone let the visitor in",
    "mijn collega is ziek, kan zijn lunch geannuleerd worden",
    "lunch bestellen voor 12 personen",
    "er ligt water op de vloer bij de wc",
    "Mag ik een branddeur openzetten met een deurstop?",
    "Set the desk so that your forearms rest on it",
    "de nooduitgang bij de kantine gaat niet meer dicht",
    "er ligt een plas water op de vloer bij de lift, kan iemand dweilen?",
    "I tried the doors but they are locked, can someone open the meeting room?",
    "hij probeert de deur open te maken maar zijn pas werkt niet",
    "the back door of the Werf doesn't lock properly",
]


@pytest.mark.parametrize(("text", "product"), EMERGENCIES)
def test_an_emergency_in_plain_words_is_recognised(
    rules: EmergencyRules, text: str, product: str
) -> None:
    found = emergency(text, rules)
    assert found is not None, text
    assert found.product_id == product, rules.explain(text)


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_a_facilities_message_is_no_false_alarm(rules: EmergencyRules, text: str) -> None:
    assert emergency(text, rules) is None, rules.explain(text)


def test_the_lists_are_long_enough_and_cover_both_languages() -> None:
    assert len(EMERGENCIES) >= 40 and len(NOT_EMERGENCIES) >= 25
    assert {product for _, product in EMERGENCIES} == {BHV, LIFT, SECURITY}


# -- typos ---------------------------------------------------------------------------------------


def test_only_a_word_that_is_not_ordinary_is_read_as_a_typo(rules: EmergencyRules) -> None:
    assert not is_ordinary_word("lfit") and not is_ordinary_word("opgeslotn")
    assert is_ordinary_word("lift") and is_ordinary_word("left") and is_ordinary_word("stuk")
    assert is_ordinary_word("branddeur")  # brand + deur: a compound, not a typo of brandgeur
    assert emergency("someone is stuck in the lfit", rules) is not None
    assert emergency("ik zit vast in de lidt", rules) is not None
    # "stuk" is a Dutch word, so not a typo of "stuck"; "left" is an English word
    assert emergency("my colleague is stuk in the elevator", rules) is None
    assert emergency("someone is stuck in the left", rules) is None


def test_a_typo_is_one_edit_and_a_transposition_counts_once(rules: EmergencyRules) -> None:
    assert emergency("iemand is bewsuteloos", rules) is not None  # swapped letters
    assert emergency("iemand is bewusteloooos", rules) is None  # three edits


def test_short_words_are_never_read_as_typos(rules: EmergencyRules) -> None:
    assert emergency("er ligt een mas op tafel", rules) is None  # "mes" is 3 letters


def test_a_prefix_takes_a_typo_in_an_ending_not_in_a_compound(rules: EmergencyRules) -> None:
    assert emergency("hij bedriegde de receptioniste", rules) is not None  # bedreig*
    assert emergency("theateropstelling voor 40 personen", rules) is None  # threat*


def test_a_building_or_place_name_is_not_a_typo() -> None:
    data = _organisation_yaml()
    plain = EmergencyRules.from_organisation(Organisation.model_validate(data))
    assert plain.find("vergadering in de Brant om 10 uur")  # as a typo of "brand"
    data["buildings"].append("Brant")
    named = EmergencyRules.from_organisation(Organisation.model_validate(data))
    assert named.find("vergadering in de Brant om 10 uur") is None


# -- the rules: compiled once, fast, checked ------------------------------------------------------


def test_the_rules_are_compiled_once_per_knowledge_version(snapshot: Snapshot) -> None:
    understander = Understander()
    first = understander.emergency_rules(snapshot.knowledge)
    assert understander.emergency_rules(snapshot.knowledge) is first


def _organisation_yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEFAULT_DIR / ORGANISATION).read_text("utf-8"))
    return data


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("<onbekend_groep> ... gevallen", "unknown group"),
        ("vast in de lift ...", "cannot end with '...'"),
        ("... gevallen", "must stand between two words"),
        ("co-worker|collega gevallen", "must be one word"),
        ("ab* gevallen", "at least 3 letters"),
    ],
)
def test_the_check_refuses_a_broken_phrase(phrase: str, problem: str) -> None:
    data = _organisation_yaml()
    data["emergencies"][0]["words"]["nl"].append(phrase)
    with pytest.raises(ValidationError, match=problem):
        Organisation.model_validate(data)


def test_an_exception_only_cancels_the_phrase_it_covers(rules: EmergencyRules) -> None:
    assert emergency("de fire drill is morgen", rules) is None
    assert emergency("fire drill? no, there is real smoke on floor 3", rules) is not None
    assert rules.explain("the fire door is open and there is smoke") == [(BHV, "smoke")]


# -- through /api/messages -----------------------------------------------------------------------


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[TestClient]:
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # a Tuesday, 10:00 local
    client = TestClient(TestServer(create_app(settings, clock=clock)))
    await client.start_server()
    yield client
    await client.close()


@pytest.fixture
def chat(app_client: TestClient) -> Chat:
    return Chat(app_client)


async def _tickets(client: TestClient) -> list[Any]:
    return list(await client.server.app[TICKETS].find("aad-user-1", open_only=False))


def _first_reply_is_the_emergency_card(chat: Chat, title: str) -> None:
    [card] = chat.last[0]["attachments"]
    text = str(card["content"])
    assert title in text and "112" in text


@pytest.mark.parametrize(
    ("text", "title", "product"),
    [
        ("collega is van de trap gevallen en bloedt, Stadskantoor 3e verdieping", "Noodgeval", BHV),
        ("a visitor fainted in the Werf canteen and is barely responding", "Emergency", BHV),
        (
            "bezoeker staat te schreeuwen bij de receptie van de Werf en bedreigt ons",
            "Noodgeval",
            SECURITY,
        ),
    ],
)
async def test_an_emergency_gets_the_card_with_112_first_and_a_p1_ticket(
    chat: Chat, app_client: TestClient, text: str, title: str, product: str
) -> None:
    await chat.say(text)
    _first_reply_is_the_emergency_card(chat, title)
    if not await _tickets(app_client):  # the place was not clear enough: the bot asks
        await chat.say("Werf, begane grond")
    [ticket] = await _tickets(app_client)
    assert (ticket.product_id, ticket.priority) == (product, "P1")
    assert "FM-2026-" in chat.text()


async def test_an_injury_without_a_place_asks_only_where_then_files_p1(
    chat: Chat, app_client: TestClient
) -> None:
    await chat.say("iemand heeft zich diep gesneden aan een kapotte ruit")
    _first_reply_is_the_emergency_card(chat, "Noodgeval")
    assert await _tickets(app_client) == []
    await chat.say("Stadskantoor, 2e verdieping")
    [ticket] = await _tickets(app_client)
    assert (ticket.product_id, ticket.priority) == (BHV, "P1")
