"""Intake fields from an employee's free text, in Dutch and English.

Pure functions: no I/O, no SDK, no knowledge. The intake dialog calls
:func:`extract_fields` on the first message ("de kraan lekt in kamer 2.14 op de
2e verdieping van het Stadskantoor") and the ``parse_*`` functions on the answers
to its questions ("morgen om 10 uur"). Everything is a small hand-written grammar
of regular expressions, compiled at import, run on a *folded* copy of the text:
lower case, accents removed, curly quotes and dashes made plain, one character
for one character, so that a span in the folded text is the same span in the
original.

One module per kind of field, each with the rules chosen where the language is
ambiguous in its docstring:

``_text``
    Folding, masking, word matching, numbers and month names (shared helpers).
``location``
    Building, floor, room and named place (:class:`Location`, :func:`parse_location`).
``persons``
    Numbers of persons (:func:`parse_persons`, :func:`parse_count`).
``plates``
    Licence plates (:func:`parse_plate`).
``cost_centre``
    Cost centres (:func:`parse_cost_centre`, :func:`parse_cost_centre_answer`).
``when``
    Dates and times (:class:`When`, :func:`parse_when`).
``visitors``
    Visitor lists and CSV files (:class:`Visitor`, :func:`parse_visitors`,
    :func:`visitors_in_message`, :func:`parse_visitors_csv`).
``fields``
    The first message (:func:`extract_fields`).

:mod:`dialogs.extract` re-exports the public names.
"""
