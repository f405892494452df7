"""Named places (organisation.yaml `places`): parsing, the intake, the knowledge check."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dialogs import intake
from dialogs.extract import Location, extract_fields, parse_location
from knowledge.loader import DEFAULT_DIR, check_knowledge, load_knowledge

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=AMS)  # a Tuesday
BUILDINGS = ["Stadskantoor", "Werf", "Depot Noord"]
PLACES = load_knowledge(DEFAULT_DIR).organisation.places


def test_the_shipped_places_belong_to_the_buildings() -> None:
    organisation = load_knowledge(DEFAULT_DIR).organisation
    assert set(organisation.places) == set(organisation.buildings)
    assert organisation.places["Werf"]["fietsenstalling"] == [
        "bike shed",
        "bicycle shed",
        "bike storage",
    ]
    assert organisation.places["Stadskantoor"]["atrium"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "De verlichting in de fietsenstalling van de Werf is kapot",
            Location("Werf", None, None, "fietsenstalling"),
        ),
        ("de kantine van de Werf", Location("Werf", None, None, "kantine")),
        ("kantine Stadskantoor", Location("Stadskantoor", None, None, "kantine")),
        ("the bike shed at the Werf", Location("Werf", None, None, "fietsenstalling")),
        ("the canteen of Depot Noord", Location("Depot Noord", None, None, "kantine")),
        # only one building has it: the place gives the building
        ("raadzaal", Location("Stadskantoor", None, None, "raadzaal")),
        ("in de Raadzaal", Location("Stadskantoor", None, None, "raadzaal")),
        ("the council chamber", Location("Stadskantoor", None, None, "raadzaal")),
        ("het laadperron", Location("Depot Noord", None, None, "laadperron")),
        # several buildings have it: the building stays open
        ("kantine", Location(None, None, None, "kantine")),
        ("de RECEPTIE", Location(None, None, None, "receptie")),
        # plural, accents, typos, a name written apart
        ("in de raadzalen", Location("Stadskantoor", None, None, "raadzaal")),
        ("de archieven van depot noord", Location("Depot Noord", None, None, "archief")),
        ("kantines van de werf", Location("Werf", None, None, "kantine")),
        ("de kantïne van de Werf", Location("Werf", None, None, "kantine")),
        ("fietsenstaling werf", Location("Werf", None, None, "fietsenstalling")),
        ("fietsen stalling werf", Location("Werf", None, None, "fietsenstalling")),
        ("dakteras", Location("Stadskantoor", None, None, "dakterras")),
        # the building's own name for an English word
        ("the car park at the Werf", Location("Werf", None, None, "parkeerplaats")),
        ("the car park at the Stadskantoor", Location("Stadskantoor", None, None, "parkeergarage")),
        # with a floor or a room as well
        (
            "Werf, 1e verdieping, kantine",
            Location("Werf", 1, None, "kantine"),
        ),
        ("op de bg bij de receptie", Location(None, 0, None, "receptie")),
        # a floor word stays a floor
        ("op de werf in de kelder", Location("Werf", -1, None, None)),
        ("Stadskantoor, kelder", Location("Stadskantoor", -1, None, None)),
        # a place the named building does not list is kept as said
        ("de raadzaal van de Werf", Location("Werf", None, None, "raadzaal")),
    ],
)
def test_parse_location_finds_a_named_place(text: str, expected: Location) -> None:
    assert parse_location(text, BUILDINGS, PLACES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "een parkeerplaats reserveren",  # "een": any parking space, not the Werf's
        "is er a canteen nearby",
        "the receptionist was friendly",
        "ik werk in de kantoortuin",
        "",
    ],
)
def test_not_a_named_place(text: str) -> None:
    assert parse_location(text, BUILDINGS, PLACES) is None


def test_without_places_nothing_changes() -> None:
    assert parse_location("de kantine van de Werf", BUILDINGS) == Location("Werf", None, None)
    assert parse_location("raadzaal", BUILDINGS) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("damestoilet 3.02", Location(None, 3, "3.02")),
        ("toilet 3.02", Location(None, 3, "3.02")),
        ("het herentoilet 1.10 is verstopt", Location(None, 1, "1.10")),
        ("de wc 2.01 in het Stadskantoor", Location("Stadskantoor", 2, "2.01")),
        ("pantry 4.05", Location(None, 4, "4.05")),
        ("vergaderzaal 2.14", Location(None, 2, "2.14")),
        ("meeting room 4.02", Location(None, 4, "4.02")),
        ("room 6.03", Location(None, 6, "6.03")),
        ("the toilet 3.02 in the Werf", Location("Werf", 3, "3.02")),
    ],
)
def test_a_dotted_number_after_a_room_word_is_a_room_and_its_floor(
    text: str, expected: Location
) -> None:
    assert parse_location(text, BUILDINGS, PLACES) == expected


def test_a_toilet_with_a_plain_number_is_not_a_room() -> None:
    assert parse_location("de toiletten 3 keer per dag schoonmaken", BUILDINGS) is None


@pytest.mark.parametrize(
    ("location", "nl", "en"),
    [
        (Location("Werf", None, None, "kantine"), "Werf, kantine", "Werf, kantine"),
        (
            Location("Stadskantoor", 1, None, "raadzaal"),
            "Stadskantoor, 1e verdieping, raadzaal",
            "Stadskantoor, 1st floor, raadzaal",
        ),
        (Location(None, None, None, "receptie"), "receptie", "receptie"),
    ],
)
def test_describe_names_the_place(location: Location, nl: str, en: str) -> None:
    assert location.describe("nl") == nl
    assert location.describe("en") == en
    # what a ticket says is read back as the same place (known problems)
    assert parse_location(nl, BUILDINGS, PLACES) == location


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (Location("Werf", None, None, "kantine"), Location("werf", None, None, "kantine"), True),
        (Location("Werf", None, None, "kantine"), Location("Werf", None, None, "archief"), False),
        (Location("Werf", None, None, "kantine"), Location("Werf", 1, None, "kantine"), True),
        (Location("Werf", 1, None, None), Location("Werf", 1, None, "kantine"), False),
        (Location("Werf", None, "1.02", "kantine"), Location("Werf", None, "1.02"), True),
    ],
)
def test_same_place_with_named_places(a: Location, b: Location, same: bool) -> None:
    assert a.same_place(b) is same
    assert b.same_place(a) is same


def test_extract_fields_passes_the_places() -> None:
    found = extract_fields("De lamp in de kantine van de Werf is stuk", NOW, BUILDINGS, PLACES)
    assert found == {"location": Location("Werf", None, None, "kantine")}


# --- the intake -----------------------------------------------------------------------------


def test_a_building_and_a_place_is_a_whole_location() -> None:
    values = intake.prefill(
        ["location", "description"],
        "De verlichting in de fietsenstalling van de Werf is kapot",
        NOW,
        BUILDINGS,
        places=PLACES,
    )
    assert values["location"] == {
        "building": "Werf",
        "floor": None,
        "room": None,
        "place": "fietsenstalling",
    }
    assert intake.missing(["location", "description"], values) is None
    fields = intake.ticket_fields(values, "nl", AMS)
    assert fields["location"] == "Werf, fietsenstalling"


def test_a_place_without_a_building_asks_for_the_building() -> None:
    values = intake.prefill(
        ["location"], "het licht in de kantine is stuk", NOW, BUILDINGS, True, PLACES
    )
    assert values["location"]["place"] == "kantine"
    assert intake.missing(["location"], values) == "location"
    question = intake.question("location", values, "nl", BUILDINGS, PLACES)
    assert "In welk gebouw" in question
    checked = intake.check("location", "Werf", values, NOW, BUILDINGS, 0, PLACES)
    assert checked.value == {"building": "Werf", "floor": None, "room": None, "place": "kantine"}
    assert not checked.need_more


def test_a_place_answers_the_floor_question() -> None:
    values = {"location": {"building": "Werf", "floor": None, "room": None}}
    question = intake.question("location", values, "nl", BUILDINGS, PLACES)
    assert "Op welke verdieping" in question and "kantine" in question
    assert "canteen" in intake.question("location", values, "en", BUILDINGS, PLACES)
    checked = intake.check("location", "de kantine", values, NOW, BUILDINGS, 0, PLACES)
    assert checked.value["place"] == "kantine" and not checked.need_more
    # an English word is read in the building already known
    english = intake.check("location", "the car park", values, NOW, BUILDINGS, 0, PLACES)
    assert english.value["place"] == "parkeerplaats"


def test_a_place_alone_that_one_building_has_is_enough() -> None:
    checked = intake.check("location", "raadzaal", {}, NOW, BUILDINGS, 0, PLACES)
    assert checked.value == {
        "building": "Stadskantoor",
        "floor": None,
        "room": None,
        "place": "raadzaal",
    }


def test_a_location_saved_before_places_existed_still_reads() -> None:
    value = {"building": "Werf", "floor": 2, "room": None}
    assert intake.location_from(value) == Location("Werf", 2, None)
    assert intake.missing(["location"], {"location": value}) is None


# --- the knowledge check --------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def test_places_of_an_unknown_building_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "organisation.yaml"
    path.write_text(path.read_text("utf-8").replace("  Werf:\n", "  Werff:\n", 1), "utf-8")
    knowledge, problems = check_knowledge(folder)
    assert knowledge is None
    assert any("places" in p and "'Werff' is not one of the buildings" in p for p in problems)


def test_one_word_for_two_places_of_a_building_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "organisation.yaml"
    text = path.read_text("utf-8").replace("atrium: []", "atrium: [council chamber]", 1)
    path.write_text(text, "utf-8")
    knowledge, problems = check_knowledge(folder)
    assert knowledge is None
    assert any("'council chamber' names both" in p for p in problems), problems


def test_a_place_without_other_words_may_be_left_empty(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "organisation.yaml"
    path.write_text(path.read_text("utf-8").replace("atrium: []", "atrium:", 1), "utf-8")
    knowledge, problems = check_knowledge(folder)
    assert problems == [] and knowledge is not None
    assert knowledge.organisation.places["Stadskantoor"]["atrium"] == []
