"""Cost centre: a code after a cue word, or on its own as an answer.

Rules chosen where the language is ambiguous:

After a cue word (kostenplaats, kpl, kostenpost, cost centre/center,
budgetnummer), 3..12 letters, digits and dashes with at least three digits.
As an answer (:func:`parse_cost_centre_answer`) the cue is optional, and
exactly one such code must be in the text.
"""

from __future__ import annotations

import re

from dialogs.entities._text import Span, _fold, _word_matches

__all__ = ["parse_cost_centre", "parse_cost_centre_answer"]

_COST_CUE = (
    r"(?:kostenplaats(?:nummer|nr)?|kostenpost|kpl|cost[\s-]?cent(?:re|er)(?:\s+(?:number|code))?"
    r"|budget(?:nummer|code|nr)|budget\s+(?:number|code))"
)
_COST_CODE = r"(?P<code>[a-z0-9][a-z0-9-]{1,10}[a-z0-9])(?![\w-])"
_COST_RE = re.compile(
    rf"{_COST_CUE}\b\.?\s*(?:(?:is|nr|nummer|number|code|no)\b\.?\s*)?[:#=]?\s*{_COST_CODE}"
)
_BARE_COST_RE = re.compile(rf"(?<![\w-]){_COST_CODE}")


def _valid_cost_code(code: str) -> bool:
    return 3 <= len(code) <= 12 and sum(c.isdigit() for c in code) >= 3


_COST_HINTS = ("kosten", "kpl", "cost", "budget")


def _cost_centre(folded: str) -> tuple[str | None, list[Span]]:
    """The cost centre and the spans of every cost centre (for masking)."""
    value: str | None = None
    spans: list[Span] = []
    if any(hint in folded for hint in _COST_HINTS):
        for match in _word_matches(_COST_RE, folded):
            code = match.group("code")
            if _valid_cost_code(code):
                spans.append(match.span())
                if value is None:
                    value = code.upper()
    return value, spans


def parse_cost_centre(text: str) -> str | None:
    """A cost centre after a cue word: "kostenplaats 4711", "kpl: KP-1234"."""
    return _cost_centre(_fold(text))[0]


def parse_cost_centre_answer(text: str) -> str | None:
    """The answer to "which cost centre?": a cue word is optional; one code only."""
    folded = _fold(text)
    code = _cost_centre(folded)[0]
    if code:
        return code
    codes = {m.group("code") for m in _BARE_COST_RE.finditer(folded)}
    codes = {c for c in codes if _valid_cost_code(c)}
    return codes.pop().upper() if len(codes) == 1 else None
