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
