"""Intake fields from an employee's free text, in Dutch and English.

A facade: the code lives in :mod:`dialogs.entities`, one module per kind of field
(location, persons, plates, cost centre, when, visitors) and ``fields`` for the
first message. The rules chosen where the language is ambiguous are in the
docstrings of those modules.
"""

from __future__ import annotations

from dialogs.entities._text import Span as Span
from dialogs.entities.cost_centre import parse_cost_centre, parse_cost_centre_answer
from dialogs.entities.fields import entity_spans, extract_fields, mask_entities
from dialogs.entities.location import Location, Places, parse_location
from dialogs.entities.persons import MAX_PERSONS as MAX_PERSONS
from dialogs.entities.persons import parse_count, parse_persons
from dialogs.entities.plates import parse_plate
from dialogs.entities.visitors import MAX_VISITORS as MAX_VISITORS
from dialogs.entities.visitors import (
    Visitor,
    parse_visitors,
    parse_visitors_csv,
    visitors_in_message,
)
from dialogs.entities.when import AFTERNOON as AFTERNOON
from dialogs.entities.when import EVENING as EVENING
from dialogs.entities.when import MORNING as MORNING
from dialogs.entities.when import NOON as NOON
from dialogs.entities.when import When, parse_when

__all__ = [
    "Location",
    "Places",
    "Visitor",
    "When",
    "entity_spans",
    "extract_fields",
    "mask_entities",
    "parse_cost_centre",
    "parse_cost_centre_answer",
    "parse_count",
    "parse_location",
    "parse_persons",
    "parse_plate",
    "parse_visitors",
    "parse_visitors_csv",
    "parse_when",
    "visitors_in_message",
]
