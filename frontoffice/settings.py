"""Configuration: environment variables read once into one typed object.

Every variable is documented in the README's configuration table; a test keeps
that table and ``ENVIRONMENT`` in step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from knowledge.loader import DEFAULT_DIR
from servicedesk.errors import ConfigurationError

# name -> (default shown in the README, meaning)
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "FRONTOFFICE_HOST": ("127.0.0.1", "Address `serve` listens on."),
    "FRONTOFFICE_PORT": ("3978", "Port `serve` listens on."),
    "FRONTOFFICE_INSECURE_NO_AUTH": (
        "false",
        "`true` lets local mode (no `MicrosoftAppId`) listen beyond loopback, unauthenticated, "
        "with a WARNING at every start (as `serve --insecure-no-auth`); see docs/SECURITY.md.",
    ),
    "FRONTOFFICE_DB_URL": (
        "sqlite:///var/frontoffice.db",
        "Database: `sqlite:///path` (embedded) or `postgresql://user@host/db`.",
    ),
    "FRONTOFFICE_KNOWLEDGE_DIR": (
        "(the shipped `knowledge/default`)",
        "Folder with the knowledge files (catalogue, FAQ, queues, SLA).",
    ),
    "FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS": (
        "2",
        "How often the knowledge folder is checked for edits (0 turns hot reload off).",
    ),
    "FRONTOFFICE_ALLOWED_TENANTS": (
        "(empty: any)",
        "Comma-separated Entra tenant ids whose activities are accepted; others get 403.",
    ),
    "FRONTOFFICE_MAX_BODY_BYTES": ("262144", "Largest request body accepted (413 above)."),
    "FRONTOFFICE_DOWNLOAD_HOSTS": (
        "*.sharepoint.com",
        "Comma-separated hosts the bot may download an attached file (a CSV of visitors) from; "
        "`*.` matches any subdomain. Always https, no IP addresses, no redirects elsewhere.",
    ),
    "FRONTOFFICE_DEFAULT_LANGUAGE": (
        "nl",
        "Language when neither the text nor Teams tells (nl/en).",
    ),
    "FRONTOFFICE_DIALOG_TIMEOUT_MINUTES": (
        "60",
        "An unfinished conversation (an intake halfway) expires after this many quiet minutes.",
    ),
    "FRONTOFFICE_LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR."),
    "FRONTOFFICE_LOG_FORMAT": ("json", "`json` (one object per line) or `text`."),
    "FRONTOFFICE_API_TOKEN": (
        "(empty: API closed)",
        "Bearer token for the ticket API `/api/v1/tickets` (phone, counter, integrations).",
    ),
    "FRONTOFFICE_ADMINS": (
        "(empty: none)",
        "Comma-separated Entra object ids or e-mail addresses of front-office admins: they may "
        "link any queue's channel and act on every queue's cards.",
    ),
    "FRONTOFFICE_CONSOLE_SECRET": (
        "(empty: random per start in local mode)",
        "Key that signs the desk console's session cookies (`/desk/`); required in production. "
        "Set it when several processes serve the console, so that they accept each other's cookies.",
    ),
    "FRONTOFFICE_DESK_STAFF": (
        "(empty: none)",
        "Comma-separated Entra object ids or e-mail addresses of phone and counter staff: they "
        "use the desk console's search and ticket form.",
    ),
    "FRONTOFFICE_DESK_GROUPS": (
        "(empty: none)",
        "Comma-separated Entra group object ids whose members are desk staff (the id token's "
        "`groups` claim; configure the app registration to emit it).",
    ),
    "FRONTOFFICE_CONSOLE_CLIENT_ID": (
        "(`MicrosoftAppId`)",
        "Entra app (client) id for the console's sign-in (OpenID Connect, code flow with PKCE).",
    ),
    "FRONTOFFICE_CONSOLE_CLIENT_SECRET": (
        "(`MicrosoftAppPassword`)",
        "Client secret for the console's sign-in.",
    ),
    "FRONTOFFICE_CONSOLE_AUTHORITY": (
        "https://login.microsoftonline.com/organizations/v2.0",
        "OpenID Connect issuer base for the console's sign-in (its "
        "`/.well-known/openid-configuration` is read); a single-tenant app puts its tenant id "
        "in place of `organizations`.",
    ),
    "FRONTOFFICE_CONSOLE_URL": (
        "(empty: from the request)",
        "Public base URL of the app (e.g. `https://frontoffice.example.org`) for the sign-in's "
        "redirect URI `<url>/desk/auth/callback`.",
    ),
    "FRONTOFFICE_OUTBOX_SECONDS": ("1", "How often due deliveries to back offices are sent."),
    "FRONTOFFICE_OUTBOX_RETRY_SECONDS": (
        "2",
        "First wait before a failed delivery is retried; doubles each time (jittered, at most 15 min).",
    ),
    "FRONTOFFICE_OUTBOX_MAX_ATTEMPTS": (
        "20",
        "Delivery attempts before a job is marked `failed` for an admin to see.",
    ),
    "FRONTOFFICE_OUTBOX_LEASE_SECONDS": (
        "120",
        "How long a claimed delivery is reserved for one process; after a crash it is taken up "
        "again once this has passed (also when an unfinished channel-card post counts as stale).",
    ),
    "FRONTOFFICE_POLL_SECONDS": ("60", "How often TOPdesk is polled for status changes."),
    "FRONTOFFICE_NOTIFY_SECONDS": (
        "2",
        "How often the notification schedule is checked (exact due times wake it too; 0 turns "
        "notifications off).",
    ),
    "FRONTOFFICE_FOLLOWUP_DELAY": (
        "8bh",
        "Wait after a ticket is resolved before the follow-up (satisfaction) is sent: `8bh` "
        "business hours, `1bd` business days, `4h`, `30m`, or `45s` (seconds, for tests).",
    ),
    "FRONTOFFICE_FOLLOWUP_CLOSE_DAYS": (
        "5",
        "A resolved ticket whose requester does not answer the follow-up is closed after this many days.",
    ),
    "FRONTOFFICE_AT_RISK_SHARE": (
        "0.75",
        "Share of the resolution time used up (on the SLA clock) at which the requester gets an "
        "automatic delay notice, when the back office reported none.",
    ),
    "FRONTOFFICE_NOTIFY_RATE": (
        "40",
        "Proactive messages per second per tenant (Teams allows about 50); 0 means unthrottled.",
    ),
    "FRONTOFFICE_NOTIFY_MAX_ATTEMPTS": (
        "12",
        "Send attempts (on 429, 412, 5xx, timeouts) before a notification is marked `failed`.",
    ),
    "FRONTOFFICE_NOTIFY_RETRY_SECONDS": (
        "2",
        "First wait before a failed send is retried; doubles each time (jittered, at most 15 min; "
        "a longer Retry-After wins).",
    ),
    "FRONTOFFICE_NOTIFY_LEASE_SECONDS": (
        "60",
        "How long a claimed notification is reserved for one process; after a crash it is taken "
        "up again once this has passed.",
    ),
    "FRONTOFFICE_WORKERS": (
        "1",
        "`serve` processes sharing one port (SO_REUSEPORT); more than 1 needs PostgreSQL.",
    ),
    "FRONTOFFICE_NOTIFY_BURST": (
        "10",
        "Proactive messages a tenant may get at once above `FRONTOFFICE_NOTIFY_RATE` (the "
        "budget is kept in the database and shared by every process).",
    ),
    "FRONTOFFICE_INSIGHT_FLUSH_SECONDS": (
        "1",
        "How often the question and FAQ-vote records (insight) are written, in one batch, after "
        "the replies; also written at a clean stop. A crash loses at most this last batch of "
        "insight records, never a ticket or dialog state. 0: written during each turn.",
    ),
    "FRONTOFFICE_MIGRATE_ON_START": (
        "true",
        "`serve` upgrades the database schema before it listens.",
    ),
    "FRONTOFFICE_RETENTION_DAYS": (
        "365",
        "Days after which a finished ticket is anonymised (requester, free text, trail notes) "
        "and question texts are emptied; figures stay. `frontoffice purge --dry-run` shows "
        "what would go.",
    ),
    "MicrosoftAppType": (
        "MultiTenant",
        "Bot identity type: MultiTenant, SingleTenant or UserAssignedMSI.",
    ),
    "MicrosoftAppId": (
        "(empty: local mode)",
        "Azure Bot app id. Empty: no authentication (Playground, Emulator).",
    ),
    "MicrosoftAppPassword": ("(empty)", "Client secret of the app registration."),
    "MicrosoftAppTenantId": ("(empty)", "Tenant of the app registration (SingleTenant)."),
    "FRONTOFFICE_MANIFEST_BOT_ID": (
        "`MicrosoftAppId`",
        "`manifest build`: the bot's app id (GUID); flags and the other "
        "`FRONTOFFICE_MANIFEST_*` variables: manifest/README.md.",
    ),
    "FRONTOFFICE_MANIFEST_APP_ID": ("the bot id", "`manifest build`: the Teams app id (GUID)."),
    "FRONTOFFICE_MANIFEST_VERSION": ("the package version", "`manifest build`: app version X.Y.Z."),
    "FRONTOFFICE_MANIFEST_OUT": ("build/app.zip", "`manifest build`: where the package goes."),
    "FRONTOFFICE_MANIFEST_DEVELOPER_NAME": (
        "Facilitair Bedrijf",
        "`manifest build`: developer name.",
    ),
    "FRONTOFFICE_MANIFEST_WEBSITE_URL": (
        "https://frontoffice.example.org/",
        "`manifest build`: developer website.",
    ),
    "FRONTOFFICE_MANIFEST_PRIVACY_URL": (
        "https://frontoffice.example.org/privacy",
        "`manifest build`: privacy statement.",
    ),
    "FRONTOFFICE_MANIFEST_TERMS_URL": (
        "https://frontoffice.example.org/terms",
        "`manifest build`: terms of use.",
    ),
    "FRONTOFFICE_MANIFEST_VALID_DOMAINS": (
        "the website's host",
        "`manifest build`: comma-separated `validDomains`.",
    ),
    "FRONTOFFICE_MANIFEST_ACCENT_COLOR": ("#1E6F5C", "`manifest build`: accent colour."),
    "FRONTOFFICE_MANIFEST_TEMPLATE_DIR": ("`manifest/`", "`manifest build`: template folder."),
    "FRONTOFFICE_OPENID_METADATA_URL": (
        "(Bot Framework's)",
        "Override the OpenID metadata URL used to validate channel tokens (tests, sovereign clouds).",
    ),
}


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def _int(value: str, name: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from exc
    if number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}")
    return number


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    db_url: str = "sqlite:///var/frontoffice.db"
    knowledge_dir: Path = DEFAULT_DIR
    knowledge_reload_seconds: float = 2.0
    allowed_tenants: frozenset[str] = field(default_factory=frozenset)
    max_body_bytes: int = 256 * 1024
    download_hosts: tuple[str, ...] = ("*.sharepoint.com",)
    insecure_no_auth: bool = False  # local mode beyond loopback, explicitly
    default_language: str = "nl"
    dialog_timeout_minutes: int = 60
    log_level: str = "INFO"
    log_format: str = "json"
    migrate_on_start: bool = True
    workers: int = 1
    notify_burst: int = 10
    api_token: str = ""
    admins: frozenset[str] = field(default_factory=frozenset)  # Entra ids / e-mails, lower case
    console_secret: str = ""
    desk_staff: frozenset[str] = field(default_factory=frozenset)  # ids / e-mails, lower case
    desk_groups: frozenset[str] = field(default_factory=frozenset)
    console_client_id: str = ""  # empty: app_id
    console_client_secret: str = ""  # empty: app_password
    console_authority: str = "https://login.microsoftonline.com/organizations/v2.0"
    console_url: str = ""
    outbox_seconds: float = 1.0
    outbox_max_attempts: int = 20
    outbox_retry_seconds: float = 2.0
    outbox_lease_seconds: float = 120.0
    poll_seconds: float = 60.0
    notify_seconds: float = 2.0
    followup_delay: str = "8bh"
    followup_close_days: float = 5.0
    at_risk_share: float = 0.75
    notify_rate: float = 40.0
    notify_max_attempts: int = 12
    notify_retry_seconds: float = 2.0
    notify_lease_seconds: float = 60.0
    insight_flush_seconds: float = 1.0  # question/vote records batched; 0: written per turn
    retention_days: int = 365  # finished tickets are anonymised after this
    app_type: str = "MultiTenant"
    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    openid_metadata_url: str = ""

    @property
    def production(self) -> bool:
        """Production mode validates every incoming token; local mode (no app id) does not."""
        return bool(self.app_id)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        kwargs: dict[str, object] = {}
        if (v := get("FRONTOFFICE_HOST")) is not None:
            kwargs["host"] = v
        if (v := get("FRONTOFFICE_PORT")) is not None:
            kwargs["port"] = _int(v, "FRONTOFFICE_PORT", 1)
        if (v := get("FRONTOFFICE_DB_URL")) is not None:
            kwargs["db_url"] = v
        if (v := get("FRONTOFFICE_KNOWLEDGE_DIR")) is not None:
            kwargs["knowledge_dir"] = Path(v)
        if (v := get("FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS")) is not None:
            try:
                kwargs["knowledge_reload_seconds"] = float(v)
            except ValueError as exc:
                raise ConfigurationError(
                    f"FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS must be a number, not {v!r}"
                ) from exc
        if (v := get("FRONTOFFICE_ALLOWED_TENANTS")) is not None:
            kwargs["allowed_tenants"] = frozenset(t.strip() for t in v.split(",") if t.strip())
        if (v := get("FRONTOFFICE_MAX_BODY_BYTES")) is not None:
            kwargs["max_body_bytes"] = _int(v, "FRONTOFFICE_MAX_BODY_BYTES", 1024)
        if (v := get("FRONTOFFICE_DOWNLOAD_HOSTS")) is not None:
            kwargs["download_hosts"] = tuple(
                h.strip().lower() for h in v.split(",") if h.strip()
            )
        if (v := get("FRONTOFFICE_INSECURE_NO_AUTH")) is not None:
            kwargs["insecure_no_auth"] = _bool(v, "FRONTOFFICE_INSECURE_NO_AUTH")
        if (v := get("FRONTOFFICE_DEFAULT_LANGUAGE")) is not None:
            if v not in ("nl", "en"):
                raise ConfigurationError("FRONTOFFICE_DEFAULT_LANGUAGE must be nl or en")
            kwargs["default_language"] = v
        if (v := get("FRONTOFFICE_DIALOG_TIMEOUT_MINUTES")) is not None:
            kwargs["dialog_timeout_minutes"] = _int(v, "FRONTOFFICE_DIALOG_TIMEOUT_MINUTES", 1)
        if (v := get("FRONTOFFICE_LOG_LEVEL")) is not None:
            if v.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
                raise ConfigurationError(
                    "FRONTOFFICE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR"
                )
            kwargs["log_level"] = v.upper()
        if (v := get("FRONTOFFICE_LOG_FORMAT")) is not None:
            if v not in ("json", "text"):
                raise ConfigurationError("FRONTOFFICE_LOG_FORMAT must be json or text")
            kwargs["log_format"] = v
        if (v := get("FRONTOFFICE_API_TOKEN")) is not None:
            kwargs["api_token"] = v
        if (v := get("FRONTOFFICE_ADMINS")) is not None:
            kwargs["admins"] = frozenset(a.strip().lower() for a in v.split(",") if a.strip())
        for name, attribute in (
            ("FRONTOFFICE_DESK_STAFF", "desk_staff"),
            ("FRONTOFFICE_DESK_GROUPS", "desk_groups"),
        ):
            if (v := get(name)) is not None:
                kwargs[attribute] = frozenset(a.strip().lower() for a in v.split(",") if a.strip())
        for name, attribute in (
            ("FRONTOFFICE_CONSOLE_SECRET", "console_secret"),
            ("FRONTOFFICE_CONSOLE_CLIENT_ID", "console_client_id"),
            ("FRONTOFFICE_CONSOLE_CLIENT_SECRET", "console_client_secret"),
            ("FRONTOFFICE_CONSOLE_AUTHORITY", "console_authority"),
        ):
            if (v := get(name)) is not None:
                kwargs[attribute] = v
        if (v := get("FRONTOFFICE_CONSOLE_URL")) is not None:
            if not re.fullmatch(r"https?://[^/\s]+(/[^\s]*)?", v):
                raise ConfigurationError(f"FRONTOFFICE_CONSOLE_URL must be an http(s) URL, not {v!r}")
            kwargs["console_url"] = v.rstrip("/")
        for name, attribute in (
            ("FRONTOFFICE_OUTBOX_SECONDS", "outbox_seconds"),
            ("FRONTOFFICE_OUTBOX_LEASE_SECONDS", "outbox_lease_seconds"),
            ("FRONTOFFICE_POLL_SECONDS", "poll_seconds"),
        ):
            if (v := get(name)) is not None:
                try:
                    kwargs[attribute] = float(v)
                except ValueError as exc:
                    raise ConfigurationError(f"{name} must be a number, not {v!r}") from exc
        for name, attribute in (
            ("FRONTOFFICE_NOTIFY_SECONDS", "notify_seconds"),
            ("FRONTOFFICE_FOLLOWUP_CLOSE_DAYS", "followup_close_days"),
            ("FRONTOFFICE_AT_RISK_SHARE", "at_risk_share"),
            ("FRONTOFFICE_NOTIFY_RATE", "notify_rate"),
            ("FRONTOFFICE_NOTIFY_RETRY_SECONDS", "notify_retry_seconds"),
            ("FRONTOFFICE_NOTIFY_LEASE_SECONDS", "notify_lease_seconds"),
            ("FRONTOFFICE_INSIGHT_FLUSH_SECONDS", "insight_flush_seconds"),
        ):
            if (v := get(name)) is not None:
                try:
                    number = float(v)
                except ValueError as exc:
                    raise ConfigurationError(f"{name} must be a number, not {v!r}") from exc
                if number < 0 or (attribute == "at_risk_share" and not 0 < number <= 1):
                    raise ConfigurationError(f"{name} is out of range: {v!r}")
                kwargs[attribute] = number
        if (v := get("FRONTOFFICE_FOLLOWUP_DELAY")) is not None:
            if not re.fullmatch(r"[0-9]+(s|m|h|bh|bd)", v.strip()):
                raise ConfigurationError(
                    f"FRONTOFFICE_FOLLOWUP_DELAY must look like 8bh, 1bd, 4h, 30m or 45s, not {v!r}"
                )
            kwargs["followup_delay"] = v.strip()
        if (v := get("FRONTOFFICE_NOTIFY_MAX_ATTEMPTS")) is not None:
            kwargs["notify_max_attempts"] = _int(v, "FRONTOFFICE_NOTIFY_MAX_ATTEMPTS", 1)
        if (v := get("FRONTOFFICE_OUTBOX_MAX_ATTEMPTS")) is not None:
            kwargs["outbox_max_attempts"] = _int(v, "FRONTOFFICE_OUTBOX_MAX_ATTEMPTS", 1)
        if (v := get("FRONTOFFICE_RETENTION_DAYS")) is not None:
            kwargs["retention_days"] = _int(v, "FRONTOFFICE_RETENTION_DAYS", 1)
        if (v := get("FRONTOFFICE_WORKERS")) is not None:
            kwargs["workers"] = _int(v, "FRONTOFFICE_WORKERS", 1)
        if (v := get("FRONTOFFICE_NOTIFY_BURST")) is not None:
            kwargs["notify_burst"] = _int(v, "FRONTOFFICE_NOTIFY_BURST", 1)
        if (v := get("FRONTOFFICE_MIGRATE_ON_START")) is not None:
            kwargs["migrate_on_start"] = _bool(v, "FRONTOFFICE_MIGRATE_ON_START")
        for name, attribute in (
            ("MicrosoftAppType", "app_type"),
            ("MicrosoftAppId", "app_id"),
            ("MicrosoftAppPassword", "app_password"),
            ("MicrosoftAppTenantId", "app_tenant_id"),
            ("FRONTOFFICE_OPENID_METADATA_URL", "openid_metadata_url"),
        ):
            if (v := get(name)) is not None:
                kwargs[attribute] = v
        return cls(**kwargs)  # type: ignore[arg-type]
