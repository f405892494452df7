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
from typing import Any

MAX_DEPTH = 64


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
    return value


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
