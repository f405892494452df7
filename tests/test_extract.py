"""Intake fields from free text (dialogs/extract.py): dates, places, counts, plates, visitors."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dialogs import extract
from dialogs.extract import (
    Location,
    Visitor,
    When,
    extract_fields,
    parse_cost_centre,
    parse_cost_centre_answer,
    parse_count,
    parse_location,
    parse_persons,
    parse_plate,
    parse_visitors,
    parse_visitors_csv,
    parse_when,
    visitors_in_message,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=AMS)  # a Tuesday
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=AMS)
BUILDINGS = ["Stadskantoor", "Werf", "Depot Noord"]


def d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


# --- dates and times --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day", "time"),
    [
        # the traps dateparser gets wrong
        ("morgen om 10 uur", d(12, 2), t(10)),
        ("maandag 12 uur", d(12, 7), t(12)),
        ("volgende week dinsdag", d(12, 8), None),
        ("vrijdag 14:00", d(12, 4), t(14)),
        # relative days
        ("vandaag", d(12, 1), None),
        ("today", d(12, 1), None),
        ("vandaag 16:00", d(12, 1), t(16)),
        ("morgen", d(12, 2), None),
        ("Tomorrow", d(12, 2), None),
        ("overmorgen", d(12, 3), None),
        ("the day after tomorrow at 9am", d(12, 3), t(9)),
        ("over 3 dagen", d(12, 4), None),
        ("in 2 weeks", d(12, 15), None),
        ("over een week", d(12, 8), None),
        # weekdays: the next such day strictly after today
        ("dinsdag", d(12, 8), None),
        ("maandag", d(12, 7), None),
        ("zondag", d(12, 6), None),
        ("dinsdag volgende week", d(12, 8), None),
        ("next tuesday", d(12, 8), None),
        ("next week tuesday", d(12, 8), None),
        ("tuesday next week", d(12, 8), None),
        ("komende vrijdag", d(12, 4), None),
        ("deze vrijdag", d(12, 4), None),
        ("deze dinsdag", d(12, 1), None),
        ("this friday", d(12, 4), None),
        ("Woensdag", d(12, 2), None),
        ("wo 14u", d(12, 2), t(14)),
        ("ma 10:00", d(12, 7), t(10)),
        ("sun 10am", d(12, 6), t(10)),
        ("monday at 2", d(12, 7), t(14)),
        ("dinsdagmiddag", d(12, 8), t(13)),
        ("wednesday evening", d(12, 2), t(19)),
        # explicit dates
        ("12 december", d(12, 12), None),
        ("12 dec", d(12, 12), None),
        ("december 12", d(12, 12), None),
        ("December 12, 2026", d(12, 12), None),
        ("12-12", d(12, 12), None),
        ("12/12", d(12, 12), None),
        ("12-12-2026", d(12, 12), None),
        ("12.12.2026", d(12, 12), None),
        ("2026-12-12", d(12, 12), None),
        ("12 december 2026", d(12, 12), None),
        ("11th of December", d(12, 11), None),
        ("op 3 december", d(12, 3), None),
        ("vrijdag 4 december om 14:30", d(12, 4), t(14, 30)),
        ("do 17 dec", d(12, 17), None),
        ("de 15e", d(12, 15), None),
        # year rollover: a day and month that have passed mean next year
        ("12 januari", d(1, 12, 2027), None),
        ("30 november", d(11, 30, 2027), None),
        ("1 december", d(12, 1), None),
        ("5-1", d(1, 5, 2027), None),
        ("29 feb", d(2, 29, 2028), None),
        # times (no day: today when still ahead, else tomorrow)
        ("14:00", d(12, 1), t(14)),
        ("14.00", d(12, 1), t(14)),
        ("14u", d(12, 1), t(14)),
        ("14u30", d(12, 1), t(14, 30)),
        ("om 10 uur", d(12, 2), t(10)),
        ("10 uur", d(12, 2), t(10)),
        ("10:30 uur", d(12, 1), t(10, 30)),
        ("half 3", d(12, 1), t(14, 30)),
        ("half 8", d(12, 2), t(7, 30)),
        ("kwart over 9", d(12, 2), t(9, 15)),
        ("kwart voor 10", d(12, 2), t(9, 45)),
        ("5 over half 3", d(12, 1), t(14, 35)),
        ("tien voor half vier", d(12, 1), t(15, 20)),
        ("om drie uur", d(12, 1), t(15)),
        ("2pm", d(12, 1), t(14)),
        ("2 pm", d(12, 1), t(14)),
        ("2:30 p.m.", d(12, 1), t(14, 30)),
        ("12am", d(12, 2), t(0)),
        ("at 10", d(12, 2), t(10)),
        ("at 7", d(12, 1), t(19)),
        ("at 7am", d(12, 2), t(7)),
        ("10am", d(12, 2), t(10)),
        ("07:30", d(12, 2), t(7, 30)),
        ("half past 9", d(12, 2), t(9, 30)),
        ("quarter to 10", d(12, 2), t(9, 45)),
        ("10 o'clock", d(12, 2), t(10)),
        ("van 10 tot 12 uur", d(12, 2), t(10)),
        ("14:00-16:00", d(12, 1), t(14)),
        ("10-11 uur", d(12, 2), t(10)),
        # parts of the day
        ("'s ochtends", d(12, 2), t(9)),
        ("\u2019s middags", d(12, 1), t(13)),
        ("'s avonds", d(12, 1), t(19)),
        ("morgen 's ochtends", d(12, 2), t(9)),
        ("morgenochtend", d(12, 2), t(9)),
        ("morgenmiddag om 3 uur", d(12, 2), t(15)),
        ("morgen in de middag", d(12, 2), t(13)),
        ("tomorrow morning", d(12, 2), t(9)),
        ("tomorrow afternoon", d(12, 2), t(13)),
        ("vanavond", d(12, 1), t(19)),
        ("8 uur 's avonds", d(12, 1), t(20)),
        ("om 7 uur 's ochtends", d(12, 2), t(7)),
        ("tussen de middag", d(12, 1), t(12)),
        # accents and punctuation
        ("Vrijdag, 14:00!", d(12, 4), t(14)),
        ("VANDAAG om 16.30 uur", d(12, 1), t(16, 30)),
    ],
)
def test_parse_when(text: str, day: dt.date, time: dt.time | None) -> None:
    assert parse_when(text, NOW) == When(day, time)


@pytest.mark.parametrize(
    "text",
    [
        "kamer 2.14",
        "de lamp in ruimte 3.021 is kapot",
        "lokaal B1.07",
        "2.14",
        "12 personen",
        "de 3e verdieping",
        "op 3",
        "ik heb 3 vragen",
        "goedemorgen, de printer is kapot",
        "het duurt 2 uur",
        "het kost \u20ac 12.50",
        "bel me op 06-12345678",
        "kostenplaats 4711",
        "kenteken 12-AB-34",
        "volgende week",
        "zo snel mogelijk",
        "31 februari",
        "",
    ],
)
def test_parse_when_finds_nothing(text: str) -> None:
    assert parse_when(text, NOW) is None


def test_volgende_week_dinsdag_is_not_tomorrow_on_a_monday() -> None:
    assert parse_when("dinsdag", MONDAY) == When(d(12, 1))
    assert parse_when("volgende week dinsdag", MONDAY) == When(d(12, 8))
    assert parse_when("dinsdag volgende week", MONDAY) == When(d(12, 8))


def test_when_at_is_aware_in_the_zone_of_now() -> None:
    when = parse_when("morgen om 10 uur", NOW)
    assert when is not None
    assert when.at(t(9)) == dt.datetime(2026, 12, 2, 10, 0, tzinfo=AMS)
    day_only = parse_when("12 juli", NOW)
    assert day_only is not None
    moment = day_only.at(t(9))
    assert moment == dt.datetime(2027, 7, 12, 9, 0, tzinfo=AMS)
    assert moment.utcoffset() == dt.timedelta(hours=2)  # summer time
    assert When(d(12, 2)).at(t(9)).tzinfo is not None


def test_since_is_not_the_requested_day() -> None:
    assert parse_when("lekt sinds vanochtend, kan er morgen iemand komen?", NOW) == When(
        d(12, 2)
    )


# --- location ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "de kraan lekt in kamer 2.14 op de 2e verdieping van het Stadskantoor",
            Location("Stadskantoor", 2, "2.14"),
        ),
        ("kamer 2.14", Location(None, 2, "2.14")),
        ("ruimte 3.021", Location(None, 3, "3.021")),
        ("room 2.14", Location(None, 2, "2.14")),
        ("lokaal B1.07", Location(None, 1, "B1.07")),
        ("zaal 4.01", Location(None, 4, "4.01")),
        ("in b1.07 is het koud", Location(None, 1, "B1.07")),
        ("kamer 214", Location(None, None, "214")),
        ("de koffiekamer 1.02 is vies", Location(None, 1, "1.02")),
        ("room 2.14 on the 3rd floor", Location(None, 3, "2.14")),
        ("3e verdieping", Location(None, 3, None)),
        ("derde verdieping", Location(None, 3, None)),
        ("verdieping 3", Location(None, 3, None)),
        ("3de etage", Location(None, 3, None)),
        ("ik zit op 3", Location(None, 3, None)),
        ("begane grond", Location(None, 0, None)),
        ("op de bg bij de receptie", Location(None, 0, None)),
        ("kelder", Location(None, -1, None)),
        ("3rd floor", Location(None, 3, None)),
        ("floor 3", Location(None, 3, None)),
        ("ground floor", Location(None, 0, None)),
        ("basement", Location(None, -1, None)),
        ("stadskantoor", Location("Stadskantoor", None, None)),
        ("STADSKANTOOR", Location("Stadskantoor", None, None)),
        ("stadskantor", Location("Stadskantoor", None, None)),
        ("in het stads kantoor", Location("Stadskantoor", None, None)),
        ("depot", Location("Depot Noord", None, None)),
        ("depot-noord, begane grond", Location("Depot Noord", 0, None)),
        ("op de werf in de kelder", Location("Werf", -1, None)),
    ],
)
def test_parse_location(text: str, expected: Location) -> None:
    assert parse_location(text, BUILDINGS) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2.14",
        "versie v1.07",
        "op 3 december",
        "op 3 plekken",
        "ik werk thuis",
        "de pot is vol",
        "noord",
        "kantoor",
        "12 personen",
        "",
    ],
)
def test_parse_location_finds_nothing(text: str) -> None:
    assert parse_location(text, BUILDINGS) is None


@pytest.mark.parametrize(
    ("location", "nl", "en"),
    [
        (
            Location("Stadskantoor", 2, "2.14"),
            "Stadskantoor, 2e verdieping, kamer 2.14",
            "Stadskantoor, 2nd floor, room 2.14",
        ),
        (Location("Werf", 0, None), "Werf, begane grond", "Werf, ground floor"),
        (Location(None, -1, None), "kelder", "basement"),
        (Location(None, 11, "11.02"), "11e verdieping, kamer 11.02", "11th floor, room 11.02"),
        (Location(None, 21, None), "21e verdieping", "21st floor"),
        (Location("Depot Noord", None, None), "Depot Noord", "Depot Noord"),
    ],
)
def test_location_describe(location: Location, nl: str, en: str) -> None:
    assert location.describe("nl") == nl
    assert location.describe("en") == en


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (Location("Stadskantoor", 2, "2.14"), Location("stadskantoor", None, "2.14"), True),
        (Location("Stadskantoor", 2, "2.14"), Location("Stadskantoor", 2, "2.15"), False),
        (Location("Stadskantoor", 2, None), Location("Stadskantoor", 2, None), True),
        (Location("Stadskantoor", 2, None), Location("Stadskantoor", 3, None), False),
        (Location("Stadskantoor", 2, "2.14"), Location("Stadskantoor", 2, None), False),
        (Location("Stadskantoor", 2, "2.14"), Location("Werf", 2, "2.14"), False),
        (Location(None, 2, "2.14"), Location(None, 2, "2.14"), False),
    ],
)
def test_same_place(a: Location, b: Location, same: bool) -> None:
    assert a.same_place(b) is same
    assert b.same_place(a) is same


# --- persons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 personen", 12),
        ("voor 12 pers.", 12),
        ("12 pers", 12),
        ("met z'n achten", 8),
        ("met zijn tweeën", 2),
        ("8 people", 8),
        ("for 8 persons", 8),
        ("8 man", 8),
        ("8 deelnemers", 8),
        ("8 gasten", 8),
        ("8 guests", 8),
        ("twaalf personen", 12),
        ("één persoon", 1),
        ("twenty people", 20),
        ("10-12 personen", 12),
        ("10000 bezoekers", 10000),
        ("ik heb 3 vragen", None),
        ("er staat een man voor de deur", None),
        ("0 personen", None),
        ("20000 mensen", None),
        ("kamer 12", None),
    ],
)
def test_parse_persons(text: str, expected: int | None) -> None:
    assert parse_persons(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 12. ", 12),
        ("twaalf", 12),
        ("ongeveer 15", 15),
        ("about 30", 30),
        ("10-12", 12),
        ("12 personen", 12),
        ("we zijn met 6", 6),
        ("0", None),
        ("10001", None),
        ("weet ik nog niet", None),
        ("12 of 13 december", None),
    ],
)
def test_parse_count(text: str, expected: int | None) -> None:
    assert parse_count(text) == expected


# --- licence plates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-ABC-3", "12-ABC-3"),
        ("AB-123-C", "AB-123-C"),
        ("ab123c", "AB-123-C"),
        ("mijn kenteken is ab-123-c", "AB-123-C"),
        ("AB 123 C", "AB-123-C"),
        ("1-ABC-23", "1-ABC-23"),
        ("XX-99-99", "XX-99-99"),
        ("99-XX-99", "99-XX-99"),
        ("99-99-XX", "99-99-XX"),
        ("xx99xx", "XX-99-XX"),
        ("XX-XX-99", "XX-XX-99"),
        ("99-XX-XX", "99-XX-XX"),
        ("9-XXX-99", "9-XXX-99"),
        ("X-999-XX", "X-999-XX"),
        ("XXX-99-X", "XXX-99-X"),
        ("kenteken: k 123 bb", "K-123-BB"),
        ("kenteken M AB 1234", "MAB1234"),
        ("licence plate: B 1234 XY", "B1234XY"),
        ("KP-1234", None),
        ("12 dec 3", None),
        ("12-12-2026", None),
        ("kenteken onbekend", None),
        ("jan.ab123c@acme.nl", None),
    ],
)
def test_parse_plate(text: str, expected: str | None) -> None:
    assert parse_plate(text) == expected


# --- cost centre ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kostenplaats 4711", "4711"),
        ("kpl: KP-1234", "KP-1234"),
        ("cost centre 80-123", "80-123"),
        ("Cost center: ab12345", "AB12345"),
        ("budgetnummer 2026-001", "2026-001"),
        ("kostenpost is 12345", "12345"),
        ("kostenplaats 12", None),
        ("kostenplaats onbekend", None),
        ("4711", None),
    ],
)
def test_parse_cost_centre(text: str, expected: str | None) -> None:
    assert parse_cost_centre(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4711", "4711"),
        ("kp-1234", "KP-1234"),
        ("het is 80-123 denk ik", "80-123"),
        ("kpl 4711", "4711"),
        ("4711 of 4712", None),
        ("weet ik niet", None),
        ("12", None),
    ],
)
def test_parse_cost_centre_answer(text: str, expected: str | None) -> None:
    assert parse_cost_centre_answer(text) == expected


# --- visitors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Jan Jansen\nPiet Pietersen\nKlaas Vaak",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen"), Visitor("Klaas Vaak")],
        ),
        (
            "Jan Jansen, Acme BV, jan@acme.nl\n- Piet Pietersen, Foo, piet@foo.nl\n* Klaas",
            [
                Visitor("Jan Jansen", "Acme BV", "jan@acme.nl"),
                Visitor("Piet Pietersen", "Foo", "piet@foo.nl"),
                Visitor("Klaas"),
            ],
        ),
        (
            "Jan Jansen, Piet Pietersen, Klaas Vaak",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen"), Visitor("Klaas Vaak")],
        ),
        ("Jan Jansen, Acme BV, jan@acme.nl", [Visitor("Jan Jansen", "Acme BV", "jan@acme.nl")]),
        ("Jan Jansen, Acme, jan@acme.nl", [Visitor("Jan Jansen", "Acme", "jan@acme.nl")]),
        (
            "Jan Jansen, jan@acme.nl, Piet Pietersen, piet@x.nl",
            [Visitor("Jan Jansen", "", "jan@acme.nl"), Visitor("Piet Pietersen", "", "piet@x.nl")],
        ),
        ("Jan, Piet en Klaas", [Visitor("Jan"), Visitor("Piet"), Visitor("Klaas")]),
        (
            "Jan Jansen; Piet Pietersen <piet@x.nl>; Klaas",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen", "", "piet@x.nl"), Visitor("Klaas")],
        ),
        ("Jan Jansen (Acme) <jan@acme.nl>", [Visitor("Jan Jansen", "Acme", "jan@acme.nl")]),
        ("Jan Jansen - Acme", [Visitor("Jan Jansen", "Acme")]),
        ("Anne-Marie de Vries", [Visitor("Anne-Marie de Vries")]),
        (
            "bezoekers: Jan Jansen, Piet Pietersen",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen")],
        ),
        (
            "mijn gasten zijn Jan Jansen en Piet Pietersen",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen")],
        ),
        (
            "Bezoekers:\n1. Jan Jansen\n2. Piet Pietersen\n\u2022 Klaas Vaak",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen"), Visitor("Klaas Vaak")],
        ),
        (
            "Jan Jansen\tAcme BV\tjan@acme.nl",
            [Visitor("Jan Jansen", "Acme BV", "jan@acme.nl")],
        ),
        (
            "Naam, Bedrijf, E-mail\nJan Jansen, Acme, jan@acme.nl",
            [Visitor("Jan Jansen", "Acme", "jan@acme.nl")],
        ),
        ("jan.jansen@acme.nl", [Visitor("Jan Jansen", "", "jan.jansen@acme.nl")]),
        ("Jan Jansen <geen-mail>", [Visitor("Jan Jansen")]),
        ("123\n-\n\n", []),
        ("", []),
    ],
)
def test_parse_visitors(text: str, expected: list[Visitor]) -> None:
    assert parse_visitors(text) == expected


def test_parse_visitors_caps_the_list() -> None:
    text = "\n".join(f"Bezoeker {i}" for i in range(700))
    assert len(parse_visitors(text)) == 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Pieter de Vries van Arcadis en Sanne Koster van Royal HaskoningDHV",
            [Visitor("Pieter de Vries", "Arcadis"), Visitor("Sanne Koster", "Royal HaskoningDHV")],
        ),
        (
            "Mark Jansen from Arcadis, Lisa Bos from Witteveen+Bos",
            [Visitor("Mark Jansen", "Arcadis"), Visitor("Lisa Bos", "Witteveen+Bos")],
        ),
        (
            "Mark Jansen from Arcadis and Lisa Bos from Witteveen+Bos",
            [Visitor("Mark Jansen", "Arcadis"), Visitor("Lisa Bos", "Witteveen+Bos")],
        ),
        (
            "Mark Jansen from Arcadis\nLisa Bos from Witteveen+Bos",
            [Visitor("Mark Jansen", "Arcadis"), Visitor("Lisa Bos", "Witteveen+Bos")],
        ),
        (
            "Mark Jansen from Arcadis, Lisa Bos from Witteveen+Bos\n"
            "Could you make sure their badges are ready at reception? Thanks!",
            [Visitor("Mark Jansen", "Arcadis"), Visitor("Lisa Bos", "Witteveen+Bos")],
        ),
        (
            "Jan Jansen (Acme)\nPiet Pietersen (Foo BV)\nZe hebben een afspraak met mij.",
            [Visitor("Jan Jansen", "Acme"), Visitor("Piet Pietersen", "Foo BV")],
        ),
        (
            "Jan van Dijk\nJan van der Berg van Arcadis\nKees van KPN",
            [
                Visitor("Jan van Dijk"),
                Visitor("Jan van der Berg", "Arcadis"),
                Visitor("Kees", "KPN"),
            ],
        ),
        ("Pieter van Dijk en Anna de Wit", [Visitor("Pieter van Dijk"), Visitor("Anna de Wit")]),
        ("Jan en Piet en Klaas", [Visitor("Jan"), Visitor("Piet"), Visitor("Klaas")]),
        ("Jansen en Zonen BV", [Visitor("Jansen en Zonen BV")]),
        (
            "Jan Jansen\nPiet Pietersen\n\nGroet, Marieke",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen")],
        ),
        ("Wil de Boer, Ben Smit", [Visitor("Wil de Boer"), Visitor("Ben Smit")]),
        (
            "I have three guests coming: Mark Jansen from Arcadis, Lisa Bos from Witteveen+Bos "
            "and Tom de Wit. Could you make sure their badges are ready?",
            [
                Visitor("Mark Jansen", "Arcadis"),
                Visitor("Lisa Bos", "Witteveen+Bos"),
                Visitor("Tom de Wit"),
            ],
        ),
        ("Ze hebben een afspraak met mij.", []),
    ],
)
def test_parse_visitors_names_companies_and_sentences(text: str, expected: list[Visitor]) -> None:
    assert parse_visitors(text) == expected


def test_a_stated_count_picks_the_reading_that_agrees() -> None:
    text = "Jan Jansen, Arcadis, Lisa Bos, Witteveen"
    assert len(parse_visitors(text)) == 4
    assert parse_visitors(text, expected=2) == [
        Visitor("Jan Jansen", "Arcadis"),
        Visitor("Lisa Bos", "Witteveen"),
    ]
    # names that disagree with the count are kept; none is made up
    assert parse_visitors("Jan Jansen en Piet Pietersen", expected=3) == [
        Visitor("Jan Jansen"),
        Visitor("Piet Pietersen"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ik wil twee bezoekers aanmelden: Pieter de Vries van Arcadis en Sanne Koster van "
            "Royal HaskoningDHV",
            [Visitor("Pieter de Vries", "Arcadis"), Visitor("Sanne Koster", "Royal HaskoningDHV")],
        ),
        (
            "guests: Mark Jansen from Arcadis, Lisa Bos from Witteveen+Bos",
            [Visitor("Mark Jansen", "Arcadis"), Visitor("Lisa Bos", "Witteveen+Bos")],
        ),
        (
            "Ik wil twee bezoekers aanmelden voor morgen om 10:00 in het Stadskantoor, kamer 2.14: "
            "Mark Jansen from Arcadis and Lisa Bos from Witteveen+Bos",
            [Visitor("Mark Jansen", "Arcadis"), Visitor("Lisa Bos", "Witteveen+Bos")],
        ),
        (
            "Ik krijg morgen 2 gasten: Jan Jansen en Piet Pietersen. Ze hebben een afspraak met mij.",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen")],
        ),
        (
            "Ik wil bezoekers aanmelden voor morgen om 10 uur\nJan Jansen\nPiet Pietersen",
            [Visitor("Jan Jansen"), Visitor("Piet Pietersen")],
        ),
        ("Ik wil een bezoeker aanmelden voor morgen om 10 uur", []),
        ("Bezoekers morgen om 10:00 in de raadzaal", []),
    ],
)
def test_visitors_in_a_first_message(text: str, expected: list[Visitor]) -> None:
    assert visitors_in_message(text, parse_persons(text)) == expected


@pytest.mark.parametrize(
    ("visitor", "text"),
    [
        (Visitor("Jan Jansen", "Acme BV", "jan@acme.nl"), "Jan Jansen (Acme BV) <jan@acme.nl>"),
        (Visitor("Jan Jansen", "", "jan@acme.nl"), "Jan Jansen <jan@acme.nl>"),
        (Visitor("Jan Jansen", "Acme BV"), "Jan Jansen (Acme BV)"),
        (Visitor("Jan Jansen"), "Jan Jansen"),
    ],
)
def test_visitor_describe(visitor: Visitor, text: str) -> None:
    assert visitor.describe() == text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            "\ufeffNaam;Bedrijf;E-mail\r\nJan Jansen;Acme BV;jan@acme.nl\r\n"
            "Piet Pietersen;;piet@x.nl\r\n;;\r\n".encode(),
            [
                Visitor("Jan Jansen", "Acme BV", "jan@acme.nl"),
                Visitor("Piet Pietersen", "", "piet@x.nl"),
            ],
        ),
        (
            "Jan Jansen,Acme BV,jan@acme.nl\nJos\u00e9 M\u00fcller,Foo,jose@foo.nl\n".encode(
                "cp1252"
            ),
            [
                Visitor("Jan Jansen", "Acme BV", "jan@acme.nl"),
                Visitor("Jos\u00e9 M\u00fcller", "Foo", "jose@foo.nl"),
            ],
        ),
        (
            b"name,company,email\n\"Jansen, Jan\",\"Acme, BV\",jan@acme.nl\n",
            [Visitor("Jansen, Jan", "Acme, BV", "jan@acme.nl")],
        ),
        (
            b"E-mail;Organisatie;Naam\njan@acme.nl;Acme;Jan Jansen\n",
            [Visitor("Jan Jansen", "Acme", "jan@acme.nl")],
        ),
        (
            b"voornaam;tussenvoegsel;achternaam;email\nJan;van;Dijk;jan@dijk.nl\n",
            [Visitor("Jan van Dijk", "", "jan@dijk.nl")],
        ),
        (b"jan@acme.nl;Jan Jansen\n", [Visitor("Jan Jansen", "", "jan@acme.nl")]),
        (b"Jan Jansen\nPiet Pietersen\n", [Visitor("Jan Jansen"), Visitor("Piet Pietersen")]),
        (b"", []),
    ],
)
def test_parse_visitors_csv(data: bytes, expected: list[Visitor]) -> None:
    assert parse_visitors_csv(data) == expected


# --- the first message ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "de kraan lekt in kamer 2.14 op de 2e verdieping van het Stadskantoor",
            {"location": Location("Stadskantoor", 2, "2.14")},
        ),
        (
            "Lunch voor 12 personen morgen om 12:30 in zaal 4.01 van het stadskantoor, "
            "kostenplaats 4711",
            {
                "location": Location("Stadskantoor", 4, "4.01"),
                "persons": 12,
                "when": When(d(12, 2), t(12, 30)),
                "cost_centre": "4711",
            },
        ),
        (
            "Parkeerplaats bij de Werf op vrijdag 14:00 voor kenteken 12-ABC-3",
            {
                "location": Location("Werf", None, None),
                "when": When(d(12, 4), t(14)),
                "plate": "12-ABC-3",
            },
        ),
        (
            "Meeting room for 8 people next tuesday at 2pm, cost centre KP-1234",
            {"persons": 8, "when": When(d(12, 8), t(14)), "cost_centre": "KP-1234"},
        ),
        ("ik heb 3 vragen over de schoonmaak", {}),
        ("12 personen in kamer 3.05", {"persons": 12, "location": Location(None, 3, "3.05")}),
    ],
)
def test_extract_fields(text: str, expected: dict[str, object]) -> None:
    assert extract_fields(text, NOW, BUILDINGS) == expected


def test_a_long_message_yields_every_field() -> None:
    message = (
        "Goedemorgen, de kraan in de pantry lekt al sinds vanochtend in kamer 2.14 op de 2e "
        "verdieping van het stadskantor. Kan er morgen om 10 uur iemand komen? Kostenplaats "
        "4711, groet Jan"
    )
    found = extract_fields(message, NOW, BUILDINGS)
    assert found["when"] == When(d(12, 2), t(10))
    assert found["cost_centre"] == "4711"


def test_entity_spans_cover_names_codes_and_addresses_but_not_counts() -> None:
    text = (
        "Gerrit Bosman stopt; kostenplaats 43120, mail f.vandam@rivierstad.nl, "
        "kenteken GH-512-K, voor 50 mensen. Can I ask Royal HaskoningDHV?"
    )
    found = {text[start:end] for start, end in extract.entity_spans(text)}
    assert "Gerrit Bosman" in found and "Royal HaskoningDHV" in found
    assert any("43120" in f for f in found) and any("GH-512-K" in f for f in found)
    assert any("f.vandam@rivierstad.nl" in f for f in found)
    assert not any("mensen" in f for f in found) and "Can I" not in found
    assert len(extract.mask_entities(text)) == len(text)


def test_visitors_after_a_visit_cue_end_at_a_question_mark_after_capitals() -> None:
    text = (
        "For the site visit on Friday, these are coming: Anna Kok from KPN and Bram Dijk "
        "from VolkerWessels BV? Please have badges ready."
    )
    names = [v.name for v in extract.visitors_in_message(text)]
    assert names == ["Anna Kok", "Bram Dijk"], names


def test_a_title_and_a_name_are_blanked_as_a_name() -> None:
    text = "Morgen komt mevrouw Yasmina el Idrissi en dhr. Jansen langs"
    masked = extract.mask_entities(text)
    assert "Yasmina" not in masked and "Idrissi" not in masked and "Jansen" not in masked
    assert "Morgen komt" in masked and "langs" in masked


def test_rooms_and_floors_are_blanked_but_named_places_stay() -> None:
    masked = extract.mask_entities("De lamp op de begane grond bij kamer 0.12, naast de kantine")
    assert "begane" not in masked and "0.12" not in masked
    assert "lamp" in masked and "kantine" in masked
