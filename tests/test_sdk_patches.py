"""The botbuilder/msrest work-arounds keep the SDK's behaviour and only change its cost."""

from __future__ import annotations

from bot import sdk_patches


def test_retry_policy_patch_keeps_the_same_retry_codes() -> None:
    from msrest.universal_http.requests import ClientRetryPolicy

    original_safe = [i for i in range(500) if i != 408] + [501, 505]
    expected = [i for i in range(999) if i not in original_safe]
    sdk_patches.apply()
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    policy = ClientRetryPolicy()
    assert policy.policy.status_forcelist == expected


def test_unknown_signing_key_id_finds_no_key_instead_of_crashing() -> None:
    from botframework.connector.auth.jwt_token_extractor import _OpenIdMetadata

    sdk_patches.apply()
    metadata = _OpenIdMetadata("http://127.0.0.1:9/unused")
    metadata.keys = [{"kid": "known", "kty": "RSA", "n": "AQAB", "e": "AQAB"}]
    assert metadata._find("unknown") is None
