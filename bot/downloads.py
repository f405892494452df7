"""Downloading a file an employee attached (a CSV of visitors), safely.

The URL comes from the activity, so whoever can post an activity chooses it. Without
care the server could be made to request internal addresses (SSRF). A download is done
only when every check holds:

- https, on the standard port, without user info in the URL;
- the host is a name (never an IP literal) on the allow-list ``FRONTOFFICE_DOWNLOAD_HOSTS``
  (default ``*.sharepoint.com``: Teams hands a personal chat's file to a bot as
  ``application/vnd.microsoft.teams.file.download.info`` whose ``downloadUrl`` is a
  pre-authorised SharePoint/OneDrive URL, ``https://<tenant>[-my].sharepoint.com/...``);
- every address the name resolves to is a public one (no loopback, private, link-local,
  multicast or reserved address), checked at connect time so DNS cannot swap it;
- redirects are not followed automatically: each ``Location`` is checked like the first
  URL (at most ``max_redirects`` hops);
- at most ``max_bytes`` are read and the whole download ends after ``timeout_seconds``.

``refusal`` and ``is_public_address`` are pure, so the rules are tested without a network.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

log = logging.getLogger(__name__)

DEFAULT_HOSTS = ("*.sharepoint.com",)
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class DownloadPolicy:
    hosts: tuple[str, ...] = DEFAULT_HOSTS
    max_bytes: int = 1024 * 1024  # a CSV of visitors is far smaller
    timeout_seconds: float = 15.0
    max_redirects: int = 3
    # For tests against a local plain-HTTP server only; never read from the environment.
    allow_plain_http_and_local_addresses: bool = False


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """``files.sharepoint.com`` matches ``*.sharepoint.com``; ``sharepoint.com`` itself and
    ``evilsharepoint.com`` do not. Exact names match themselves. Case-insensitive."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.strip().lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif pattern and host == pattern:
            return True
    return False


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def refusal(url: str, policy: DownloadPolicy) -> str | None:
    """Why ``url`` may not be fetched, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "malformed URL"
    relaxed = policy.allow_plain_http_and_local_addresses
    if parts.scheme != "https" and not (relaxed and parts.scheme == "http"):
        return "not https"
    if parts.username is not None or parts.password is not None:
        return "user info in the URL"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no host"
    if _is_ip_literal(host):
        return "an IP address, not a host name"
    if port not in (None, 443) and not relaxed:
        return "not the standard https port"
    if not host_allowed(host, policy.hosts):
        return "host not on FRONTOFFICE_DOWNLOAD_HOSTS"
    return None


def is_public_address(text: str) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped IPv6 unwrapped)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class PublicAddressResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, but refuses a name with any address that
    is not public (so a DNS answer cannot point the download at an internal server)."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results or not all(is_public_address(r["host"]) for r in results):
            raise OSError(f"{host} resolves to an address that is not public")
        return results

    async def close(self) -> None:
        await self._inner.close()


async def download(url: str, policy: DownloadPolicy) -> bytes | None:
    """The file's bytes, or None when it may not or could not be fetched (logged without
    the URL, which may name a person's OneDrive)."""
    if reason := refusal(url, policy):  # before any connection is set up
        log.warning("attachment download refused", extra={"reason": reason})
        return None
    relaxed = policy.allow_plain_http_and_local_addresses
    connector = aiohttp.TCPConnector(resolver=None if relaxed else PublicAddressResolver())
    timeout = aiohttp.ClientTimeout(total=policy.timeout_seconds)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for _ in range(policy.max_redirects + 1):
                if reason := refusal(url, policy):
                    log.warning("attachment download refused", extra={"reason": reason})
                    return None
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in REDIRECTS and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    if response.status != 200:
                        log.warning("attachment download failed", extra={"status": response.status})
                        return None
                    return await _read_capped(response, policy.max_bytes)
            log.warning("attachment download refused", extra={"reason": "too many redirects"})
            return None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("could not fetch an uploaded file", extra={"error": type(exc).__name__})
        return None


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    if (response.content_length or 0) > limit:
        log.warning("attachment download refused", extra={"reason": "too large"})
        return None
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            log.warning("attachment download refused", extra={"reason": "too large"})
            return None
    return bytes(data)
