"""Mutations of valid requests: what a careless client or an attacker sends.

``Mutator(rng).body(seed)`` takes a JSON value (a valid activity, ticket or status
update from the tests) and returns the bytes of a broken copy: one to three changes
in the tree (deep nesting, a huge string, a wrong type, a null, odd unicode, a key
dropped, duplicated or added) and sometimes a change in the bytes themselves
(truncated, a flipped byte, invalid UTF-8, a duplicate key, a number no parser likes).

Nothing produced points outside this machine: every string that looks like a URL is
pointed at the loopback fake (``safe_url``), and a byte-level change that would make
a URL of another host is thrown away (``is_safe``), because the bot fetches uploaded
files and posts replies to the ``serviceUrl`` it is given.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.json_body import depth_exceeds

DEPTHS = (8, 63, 64, 65, 200, 999, 1_000, 3_000, 20_000)
HUGE = (1_000, 2_001, 10_000, 100_000, 600_000)

ODD_STRINGS = (
    "",
    " ",
    "\x00",
    "\x00\x01\x02\x1f\x7f",
    "\ud800",  # a lone surrogate: valid in JSON (\\ud800), not encodable as UTF-8
    "\udfff\ud800",
    "\u202e\u202dbidi\u2066",
    "\u200b\u200c\u200d\ufeff",
    "e\u0301\u0301\u0301\u0301\u0301",
    "Z\u0351\u0356\u0334\u0338\u0322\u0337a\u035b\u0358\u0302l",
    "\U0001f4a9\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\ufffd\uffff\U0010ffff",
    "ﬁ ß İ ǅ ﬀ",
    "١٢٣٤ ۴۵۶ ߀",
    "𝟏𝟐 𝐤𝐚𝐦𝐞𝐫",
    "<at>Frontoffice</at>",
    "<script>alert(1)</script>",
    "'; DROP TABLE tickets; --",
    "=cmd|' /C calc'!A0",
    "%s%n%x{0}{}",
    "../../../../etc/passwd",
    "nan",
    "null",
    "true",
    "-1",
    "1e309",
    "2026-02-30T25:61:61+99:00",
    "FM-2026-999999",
    "FM-0000-000000",
    "a:personal-1",
    "28:bot-1",
    "Action.Execute",
    "intake.confirm",
    "ticket.take",
    "morgen om 25 uur",
    "kamer 99999999999999999999 op de 123456789e verdieping",
    "9" * 5_000,
)

ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    -0.0,
    "",
    "x",
    [],
    {},
    [None],
    {"": None},
    {"id": None},
    [[[]]],
)


def safe_url(value: str, loopback: str) -> str:
    """``value`` unless it is a URL of another host, else ``loopback`` with its path."""
    if not _looks_like_url(value):
        return value
    try:
        host = urlsplit(value.strip()).hostname or ""
    except ValueError:
        return loopback
    if host in ("127.0.0.1", "localhost", "::1"):
        return value
    return loopback.rstrip("/") + "/elsewhere"


def _looks_like_url(value: str) -> bool:
    head = value[:200].strip().lower()
    return "://" in head or head.startswith(("http:", "https:", "//", "www."))


def is_safe(raw: bytes, loopback: str) -> bool:
    """Whether every URL-like string in ``raw`` (when it parses) stays on this machine."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return not re.search(rb"(?i)(https?:|//|www\.)", raw.replace(loopback.encode(), b""))
    return all(safe_url(s, loopback) == s for s in _strings(value))


def _strings(value: Any) -> list[str]:
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def nested(depth: int, rng: random.Random) -> Any:
    """A value ``depth`` levels deep, built without recursion."""
    value: Any = rng.choice((1, "x", None, {}, []))
    for _ in range(depth - 1):
        value = [value] if rng.random() < 0.5 else {"a": value}
    return value


class Mutator:
    def __init__(self, rng: random.Random, loopback: str = "http://127.0.0.1:9/") -> None:
        self.rng = rng
        self.loopback = loopback

    # -- the tree ----------------------------------------------------------------------

    def tree(self, seed: Any, changes: int | None = None) -> Any:
        """A deep copy of ``seed`` with 1-3 changes (``changes`` to say how many)."""
        value = copy.deepcopy(seed)
        for _ in range(changes or self.rng.choice((1, 1, 1, 2, 3))):
            value = self._change(value)
        return self._sanitise(value)

    def _change(self, root: Any) -> Any:
        paths = _paths(root)
        path = self.rng.choice(paths)
        parent, key = _locate(root, path)
        current = root if parent is None else parent[key]
        operation = self.rng.choice(self._operations)
        replaced = operation(self, current, parent, key)
        if parent is None:
            return {} if replaced is _DROP else root if replaced is _KEEP else replaced
        if replaced is _DROP:
            if isinstance(parent, dict):
                parent.pop(key, None)
            else:
                parent.pop(key)
        elif replaced is not _KEEP:
            parent[key] = replaced
        return root

    def _deep(self, current: Any, parent: Any, key: Any) -> Any:
        return nested(self.rng.choice(DEPTHS), self.rng)

    def _huge(self, current: Any, parent: Any, key: Any) -> Any:
        size = self.rng.choice(HUGE)
        unit = self.rng.choice(("a", "kamer 2.14 ", "é", "\U0001f4a9", "<at>x</at>", " ", "1"))
        text = current if isinstance(current, str) and current else ""
        return (text + unit * (size // len(unit) + 1))[:size]

    def _wrong_type(self, current: Any, parent: Any, key: Any) -> Any:
        return copy.deepcopy(self.rng.choice(ODD_VALUES))  # never share a module constant

    def _null(self, current: Any, parent: Any, key: Any) -> Any:
        return None

    def _odd_string(self, current: Any, parent: Any, key: Any) -> Any:
        odd = self.rng.choice(ODD_STRINGS)
        if isinstance(current, str) and self.rng.random() < 0.5:
            cut = self.rng.randint(0, len(current))
            return current[:cut] + odd + current[cut:]
        return odd

    def _drop(self, current: Any, parent: Any, key: Any) -> Any:
        return _DROP if parent is not None else current

    def _add_key(self, current: Any, parent: Any, key: Any) -> Any:
        if isinstance(current, dict):
            name = self.rng.choice(
                ("type", "id", "value", "action", "verb", "data", "__proto__", "", "from_", "x")
            )
            current[name] = copy.deepcopy(self.rng.choice(ODD_VALUES + ODD_STRINGS[:8]))
            return _KEEP
        if isinstance(current, list):
            current.append(self.rng.choice(current) if current else None)
            return _KEEP
        return [current]

    def _wrap(self, current: Any, parent: Any, key: Any) -> Any:
        return self.rng.choice(([current], {"value": current}, [current, current]))

    def _number(self, current: Any, parent: Any, key: Any) -> Any:
        return self.rng.choice((0, -1, 2**31, 2**64, 10**4000, 1e-320, -1e308, 3.14))

    _operations: tuple[Callable[..., Any], ...] = (
        _deep,
        _huge,
        _wrong_type,
        _wrong_type,
        _null,
        _odd_string,
        _odd_string,
        _drop,
        _drop,
        _add_key,
        _wrap,
        _number,
    )

    def _sanitise(self, value: Any) -> Any:
        if isinstance(value, str):
            return safe_url(value, self.loopback)
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                for name, child in list(item.items()):
                    if isinstance(child, str):
                        item[name] = safe_url(child, self.loopback)
                    elif isinstance(child, dict | list):
                        stack.append(child)
            elif isinstance(item, list):
                for index, child in enumerate(item):
                    if isinstance(child, str):
                        item[index] = safe_url(child, self.loopback)
                    elif isinstance(child, dict | list):
                        stack.append(child)
        return value

    # -- the bytes ---------------------------------------------------------------------

    def body(self, seed: Any) -> bytes:
        """The bytes of a mutated ``seed``: a tree change, and one time in five a byte
        change as well; never a URL to another host."""
        raw = dump(self.tree(seed))
        if self.rng.random() < 0.2:
            changed = self._bytes(raw)
            if is_safe(changed, self.loopback):
                raw = changed
        return raw

    def _bytes(self, raw: bytes) -> bytes:
        choice = self.rng.randrange(7)
        if choice == 0 and raw:
            return raw[: self.rng.randrange(len(raw))]
        if choice == 1 and raw:
            position = self.rng.randrange(len(raw))
            return raw[:position] + bytes([self.rng.randrange(256)]) + raw[position + 1 :]
        if choice == 2:
            return raw[:-1] + b', "type": "message", "type": 7}' if raw.endswith(b"}") else raw
        if choice == 3:
            return self.rng.choice((b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80")) + raw
        if choice == 4:
            return raw.replace(b"1", b"NaN", 1) if b"1" in raw else raw + b"NaN"
        if choice == 5:
            return b"[" * 100_000 + b"]" * 100_000
        return raw.replace(b": ", b": " + b"9" * 5_000 + b", ", 1) if b'"' in raw else raw


_DROP = object()
_KEEP = object()


def dump(value: Any) -> bytes:
    """JSON bytes of ``value``, which may be nested past the ``json`` module's stack."""
    if depth_exceeds(value, 200):  # past the json module's stack: a RecursionError mid-way
        return _dump_iteratively(value).encode()  # could also fire finalisers deep in it
    return json.dumps(value).encode()


def _dump_iteratively(value: Any) -> str:
    parts: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            parts.append(item.text)
        elif isinstance(item, dict):
            stack.append(_Text("}"))
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                name, child = entries[index]
                stack.append(child)
                stack.append(_Text(json.dumps(str(name)) + ":"))
                if index:
                    stack.append(_Text(","))
            stack.append(_Text("{"))
        elif isinstance(item, list):
            stack.append(_Text("]"))
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(_Text(","))
            stack.append(_Text("["))
        else:
            parts.append(json.dumps(item))
    return "".join(parts)


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _paths(root: Any, limit: int = 400) -> list[tuple[Any, ...]]:
    """Paths to nodes of ``root`` (the root itself is ``()``), at most ``limit``."""
    found: list[tuple[Any, ...]] = [()]
    stack: list[tuple[tuple[Any, ...], Any]] = [((), root)]
    while stack and len(found) < limit:
        path, item = stack.pop()
        children: list[tuple[Any, Any]] = []
        if isinstance(item, dict):
            children = list(item.items())
        elif isinstance(item, list):
            children = list(enumerate(item))
        for key, child in children:
            found.append((*path, key))
            if isinstance(child, dict | list) and len(path) < 20:
                stack.append(((*path, key), child))
    return found


def _locate(root: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    if not path:
        return None, None
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]
