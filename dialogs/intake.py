"""The intake: which fields a product still needs, how to ask for them, how to check answers.

An intake starts from the employee's first message: whatever that message already
says (a building, a floor, a room, a named place such as "de kantine", a day and time, a number of persons, a licence
plate, a cost centre, a list of visitors) is taken from it, so the bot asks only
for what is missing, one question at a time, in the order the product lists its
fields. Each answer is checked; a wrong one is asked again with a hint. Values are
kept JSON-ready, because the dialog state lives in the database between messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from dialogs import extract
from dialogs.messages import t
from knowledge.text import fold

MAX_TRIES = 3  # after this many unusable answers a location is taken as the employee wrote it
MIN_DESCRIPTION_WORDS = 3
_ALL_DAY = re.compile(
    r"\b(?:hele dag|de hele dag|maakt niet uit|geen tijd|all day|any time|anytime|whole day)\b"
)


@dataclass(frozen=True, slots=True)
class Checked:
    """An answer checked: the value to keep (None: ask again) and the hint for the re-ask."""

    value: Any
    hint: str | None = None  # a message key
    need_more: bool = False  # kept a partial value; ask the same field again


# -- values <-> JSON ------------------------------------------------------------------------


def location_json(location: extract.Location) -> dict[str, Any]:
    return {
        "building": location.building,
        "floor": location.floor,
        "room": location.room,
        "place": location.place,
    }


def location_from(value: dict[str, Any]) -> extract.Location:
    return extract.Location(
        value.get("building"), value.get("floor"), value.get("room"), value.get("place")
    )


def when_json(when: extract.When) -> dict[str, Any]:
    return {
        "day": when.day.isoformat(),
        "time": when.time.strftime("%H:%M") if when.time else None,
    }


def visitors_json(visitors: Sequence[extract.Visitor]) -> list[dict[str, str]]:
    return [{"name": v.name, "company": v.company, "email": v.email} for v in visitors]


# -- from the first message -------------------------------------------------------------------


def prefill(
    fields: Sequence[str],
    text: str,
    now: datetime,
    buildings: Sequence[str],
    describes: bool = True,
    places: extract.Places | None = None,
) -> dict[str, Any]:
    """The fields a first message already gives, for a product that needs ``fields``.

    ``describes``: the message itself is the description (a fault or a complaint:
    "de kraan lekt in kamer 2.14"); for an order the details are asked for. ``places``:
    the organisation's named places per building ("de kantine van de Werf").
    Visitors are read after a cue in the first line ("twee bezoekers aanmelden: A van X
    en B van Y") and on the lines after it; a count the message says ("twee bezoekers")
    helps to read them, but the names found are kept (none are made up)."""
    found = extract.extract_fields(text, now, buildings, places)
    values: dict[str, Any] = {}
    if "location" in fields and isinstance(found.get("location"), extract.Location):
        values["location"] = location_json(found["location"])
    if "when" in fields and isinstance(found.get("when"), extract.When):
        when = found["when"]
        if when.at(when.time or time(23, 59)) >= now:
            values["when"] = when_json(when)
    for name in ("persons", "plate", "cost_centre"):
        if name in fields and found.get(name):
            values[name] = found[name]
    if "visitors" in fields:
        count = found.get("persons")
        visitors = extract.visitors_in_message(text, count if isinstance(count, int) else None)
        if visitors:
            values["visitors"] = visitors_json(visitors)
    if describes and "description" in fields and len(fold(text).split()) >= MIN_DESCRIPTION_WORDS:
        values["description"] = text.strip()
    return values


def missing(
    fields: Sequence[str],
    values: dict[str, Any],
    date_only: bool = False,
    building_enough: bool = False,
) -> str | None:
    """The next field to ask for, in the product's order; None when complete.
    ``date_only``: the product's "when" is a day, no time needed; ``building_enough``: in
    an emergency the building is enough of a place, help is not held up for a room."""
    for name in fields:
        value = values.get(name)
        if value in (None, "", []):
            return name
        if (
            name == "when"
            and not date_only
            and value.get("time") is None
            and not value.get("all_day")
        ):
            return name
        if (
            name == "location"
            and not value.get("text")
            and not _location_complete(value)
            and not (building_enough and value.get("building"))
        ):
            return name
    return None


def _location_complete(value: dict[str, Any]) -> bool:
    """A building with a floor, a room or a named place ("Werf, kantine")."""
    return bool(value.get("building")) and (
        value.get("floor") is not None or bool(value.get("room")) or bool(value.get("place"))
    )


# -- questions ------------------------------------------------------------------------------


def question(
    field: str,
    values: dict[str, Any],
    language: str,
    buildings: Sequence[str],
    places: extract.Places | None = None,
) -> str:
    """The question for ``field``, shaped by what is already known of it."""
    known = values.get(field)
    if field == "location" and known:
        if not known.get("building"):
            return t(language, "intake.ask.building", buildings=_or_list(buildings, language))
        example = _example_place(places, known["building"], language)
        if example:
            return t(language, "intake.ask.floor_place", building=known["building"], place=example)
        return t(language, "intake.ask.floor", building=known["building"])
    if field == "when" and known and known.get("time") is None:
        return t(
            language, "intake.ask.time", day=format_day(date.fromisoformat(known["day"]), language)
        )
    if field == "location":
        return t(language, "intake.ask.location", buildings=_or_list(buildings, language))
    return t(language, f"intake.ask.{field}")


def _example_place(places: extract.Places | None, building: str, language: str) -> str | None:
    """A named place of ``building`` to show as an example (its English word in English)."""
    named = (places or {}).get(building) or {}
    for name, words in named.items():
        if language.lower().startswith("en"):
            return words[0] if words else name
        return name
    return None


def _or_list(items: Sequence[str], language: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t(language, "intake.or") + items[-1]


# -- answers --------------------------------------------------------------------------------


def check(
    field: str,
    text: str,
    values: dict[str, Any],
    now: datetime,
    buildings: Sequence[str],
    tries: int,
    places: extract.Places | None = None,
    *,
    date_only: bool = False,
) -> Checked:
    """Check an answer to the question for ``field`` (``date_only``: a day is enough)."""
    text = text.strip()
    if field == "location":
        return _check_location(text, values.get("location"), buildings, tries, places)
    if field == "when":
        return _check_when(text, values.get("when"), now, date_only)
    if field == "persons":
        count = extract.parse_persons(text) or extract.parse_count(text)
        if count is None or not 1 <= count <= 10_000:
            return Checked(None, "intake.hint.persons")
        return Checked(count)
    if field == "visitors":
        visitors = extract.parse_visitors(text)
        if not visitors:
            return Checked(None, "intake.hint.visitors")
        return Checked(visitors_json(visitors))
    if field == "plate":
        plate = extract.parse_plate(text)
        return Checked(plate) if plate else Checked(None, "intake.hint.plate")
    if field == "cost_centre":
        code = extract.parse_cost_centre(text) or extract.parse_cost_centre_answer(text)
        return Checked(code) if code else Checked(None, "intake.hint.cost_centre")
    if field == "description":
        if len(text) < 3 or not any(ch.isalpha() for ch in text):
            return Checked(None, "intake.hint.description")
        return Checked(text[:4000])
    return Checked(None, "intake.hint.unknown")


def _check_location(
    text: str,
    known: dict[str, Any] | None,
    buildings: Sequence[str],
    tries: int,
    places: extract.Places | None = None,
) -> Checked:
    found = extract.parse_location(text, buildings, places)
    merged = dict(known or {"building": None, "floor": None, "room": None, "place": None})
    if found is not None and found.place and not found.building and merged.get("building"):
        # "the car park" in the Werf is its parkeerplaats: the place read in that building
        there = extract.parse_location(f"{merged['building']}, {text}", buildings, places)
        if there is not None and there.place:
            found = extract.Location(found.building, found.floor, found.room, there.place)
    if found is not None:
        for key, value in location_json(found).items():
            if value is not None:
                merged[key] = value
    if _location_complete(merged):
        return Checked(merged)
    if tries + 1 >= MAX_TRIES and len(text) >= 3:
        # a good colleague does not block on a room list: keep what was said
        merged["text"] = text[:300]
        return Checked(merged)
    if found is None and not any(merged.values()):
        return Checked(None, "intake.hint.location")
    return Checked(merged, "intake.hint.location_more", need_more=True)


def _check_when(
    text: str, known: dict[str, Any] | None, now: datetime, date_only: bool = False
) -> Checked:
    folded = fold(text)
    if known and known.get("time") is None:
        if _ALL_DAY.search(folded):
            return Checked({**known, "all_day": True})
        parsed = extract.parse_when(text, now)
        if parsed is not None and parsed.time is not None:
            day = date.fromisoformat(known["day"])
            if parsed.day != now.date() and parsed.day != day:
                day = parsed.day  # they gave a new day as well
            moment = datetime.combine(day, parsed.time, tzinfo=now.tzinfo)
            if moment < now:
                return Checked(None, "intake.hint.when_past")
            return Checked({"day": day.isoformat(), "time": parsed.time.strftime("%H:%M")})
        return Checked(None, "intake.hint.time")
    parsed = extract.parse_when(text, now)
    if parsed is None:
        return Checked(None, "intake.hint.when")
    if parsed.at(parsed.time or time(23, 59)) < now:
        return Checked(None, "intake.hint.when_past")
    value = when_json(parsed)
    if parsed.time is None and _ALL_DAY.search(folded):
        value["all_day"] = True
    need_time = value["time"] is None and not value.get("all_day") and not date_only
    return Checked(value, need_more=need_time)


# -- showing values ---------------------------------------------------------------------------


def format_day(day: date, language: str) -> str:
    weekdays = t(language, "date.weekdays").split(",")
    months = t(language, "date.months").split(",")
    return t(
        language,
        "date.day",
        weekday=weekdays[day.weekday()].strip(),
        day=day.day,
        month=months[day.month - 1].strip(),
    )


def format_moment(moment: datetime, language: str) -> str:
    return t(
        language,
        "date.moment",
        day=format_day(moment.date(), language),
        time=moment.strftime("%H:%M"),
    )


def describe(field: str, value: Any, language: str) -> str:
    """A field's value as the employee reads it in the summary."""
    if field == "location":
        text = location_from(value).describe(language)
        if value.get("text"):
            return f"{text} ({value['text']})" if text else str(value["text"])
        return text
    if field == "when":
        day = format_day(date.fromisoformat(value["day"]), language)
        if value.get("time"):
            return t(language, "date.moment", day=day, time=value["time"])
        return day
    if field == "visitors":
        names = [
            extract.Visitor(v["name"], v.get("company", ""), v.get("email", "")).describe()
            for v in value
        ]
        return "; ".join(names)
    return str(value)


def ticket_fields(values: dict[str, Any], language: str, tz: Any) -> dict[str, Any]:
    """The ticket's fields as the ticket service and the back offices take them."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "location":
            out[name] = describe("location", value, language)
        elif name == "when":
            day = date.fromisoformat(value["day"])
            if value.get("time"):
                hour, minute = (int(p) for p in value["time"].split(":"))
                out[name] = datetime.combine(day, time(hour, minute), tzinfo=tz).isoformat()
            else:
                out[name] = day.isoformat()
        elif name == "visitors":
            out[name] = [describe("visitors", [v], language) for v in value]
        else:
            out[name] = value
    return out


# -- the form: every missing field at once -----------------------------------------------------

FORM_MIN_FIELDS = 3  # with fewer missing fields, questions are just as quick


def form_inputs(
    fields: Sequence[str],
    language: str,
    buildings: Sequence[str],
    today: date,
    given: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Adaptive Card inputs for ``fields`` (ids ``f_<field>``; a place and a moment take
    two inputs each). ``given``: what the employee filled in before (kept on a re-show)."""
    given = given or {}
    out: list[dict[str, Any]] = []

    def add(kind: str, key: str, label_key: str, **extra: Any) -> None:
        element = {
            "type": kind,
            "id": key,
            "label": t(language, label_key),
            "isRequired": True,
            "errorMessage": t(language, "form.required"),
            **extra,
        }
        if given.get(key):
            element["value"] = given[key]
        out.append(element)

    for name in fields:
        if name == "location":
            add(
                "Input.ChoiceSet",
                "f_building",
                "form.building",
                style="compact",
                choices=[{"title": b, "value": b} for b in buildings],
            )
            add("Input.Text", "f_place", "form.place", placeholder=t(language, "form.place_hint"))
        elif name == "when":
            add("Input.Date", "f_day", "form.day", min=today.isoformat())
            add("Input.Time", "f_time", "form.time")
        elif name == "persons":
            add("Input.Number", "f_persons", "field.persons", min=1, max=10_000)
        elif name in ("visitors", "description"):
            hint = t(language, f"form.{name}_hint")
            add("Input.Text", f"f_{name}", f"field.{name}", isMultiline=True, placeholder=hint)
        else:
            add("Input.Text", f"f_{name}", f"field.{name}")
    return out


def form_answers(fields: Sequence[str], data: dict[str, Any]) -> dict[str, str]:
    """The form's inputs as the answers the questions would have had."""
    answers: dict[str, str] = {}

    def value(key: str) -> str:
        raw = data.get(key)
        return str(raw).strip() if raw is not None else ""

    for name in fields:
        if name == "location":
            answers[name] = ", ".join(p for p in (value("f_building"), value("f_place")) if p)
        elif name == "when":
            answers[name] = " ".join(p for p in (value("f_day"), value("f_time")) if p)
        else:
            answers[name] = value(f"f_{name}")
    return answers
