"""The OpenID provider as the console's sign-in sees it: its metadata and signing keys
(fetched, cached, the keys refetched once when a token names an unknown key), the token
endpoint, and the id token's checks.

The cryptography is joserfc's (the JOSE library authlib points to; ``authlib.jose`` is
deprecated): the signature against the provider's JWKS, then the claims: ``aud`` is our
client id, ``exp``/``nbf``/``iat`` within a small leeway, ``nonce`` as sent, the issuer
as the metadata says (Entra's multi-tenant metadata has ``{tenantid}`` in it: the token's
``tid`` goes there) and, when the settings restrict tenants, ``tid`` among them.

Every failure is a :class:`SignInFailed` with a reason (a word for the log and the
message catalogue's ``console.oidc.<reason>``) and the HTTP status the page gets; the
reason never carries a name, an e-mail address or a token.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aiohttp
from joserfc import jws, jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)
ALGORITHMS = ("RS256",)  # what Entra signs id tokens with
LEEWAY_SECONDS = 120  # clock skew allowed on exp, nbf and iat
METADATA_SECONDS = 24 * 3600  # metadata and keys are refetched after a day
TIMEOUT = aiohttp.ClientTimeout(total=10)
OAUTH_ERROR = re.compile(r"^[a-z_]{1,40}$")  # OAuth error codes are plain words: loggable


class SignInFailed(Exception):
    """A sign-in that must not go through; ``reason`` names it (no personal data)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def unreachable() -> SignInFailed:
    return SignInFailed("unreachable", 502)


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""


class Provider:
    """One OpenID provider (``authority``), with a lazily opened HTTP session."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._metadata: dict[str, tuple[float, Metadata]] = {}
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http().get(url, headers={"Accept": "application/json"}) as answer:
                if answer.status != 200:
                    raise unreachable()
                data = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise unreachable() from exc
        if not isinstance(data, dict):
            raise unreachable()
        return data

    async def metadata(self, authority: str) -> Metadata:
        """``<authority>/.well-known/openid-configuration``, cached for a day."""
        cached = self._metadata.get(authority)
        if cached and time.monotonic() - cached[0] < METADATA_SECONDS:
            return cached[1]
        data = await self._get_json(authority.rstrip("/") + "/.well-known/openid-configuration")
        try:
            found = Metadata(
                issuer=str(data["issuer"]),
                authorization_endpoint=str(data["authorization_endpoint"]),
                token_endpoint=str(data["token_endpoint"]),
                jwks_uri=str(data["jwks_uri"]),
                end_session_endpoint=str(data.get("end_session_endpoint") or ""),
            )
        except KeyError as exc:
            raise unreachable() from exc
        self._metadata[authority] = (time.monotonic(), found)
        return found

    async def _key_set(self, jwks_uri: str, *, fresh: bool) -> KeySet:
        async with self._lock:
            cached = self._keys.get(jwks_uri)
            if cached and not fresh and time.monotonic() - cached[0] < METADATA_SECONDS:
                return cached[1]
            data = await self._get_json(jwks_uri)
            # Keys this library cannot use (other types, encryption keys) are left out.
            usable = [
                k
                for k in data.get("keys", [])
                if isinstance(k, dict) and k.get("kty") == "RSA" and k.get("use", "sig") == "sig"
            ]
            try:
                keys = KeySet.import_key_set({"keys": usable})
            except (JoseError, ValueError, TypeError) as exc:
                raise unreachable() from exc
            self._keys[jwks_uri] = (time.monotonic(), keys)
            return keys

    async def redeem(
        self,
        metadata: Metadata,
        *,
        code: str,
        redirect_uri: str,
        client_id: str,
        client_secret: str,
        code_verifier: str,
    ) -> str:
        """The id token for an authorization code (the PKCE verifier goes with it)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": client_secret,
            "code_verifier": code_verifier,
        }
        try:
            async with self._http().post(
                metadata.token_endpoint, data=form, headers={"Accept": "application/json"}
            ) as answer:
                status = answer.status
                data = await answer.json(content_type=None) if status < 500 else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise unreachable() from exc
        if status >= 500:
            raise unreachable()
        if status != 200 or not isinstance(data, dict):
            # the code, the verifier or our client (id, secret, redirect URI) was refused
            error = str(data.get("error", "")) if isinstance(data, dict) else ""
            log.info(
                "console sign-in: the token endpoint refused",
                extra={"status": status, "error": error if OAUTH_ERROR.match(error) else "other"},
            )
            raise SignInFailed("refused", 400)
        token = data.get("id_token")
        if not isinstance(token, str) or not token:
            raise SignInFailed("token", 403)
        return token

    async def verify(
        self,
        metadata: Metadata,
        id_token: str,
        *,
        client_id: str,
        nonce: str,
        allowed_tenants: Collection[str],
    ) -> dict[str, Any]:
        """The id token's claims when its signature and claims hold."""
        try:
            header = jws.extract_compact(id_token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeError) as exc:
            raise SignInFailed("token", 403) from exc
        if header.get("alg") not in ALGORITHMS:
            raise SignInFailed("token", 403)
        kid = header.get("kid")
        keys = await self._key_set(metadata.jwks_uri, fresh=False)
        try:
            key = keys.get_by_kid(kid)
        except (InvalidKeyIdError, ValueError):
            keys = await self._key_set(metadata.jwks_uri, fresh=True)  # keys were rolled over
            try:
                key = keys.get_by_kid(kid)
            except (InvalidKeyIdError, ValueError) as exc:
                raise SignInFailed("token", 403) from exc
        try:
            claims = jwt.decode(id_token, key, algorithms=list(ALGORITHMS)).claims
        except (JoseError, ValueError) as exc:  # a bad signature or not a JWT
            raise SignInFailed("token", 403) from exc
        tenant = claims.get("tid")
        issuer = metadata.issuer
        if "{tenantid}" in issuer:
            if not isinstance(tenant, str) or not tenant:
                raise SignInFailed("token", 403)
            issuer = issuer.replace("{tenantid}", tenant)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise SignInFailed("expired", 403) from exc
        except (InvalidClaimError, MissingClaimError) as exc:
            if exc.claim == "aud":
                raise SignInFailed("audience", 403) from exc
            raise SignInFailed("token", 403) from exc
        if isinstance(claims.get("aud"), list) and claims.get("azp") not in (None, client_id):
            raise SignInFailed("audience", 403)
        if allowed_tenants and str(tenant or "").lower() not in {
            t.lower() for t in allowed_tenants
        }:
            raise SignInFailed("tenant", 403)
        return claims
