"""A fake OpenID provider (Entra ID's shape): a real aiohttp server that signs id tokens.

Endpoints:

    GET  /.well-known/openid-configuration   metadata; the issuer has ``{tenantid}`` in it
                                             as Entra's multi-tenant metadata does
    GET  /keys                               the JWKS (an RSA key made at start)
    GET  /authorize                          as if the person signed in at once: redirects
                                             to ``redirect_uri`` with a code and the state
                                             (or with ``error`` when ``deny`` is set);
                                             records the PKCE challenge with the code
    POST /token                              checks the client id and secret, the code
                                             (once), the redirect URI and that
                                             BASE64URL(SHA256(code_verifier)) is the
                                             challenge; answers an id token

What the next id tokens say: ``user`` (oid, name, preferred_username, groups), ``tenant``,
and ``claims``: overrides applied last (a value ``None`` removes the claim), e.g.
``{"aud": "someone-else"}``, ``{"exp": <past>}``, ``{"nonce": "tampered"}``.
``sign_with_stranger = True`` signs with a key that is not in the JWKS under the
published key's id; ``rotate_key()`` starts signing with a new key (published too).

Introspection: ``challenges`` (the PKCE challenge of each /authorize), ``token_requests``
(the forms /token received), ``requests`` ((method, path) of every request).

    fake = FakeOpenID(client_id="app-1", client_secret="s3cret")
    url = await fake.start()      # the authority: http://127.0.0.1:<port>
    ...
    await fake.close()
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

TENANT = "11111111-1111-1111-1111-111111111111"


def _rsa_key(kid: str) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return RSAKey.import_key(pem, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    nonce: str


class FakeOpenID:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = _rsa_key("key-1")
        self.published = [self.key]
        self.stranger = _rsa_key("key-1")  # same key id, different key: a forgery
        self.sign_with_stranger = False
        self.tenant = TENANT
        self.user: dict[str, Any] = {
            "oid": "00000000-0000-0000-0000-0000000000aa",
            "name": "Anna Admin",
            "preferred_username": "anna@org.example",
            "groups": [],
        }
        self.claims: dict[str, Any] = {}
        self.deny = ""  # an OAuth error code /authorize answers with
        self.challenges: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.requests: list[tuple[str, str]] = []
        self._grants: dict[str, _Grant] = {}
        self._server: TestServer | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/.well-known/openid-configuration", self._metadata)
        app.router.add_get("/keys", self._keys)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        self._server = TestServer(app)
        await self._server.start_server()
        self.url = str(self._server.make_url("")).rstrip("/")
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    def rotate_key(self) -> None:
        self.key = _rsa_key(f"key-{len(self.published) + 1}")
        self.published.append(self.key)

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        response: web.StreamResponse = await handler(request)
        return response

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": f"{self.url}/{{tenantid}}/v2.0",
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/keys",
                "end_session_endpoint": f"{self.url}/logout",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [k.as_dict(private=False) for k in self.published]})

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        missing = [
            name
            for name in ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
            if not q.get(name)
        ]
        if missing or q.get("response_type") != "code":
            return web.json_response({"error": "invalid_request", "missing": missing}, status=400)
        if q["client_id"] != self.client_id:
            return web.json_response({"error": "unauthorized_client"}, status=400)
        self.challenges.append(q["code_challenge"])
        if self.deny:
            answer = {"error": self.deny, "error_description": "denied", "state": q["state"]}
        else:
            code = secrets.token_urlsafe(24)
            self._grants[code] = _Grant(
                client_id=q["client_id"],
                redirect_uri=q["redirect_uri"],
                challenge=q["code_challenge"],
                method=q.get("code_challenge_method", "plain"),
                nonce=q["nonce"],
            )
            answer = {"code": code, "state": q["state"]}
        raise web.HTTPFound(q["redirect_uri"] + "?" + urlencode(answer))

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)

        def refuse(error: str, status: int = 400) -> web.Response:
            return web.json_response({"error": error, "error_description": error}, status=status)

        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return refuse("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type")
        grant = self._grants.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return refuse("invalid_grant")
        verifier = form.get("code_verifier", "")
        if not verifier or grant.method != "S256":
            return refuse("invalid_grant")
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return refuse("invalid_grant")
        return web.json_response(
            {
                "token_type": "Bearer",
                "scope": "openid profile email",
                "expires_in": 3600,
                "access_token": secrets.token_urlsafe(16),
                "id_token": self.id_token(grant.nonce),
            }
        )

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": f"{self.url}/{self.tenant}/v2.0",
            "aud": self.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": "pairwise-" + str(self.user.get("oid", "")),
            "tid": self.tenant,
            "nonce": nonce,
            "ver": "2.0",
            **self.user,
        }
        for name, value in self.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.stranger if self.sign_with_stranger else self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
