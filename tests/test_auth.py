"""Production mode: every token is validated against (local) OpenID signing keys."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.app import create_app
from frontoffice.settings import Settings
from tests.chat import said
from tests.conftest import teams_message

APP_ID = "00000000-0000-0000-0000-00000000b07"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
KEY_ID = "local-test-key"


class OpenIdServer:
    """Serves OpenID metadata and a JWKS the way login.botframework.com does."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.app = web.Application()
        self.app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        self.app.router.add_get("/v1/.well-known/keys", self._keys)
        self.base = ""

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": "https://api.botframework.com",
                "jwks_uri": f"{self.base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]})
        return web.json_response({"keys": [jwk]})

    def token(self, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "nbf": now - 10,
            "exp": now + 600,
            "serviceurl": SERVICE_URL,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": KEY_ID})


@pytest.fixture
async def openid() -> AsyncIterator[OpenIdServer]:
    server = OpenIdServer()
    test_server = TestServer(server.app)
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    yield server
    await test_server.close()


def _settings(sqlite_url: str, metadata_url: str, **extra: Any) -> Settings:
    return Settings(
        db_url=sqlite_url,
        knowledge_reload_seconds=0,
        app_id=APP_ID,
        app_password="not-used-with-expect-replies",
        app_type="MultiTenant",
        openid_metadata_url=metadata_url,
        **extra,
    )


@pytest.fixture
async def production(sqlite_url: str, openid: OpenIdServer) -> AsyncIterator[TestClient]:
    app = create_app(
        _settings(
            sqlite_url,
            f"{openid.base}/v1/.well-known/openidconfiguration",
            allowed_tenants=frozenset({"tenant-1"}),
        )
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


def _activity(**overrides: Any) -> dict[str, Any]:
    return teams_message(
        "wat kost een werklunch?", SERVICE_URL, deliveryMode="expectReplies", **overrides
    )


async def test_a_valid_channel_token_is_accepted(
    production: TestClient, openid: OpenIdServer
) -> None:
    response = await production.post(
        "/api/messages", json=_activity(), headers={"Authorization": f"Bearer {openid.token()}"}
    )
    assert response.status == 200
    body = await response.json()
    assert "8,50" in said(body["activities"])


async def test_a_missing_token_is_401(production: TestClient) -> None:
    response = await production.post("/api/messages", json=_activity())
    assert response.status == 401
    assert (await response.json())["error"] == "unauthorized"


async def test_a_malformed_token_is_401_not_500(production: TestClient) -> None:
    response = await production.post(
        "/api/messages", json=_activity(), headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status == 401


async def test_a_token_signed_with_another_key_is_401(
    production: TestClient, openid: OpenIdServer
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = await production.post(
        "/api/messages",
        json=_activity(),
        headers={"Authorization": f"Bearer {openid.token(key=stranger)}"},
    )
    assert response.status == 401


async def test_a_token_for_another_bot_is_401(production: TestClient, openid: OpenIdServer) -> None:
    token = openid.token(aud="11111111-1111-1111-1111-111111111111")
    response = await production.post(
        "/api/messages", json=_activity(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401


async def test_an_expired_token_is_401(production: TestClient, openid: OpenIdServer) -> None:
    token = openid.token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)
    response = await production.post(
        "/api/messages", json=_activity(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401


async def test_a_tenant_that_is_not_allowed_is_refused(
    production: TestClient, openid: OpenIdServer
) -> None:
    activity = _activity(
        conversation={"id": "a:x", "conversationType": "personal", "tenantId": "other-tenant"},
        channelData={"tenant": {"id": "other-tenant"}},
    )
    response = await production.post(
        "/api/messages", json=activity, headers={"Authorization": f"Bearer {openid.token()}"}
    )
    assert response.status == 403
    assert (await response.json())["error"] == "tenant_not_allowed"


async def test_unreachable_signing_keys_give_503_not_500(sqlite_url: str) -> None:
    app = create_app(_settings(sqlite_url, "http://127.0.0.1:9/v1/.well-known/openidconfiguration"))
    async with TestClient(TestServer(app)) as client:
        token = jwt.encode(
            {"iss": "https://api.botframework.com", "aud": APP_ID},
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
            headers={"kid": KEY_ID},
        )
        response = await client.post(
            "/api/messages", json=_activity(), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 503


# -- forged and misplaced tokens (docs/SECURITY.md) ----------------------------------------------


async def _post_with(production: TestClient, token: str, **activity: Any) -> int:
    response = await production.post(
        "/api/messages", json=_activity(**activity), headers={"Authorization": f"Bearer {token}"}
    )
    return response.status


async def test_an_unsigned_token_is_401(production: TestClient, openid: OpenIdServer) -> None:
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "nbf": now - 10,
        "exp": now + 600,
        "serviceurl": SERVICE_URL,
    }
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": KEY_ID})
    assert await _post_with(production, unsigned) == 401
    assert await _post_with(production, unsigned.rsplit(".", 1)[0] + ".") == 401


async def test_a_token_signed_with_the_public_key_as_a_shared_secret_is_401(
    production: TestClient, openid: OpenIdServer
) -> None:
    """The classic algorithm confusion: HS256 keyed with the RSA public key."""
    from cryptography.hazmat.primitives import serialization

    public = openid.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "nbf": now - 10,
        "exp": now + 600,
        "serviceurl": SERVICE_URL,
    }
    header = {"alg": "HS256", "typ": "JWT", "kid": KEY_ID}
    forged = _hs256(claims, header, public)  # PyJWT itself refuses to sign this
    assert await _post_with(production, forged) == 401


def _hs256(claims: dict[str, Any], header: dict[str, Any], secret: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


async def test_a_token_issued_by_another_tenant_is_401(
    production: TestClient, openid: OpenIdServer
) -> None:
    other = "https://sts.windows.net/99999999-9999-9999-9999-999999999999/"
    assert await _post_with(production, openid.token(iss=other)) == 401
    v2 = "https://login.microsoftonline.com/99999999-9999-9999-9999-999999999999/v2.0"
    assert await _post_with(production, openid.token(iss=v2)) == 401


async def test_a_token_for_another_service_url_is_401(
    production: TestClient, openid: OpenIdServer
) -> None:
    """A real token replayed with an activity that names another serviceUrl (where the
    bot would send its replies) is refused."""
    token = openid.token(serviceurl="https://smba.trafficmanager.net/amer/")
    assert await _post_with(production, token) == 401


async def test_a_token_not_yet_valid_is_401(production: TestClient, openid: OpenIdServer) -> None:
    later = int(time.time()) + 3600
    assert await _post_with(production, openid.token(nbf=later, exp=later + 600)) == 401


async def test_an_activity_without_a_tenant_is_refused_when_tenants_are_limited(
    production: TestClient, openid: OpenIdServer
) -> None:
    status = await _post_with(
        production,
        openid.token(),
        conversation={"id": "a:x", "conversationType": "personal"},
        channelData={},
    )
    assert status == 403


async def test_a_refused_token_changes_nothing(
    production: TestClient, openid: OpenIdServer
) -> None:
    """A message with a bad token starts no intake and files nothing."""
    from bot.keys import TICKET_STORE

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    activity = teams_message(
        "Er is brand op de 2e verdieping van de Werf!", SERVICE_URL, deliveryMode="expectReplies"
    )
    response = await production.post(
        "/api/messages",
        json=activity,
        headers={"Authorization": f"Bearer {openid.token(key=stranger)}"},
    )
    assert response.status == 401
    store = production.server.app[TICKET_STORE]
    assert await store.find(None, open_only=False) == []
