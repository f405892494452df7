"""Safe start: local mode (no ``MicrosoftAppId``) listens on loopback only.

Without an app id the bot validates no token, so anyone who can reach the port can post
activities as any employee. ``serve`` therefore refuses any other address unless the
operator says ``--insecure-no-auth`` (or ``FRONTOFFICE_INSECURE_NO_AUTH=true``), and
then it warns on every start.
"""

from __future__ import annotations

import ipaddress

from frontoffice.settings import Settings
from servicedesk.errors import ConfigurationError


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); false for every
    other name and for '' / 0.0.0.0 / :: (all interfaces)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a host name may resolve to anything
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def exposure_warning(settings: Settings) -> str | None:
    """The WARNING to log at start, or None when the start is safe.

    Raises ConfigurationError when local mode would listen beyond loopback and the
    operator did not opt in."""
    if settings.production or is_loopback(settings.host):
        return None
    shown = settings.host or "'' (all interfaces)"
    if not settings.insecure_no_auth:
        raise ConfigurationError(
            f"refusing to listen on {shown} without authentication: local mode (no "
            "MicrosoftAppId) accepts unsigned activities from anyone who can reach the port. "
            "Set MicrosoftAppId and MicrosoftAppPassword, or listen on 127.0.0.1 "
            "(--host 127.0.0.1), or pass --insecure-no-auth "
            "(FRONTOFFICE_INSECURE_NO_AUTH=true) if every network that reaches it is trusted."
        )
    return (
        f"INSECURE: local mode listening on {shown} with --insecure-no-auth: activities "
        "are not authenticated; anyone who reaches this port can act as any employee"
    )
