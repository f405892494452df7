"""The first message: every intake field really present in it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from dialogs.entities._text import Span, _fold, _has_digit, _mask
from dialogs.entities.cost_centre import _cost_centre
from dialogs.entities.location import Places, _location
from dialogs.entities.persons import _persons
from dialogs.entities.plates import _plates
from dialogs.entities.when import _misc_spans, _when

__all__ = ["entity_spans", "extract_fields", "mask_entities"]


def extract_fields(
    text: str, now: dt.datetime, buildings: Sequence[str], places: Places | None = None
) -> dict[str, object]:
    """The intake fields really present in a first message (``places``: the named places
    per building, see :mod:`dialogs.entities.location`).

    Keys among "location" (Location), "when" (When), "persons" (int), "plate" (str)
    and "cost_centre" (str). Location, persons, cost centre and plate are read
    first; their spans are blanked out before the date and time are read. One message
    is often read more than once in a turn (is it a request? what does it give?): the
    last few readings are remembered (the values are immutable).
    """
    key = (text, now, tuple(buildings), id(places))
    cached = _READ.get(key)
    if cached is not None and cached[0] is places:
        return dict(cached[1])
    fields = _extract_fields(text, now, buildings, places)
    if len(_READ) >= _READ_SIZE:
        _READ.pop(next(iter(_READ)))
    _READ[key] = (places, fields)
    return dict(fields)


_READ_SIZE = 64
_READ: dict[tuple[str, dt.datetime, tuple[str, ...], int], tuple[object, dict[str, object]]] = {}


def _extract_fields(
    text: str, now: dt.datetime, buildings: Sequence[str], places: Places | None
) -> dict[str, object]:
    folded = _fold(text)
    has_digit = _has_digit(folded)
    fields: dict[str, object] = {}
    location, spans = _location(folded, buildings, has_digit, places)
    if location is not None:
        fields["location"] = location
    persons, person_spans = _persons(folded)
    if persons is not None:
        fields["persons"] = persons
    cost_centre, cost_spans = _cost_centre(folded)
    if cost_centre is not None:
        fields["cost_centre"] = cost_centre
    spans += person_spans + cost_spans
    plates = _plates(text, folded, has_digit, spans)
    if plates:
        fields["plate"] = plates[0][0]
    spans += [span for _, span in plates]
    spans += _misc_spans(folded, has_digit)
    when = _when(_mask(folded, spans), now)
    if when is not None:
        fields["when"] = when
    return fields


# Two or more capitalised words in a row, with a name's particles between them: a
# person ("Henk Visser", "Anouk de Graaf") or another proper name ("Royal HaskoningDHV",
# "HP EliteBook").
_PARTICLES = r"(?:van|von|de|der|den|ter|ten|te|la|le|du|da|di|el|al|bin|ben|ibn|in\s+'t|op\s+de)"
_PROPER_NAME_RE = re.compile(
    # a title and a name ("dhr. Willem Smit", "mevrouw El Amrani", "Mr Jones")
    r"\b(?:[Dd]hr|[Mm]evr|[Mm]w|[Mm]r|[Mm]rs|[Mm]s|[Dd]r|[Ii]r|[Mm]eneer|[Mm]evrouw)\.?"
    rf"(?:\s+(?:{_PARTICLES}\s+)*[A-Z][\w'-]+)+"
    # two or more capitalised words
    r"|\b(?!(?:Can|Could|Would|Will|May|Is|Are|Do|Does|Hoe|Wat|Waar|Wie|Kan|Kun|Kunnen|Mag|"
    r"Wil|Zou|Ik|We|Wij|Hi|Hello|Hallo|Hoi|Dear|Beste|Goedemorgen|Goedemiddag)\b)"
    rf"[A-Z][\w'-]+(?:\s+(?:{_PARTICLES}\s+)*[A-Z][\w'-]+)+"
)


def entity_spans(text: str) -> list[Span]:
    """Where ``text`` names things that say nothing about which product is asked for:
    rooms and floors ("kamer 2.14", "de begane grond"), cost centres, licence plates,
    e-mail addresses, phone numbers, amounts, "sinds gisteren", and proper names (a title
    and a name, or two capitalised words or more: "Henk Visser", "Royal HaskoningDHV"). The
    matcher reads the text with these blanked out. (Person counts stay: "voor 12
    personen" does say it is a booking or an order.)"""
    folded = _fold(text)
    has_digit = _has_digit(folded)
    # rooms, floors and buildings (not named places: "de kantine" may be the subject)
    _where, spans = _location(folded, (), has_digit)
    _code, cost_spans = _cost_centre(folded)
    spans += cost_spans
    spans += [span for _, span in _plates(text, folded, has_digit, spans)]
    spans += _misc_spans(folded, has_digit)
    spans += [m.span() for m in _PROPER_NAME_RE.finditer(text)]
    return spans


def mask_entities(text: str) -> str:
    """``text`` with :func:`entity_spans` blanked out (same length)."""
    spans = entity_spans(text)
    return _mask(text, spans) if spans else text
