"""Bot Framework authentication, configured from our settings.

Local mode (no app id) accepts unauthenticated activities, as the Agents
Playground and the Emulator send them. Production mode validates every token.

The SDK's ``CloudAdapter`` builds a new connector client and a new user-token client
for every turn (each a msrest pipeline with a ``requests`` session, its retry policy and
credentials), even when the turn sends nothing through them; under load that was about a
third of the event loop's time. ``CachingAuthentication`` keeps one of each per app id,
scope and service URL, as the SDK's older ``BotFrameworkAdapter`` did with its connector
client cache; the credentials inside refresh their own tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth._built_in_bot_framework_authentication import (
    _BuiltinBotFrameworkAuthentication,
)

from frontoffice.settings import Settings


@dataclass
class _SdkConfiguration:
    """The attribute names botbuilder's configuration classes read."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None


MAX_CACHED_CLIENTS = 256  # service URLs are few (one per region); a bound all the same


class _CachedConnectors(ConnectorFactory):
    """The SDK's connector factory, answering from a shared cache of clients."""

    def __init__(self, inner: ConnectorFactory, cache: dict[tuple[Any, ...], Any]) -> None:
        self._inner = inner
        self._cache = cache
        # the SDK's factory is fully described by these; another kind is not cached
        names = (
            "_app_id",
            "_to_channel_from_bot_oauth_scope",
            "_login_endpoint",
            "_validate_authority",
        )
        self._key: tuple[Any, ...] | None = (
            tuple(getattr(inner, name) for name in names)
            if all(hasattr(inner, name) for name in names)
            else None
        )

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        if self._key is None:
            return await self._inner.create(service_url, audience)
        key = ("connector", *self._key, service_url, audience)
        client = self._cache.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            if len(self._cache) >= MAX_CACHED_CLIENTS:
                self._cache.clear()
            self._cache[key] = client
        return client


class CachingAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's authentication with connector and user-token clients reused across turns."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        self._clients: dict[tuple[Any, ...], Any] = {}

    async def authenticate_request(
        self, activity: Any, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _CachedConnectors(result.connector_factory, self._clients)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachedConnectors(super().create_connector_factory(claims_identity), self._clients)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = ("user-token", _BuiltinBotFrameworkAuthentication.get_app_id(claims_identity))
        client = self._clients.get(key)
        if client is None:
            client = await super().create_user_token_client(claims_identity)
            if len(self._clients) >= MAX_CACHED_CLIENTS:
                self._clients.clear()
            self._clients[key] = client
        return client


def build_authentication(settings: Settings) -> ConfigurationBotFrameworkAuthentication:
    config = _SdkConfiguration(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.openid_metadata_url:
        # Any parameterised value switches the SDK to its parameterised authentication,
        # which then needs all of them: fill in the public cloud's.
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = (
            AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        )
        config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        )
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
            AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
            + (settings.app_tenant_id or AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT)
        )
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = (
            AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        )
        config.OAUTH_URL = AuthenticationConstants.OAUTH_URL
    return CachingAuthentication(config)
