"""Documented, tested work-arounds for botbuilder-python 4.17.1 (the last release).

Applied once, by ``apply()``, where the adapter is built:

1. msrest 0.7.1's ``ClientRetryPolicy`` checks ~999 status codes against a
   501-element *list* every time it is built (about 3 ms, twice per turn). The
   class attribute becomes a ``frozenset`` with the same values, so the computed
   retry list is unchanged (a test asserts it) and a turn gets about 3x cheaper.
2. ``_OpenIdMetadata`` fetches the OpenID metadata and signing keys with the
   synchronous ``requests`` library inside the async request path. The fetch runs
   in a worker thread instead, so it never blocks the event loop; a token whose key
   id is unknown yields no key (and so a 401) instead of an ``IndexError``.

3. msrest serialises the content of every card (``Attachment.content``, type
   ``object``) value by value through its generic ``serialize_object``: about a tenth
   of a busy turn's time. Content that is plain JSON data (exact ``dict``, ``list``,
   ``str``, ``int``, ``float``, ``bool``, ``None``), which is what our cards are, is
   copied in one pass instead, with the same result; anything else (an enum, a date, a
   model) goes the original way. ``tests/test_turn_cost.py`` compares both.

Two more defects are handled where requests come in (``bot.http``): the invoke
and ``expectReplies`` bodies are serialised by us, and token errors map to 401/503.
"""

from __future__ import annotations

import asyncio
from typing import Any

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    _patch_retry_policy()
    _patch_openid_metadata()
    _patch_serialize_object()
    _applied = True


def _patch_retry_policy() -> None:
    from msrest.universal_http.requests import ClientRetryPolicy

    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)


def _patch_openid_metadata() -> None:
    from botframework.connector.auth import jwt_token_extractor

    metadata_class: Any = jwt_token_extractor._OpenIdMetadata
    original_refresh = metadata_class._refresh
    original_find = metadata_class._find

    async def _refresh(self: Any) -> None:
        def fetch() -> None:
            # the original is declared async but never awaits: run it to completion here
            coroutine = original_refresh(self)
            try:
                coroutine.send(None)
            except StopIteration:
                return
            finally:
                coroutine.close()

        await asyncio.to_thread(fetch)

    def _find(self: Any, key_id: str) -> Any:
        if not any(key.get("kid") == key_id for key in self.keys or ()):
            return None
        return original_find(self, key_id)

    metadata_class._refresh = _refresh
    metadata_class._find = _find


class _NotPlain(Exception):
    """A value that is not plain JSON data."""


def plain_copy(value: Any) -> Any:
    """A copy of plain JSON data; ``_NotPlain`` for anything else."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            out[key] = plain_copy(item)
        return out
    if kind is list:
        return [plain_copy(item) for item in value]
    raise _NotPlain


def _patch_serialize_object() -> None:
    from msrest.serialization import Serializer

    original = Serializer.serialize_object

    def serialize_object(self: Any, attr: Any, **kwargs: Any) -> Any:
        if type(attr) is dict or type(attr) is list:
            try:
                return plain_copy(attr)
            except _NotPlain:
                pass
        return original(self, attr, **kwargs)

    serialize_object.original = original  # type: ignore[attr-defined]
    Serializer.serialize_object = serialize_object
