"""Licence plates: Dutch side codes, other plates after a cue word.

Rules chosen where the language is ambiguous:

Dutch side codes 1-14, written with dashes, spaces or nothing; with spaces
only when the letters are capitals or a cue word (kenteken, plate) comes just
before, so that "12 dec 3" is never a plate. Separators are all at the side
code's places or absent ("KP-1234" is not a plate, "KP-12-34" is). Other
plates only after a cue word, as upper-case letters and digits without
separators (at least one digit, 2..10 characters).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dialogs.entities._text import Span, _fold, _has_digit, _word_matches

__all__ = ["parse_plate"]

_SIDECODES = (
    "XX-99-99",
    "99-XX-99",
    "99-99-XX",
    "XX-99-XX",
    "XX-XX-99",
    "99-XX-XX",
    "99-XXX-9",
    "9-XXX-99",
    "XX-999-X",
    "X-999-XX",
    "XXX-99-X",
    "X-99-XXX",
    "9-XX-999",
    "999-XX-9",
)


def _runs(code: str) -> tuple[tuple[bool, int], ...]:
    """(is_letter, length) runs of a compact code: "AB123C" -> L2 D3 L1."""
    runs: list[tuple[bool, int]] = []
    for char in code:
        letter = not char.isdigit()
        if runs and runs[-1][0] == letter:
            runs[-1] = (letter, runs[-1][1] + 1)
        else:
            runs.append((letter, 1))
    return tuple(runs)


_SIDECODE_GROUPS: dict[tuple[tuple[bool, int], ...], tuple[int, ...]] = {
    _runs(code.replace("-", "")): tuple(len(g) for g in code.split("-")) for code in _SIDECODES
}


def _sidecode_pattern(code: str) -> str:
    """ "XX-999-X" -> a regex with an optional dash or space at the side code's places."""
    return "[- ]?".join(
        f"[A-Za-z]{{{len(group)}}}" if group[0] == "X" else f"[0-9]{{{len(group)}}}"
        for group in code.split("-")
    )


_DUTCH_PLATE_RE = re.compile(
    rf"(?<![\w@./-])(?:{'|'.join(_sidecode_pattern(code) for code in _SIDECODES)})"
    r"(?![\w@/-]|\.\w)"
)
_PLATE_CUE_RE = re.compile(
    r"(?:kenteken(?:nummer|plaat)?|nummerbord|licen[cs]e[\s-]?plate|number[\s-]?plate"
    r"|registration(?:\s+number)?|plate|reg\.?\s*(?:nr|no)\.?)\b"
    r"(?:\s*(?:is|nummer|number|nr|no)\b\.?)?\s*[:#]?\s*"
)
_PLATE_HINTS = ("kenteken", "nummerbord", "plate", "registration", "reg")
_FOREIGN_PLATE_RE = re.compile(r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+){0,3}")
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+")


def _normalise_plate(found: str) -> str | None:
    compact = found.replace("-", "").replace(" ", "").upper()
    groups = _SIDECODE_GROUPS.get(_runs(compact))
    if groups is None:
        return None
    pieces, pos = [], 0
    for size in groups:
        pieces.append(compact[pos : pos + size])
        pos += size
    return "-".join(pieces)


def _plates(
    text: str, folded: str, has_digit: bool, exclude: Sequence[Span] = ()
) -> list[tuple[str, Span]]:
    """Dutch plates in ``text``; when there are none, a foreign plate after a cue word."""
    if not has_digit:
        return []
    cue_ends = (
        {m.end() for m in _word_matches(_PLATE_CUE_RE, folded)}
        if any(hint in folded for hint in _PLATE_HINTS)
        else set()
    )
    found: list[tuple[str, Span]] = []
    pos = 0
    while True:
        match = _DUTCH_PLATE_RE.search(text, pos)
        if match is None:
            break
        start, end = match.span()
        plate = _normalise_plate(match.group())
        separators = sum(c in "- " for c in match.group())
        acceptable = (
            plate is not None
            and separators in (0, 2)  # all of the side code's separators or none: not "KP-1234"
            and not any(start < e and end > s for s, e in exclude)
        )
        if acceptable and " " in match.group():
            # With spaces only in capitals or after a cue word: "12 dec 3" is a date.
            letters = "".join(c for c in match.group() if c.isalpha())
            acceptable = letters.isupper() or start in cue_ends
        if acceptable and plate is not None:
            found.append((plate, (start, end)))
            pos = end
        else:
            pos = start + 1
    if found:
        return found
    for cue_end in sorted(cue_ends):
        foreign = _FOREIGN_PLATE_RE.match(text, cue_end)
        if not foreign:
            continue
        pieces: list[str] = []
        end = cue_end
        for piece in _ALNUM_RE.finditer(foreign.group()):
            word = piece.group()
            if pieces and not (any(c.isdigit() for c in word) or word.isupper()):
                break
            pieces.append(word)
            end = cue_end + piece.end()
        compact = "".join(pieces).upper()
        if 2 <= len(compact) <= 10 and any(c.isdigit() for c in compact):
            found.append((compact, (cue_end, end)))
            break
    return found


def parse_plate(text: str) -> str | None:
    """A licence plate: Dutch side codes as "AB-123-C", others after a cue word."""
    folded = _fold(text)
    found = _plates(text, folded, _has_digit(folded))
    return found[0][0] if found else None
