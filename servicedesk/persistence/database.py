"""Engines, the schema and migrations.

The schema is declared once here (SQLAlchemy Core tables); Alembic migrations in
``servicedesk/migrations`` create and change it. ``migrate(url)`` brings a database
to the newest revision and is what ``frontoffice migrate`` and ``serve`` call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from servicedesk.errors import ConfigurationError, StoreError

metadata = sa.MetaData()

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("conversation_id", sa.String(512), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("service_url", sa.String(512), nullable=False),
    sa.Column("channel_id", sa.String(32), nullable=False),
    sa.Column("bot_id", sa.String(256), nullable=False),
    sa.Column("tenant_id", sa.String(64)),
    sa.Column("user_id", sa.String(256)),
    sa.Column("team_id", sa.String(512)),
    sa.Column("teams_channel_id", sa.String(512)),
    sa.Column("locale", sa.String(16)),
    sa.Column("installed_at", sa.DateTime(timezone=True)),
    sa.Column("removed_at", sa.DateTime(timezone=True)),
    sa.Column("welcomed_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(32), nullable=False, unique=True),
    sa.Column("requester_id", sa.String(256), nullable=False, index=True),
    sa.Column("requester_name", sa.String(256), nullable=False, default=""),
    sa.Column("requester_email", sa.String(256), nullable=False, default=""),
    sa.Column("requester_language", sa.String(8), nullable=False, default="nl"),
    sa.Column("product_id", sa.String(128), nullable=False),
    sa.Column("queue", sa.String(64), nullable=False, index=True),
    sa.Column("kwis", sa.String(16), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("charge", sa.String(256)),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("assignee_id", sa.String(256)),
    sa.Column("assignee_name", sa.String(256)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("response_due", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolve_due", sa.DateTime(timezone=True), nullable=False),
    sa.Column("responded_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("expected_at", sa.DateTime(timezone=True)),
    sa.Column("backoffice", sa.String(32), nullable=False, default="builtin"),
    sa.Column("external_id", sa.String(128)),
    sa.Column("external_number", sa.String(64)),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ticket_events = sa.Table(
    "ticket_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_id", sa.String(256), nullable=False),
    sa.Column("actor_name", sa.String(256), nullable=False, default=""),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("data", sa.JSON, nullable=False),
    sa.UniqueConstraint("ticket_id", "seq"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True)),
    sa.Column("event_seq", sa.Integer),  # for "push" jobs: which event goes to the back office
)

applied_updates = sa.Table(
    "applied_updates",
    metadata,
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

dialogs = sa.Table(
    "dialogs",
    metadata,
    sa.Column("conversation_id", sa.String(512), primary_key=True),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ticket_followers = sa.Table(
    "ticket_followers",
    metadata,
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), primary_key=True),
    sa.Column("follower_id", sa.String(256), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("email", sa.String(256), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)

# A back-office team's Teams channel, linked to its queue with "koppel <queue>".
queue_channels = sa.Table(
    "queue_channels",
    metadata,
    sa.Column("queue", sa.String(64), primary_key=True),
    sa.Column("conversation_id", sa.String(512), nullable=False),
    sa.Column("linked_by", sa.String(256), nullable=False),
    sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
)

# Every card posted about a ticket that may be updated later (Teams activity id).
card_messages = sa.Table(
    "card_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("conversation_id", sa.String(512), nullable=False),
    sa.Column("activity_id", sa.String(256), nullable=False),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("ticket_id", "conversation_id"),
)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept the URLs people write and pick the drivers we ship.

    ``postgresql://`` and ``postgres://`` use psycopg 3; SQLite paths get their folder created.
    """
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str) -> Engine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

    return engine


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> str:
    """Upgrade the database at ``url`` to the newest revision; returns that revision."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _alembic_config(url)
    try:
        command.upgrade(config, "head")
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot migrate the database: {exc.orig}") from exc
    head = ScriptDirectory.from_config(config).get_current_head()
    return head or ""


def check_reachable(engine: Engine) -> None:
    """Raise ``StoreError`` unless the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"database unreachable: {type(exc).__name__}") from exc
