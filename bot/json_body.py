"""JSON request bodies with a nesting limit.

Python's ``json`` parser, pydantic and msrest all recurse once per level of nesting, so
a body nested a few thousand levels deep (``[[[[...]]]]``, a few kilobytes) ends in a
``RecursionError`` somewhere past the edge: a 500. No activity, ticket or status update
needs more than a few levels (an Adaptive Card in an attachment perhaps 20), so every
body deeper than ``MAX_DEPTH`` is refused before anything reads it.

The check is cheap on the bodies that matter: a body with at most ``MAX_DEPTH``
brackets cannot be deeper than that, and counting two bytes is a C loop (about 1 µs on
a 2 kB activity). Only a body with more brackets is walked after parsing, without
recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = re.compile(rb"\\[uU][dD][89a-fA-F]")
_ESCAPE_TEXT = re.compile(r"\\[uU][dD][89a-fA-F]")


class BodyError(ValueError):
    """A body that is not JSON we can read; ``code`` and ``str()`` go into the 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_json(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(raw)``, or ``BodyError`` when it is not JSON or nested too deeply."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise _too_deep(max_depth) from exc
    except json.JSONDecodeError as exc:
        raise BodyError("malformed_json", f"the body is not valid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise BodyError("malformed_json", "the body is not valid UTF-8") from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise BodyError("malformed_json", f"the body cannot be read: {exc}") from exc
    brackets = raw.count(b"[") + raw.count(b"{") if isinstance(raw, bytes) else _brackets(raw)
    if brackets > max_depth and depth_exceeds(value, max_depth):
        raise _too_deep(max_depth)
    if _may_hold_surrogates(raw) and has_lone_surrogate(value):
        raise BodyError(
            "invalid_text", "the body holds a lone UTF-16 surrogate (\\ud800-\\udfff): not text"
        )
    return value


def has_lone_surrogate(value: Any) -> bool:
    """Whether a string in ``value`` holds a surrogate that is not half of a pair: JSON
    allows ``"\\ud800"``, but such a string cannot be written as UTF-8 (not to the
    database, not to a log, not in a reply)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _may_hold_surrogates(raw: bytes | str) -> bool:
    """Only an escape can put a surrogate in the parsed value (UTF-8 cannot hold one):
    ``\\ud8``-``\\udf``, in either case. A search in C, as cheap as the bracket count."""
    if isinstance(raw, str):
        return bool(_SURROGATE.search(raw)) or _ESCAPE_TEXT.search(raw) is not None
    return _ESCAPE.search(raw) is not None


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` has objects or arrays nested more than ``limit`` levels (the
    outermost object is level 1)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return False


def _brackets(text: str) -> int:
    return text.count("[") + text.count("{")


def _too_deep(max_depth: int) -> BodyError:
    return BodyError("too_deep", f"the body is nested more than {max_depth} levels deep")
