"""The first message: every intake field really present in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dialogs.entities._text import _fold, _has_digit, _mask
from dialogs.entities.cost_centre import _cost_centre
from dialogs.entities.location import Places, _location
from dialogs.entities.persons import _persons
from dialogs.entities.plates import _plates
from dialogs.entities.when import _misc_spans, _when

__all__ = ["extract_fields"]


def extract_fields(
    text: str, now: dt.datetime, buildings: Sequence[str], places: Places | None = None
) -> dict[str, object]:
    """The intake fields really present in a first message (``places``: the named places
    per building, see :mod:`dialogs.entities.location`).

    Keys among "location" (Location), "when" (When), "persons" (int), "plate" (str)
    and "cost_centre" (str). Location, persons, cost centre and plate are read
    first; their spans are blanked out before the date and time are read.
    """
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
