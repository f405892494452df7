"""Engines, the schema and migrations.

The schema is declared once here (SQLAlchemy Core tables); Alembic migrations in
``servicedesk/migrations`` create and change it. ``migrate(url)`` brings a database
to the newest revision and is what ``frontoffice migrate`` and ``serve`` call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from servicedesk.errors import ConfigurationError, StoreError


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """The same moment in UTC; a naive value is taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment, stored in UTC and read back aware in UTC on every database.

    SQLite keeps no offset: without this, 10:00+01:00 would be stored as 10:00 and
    read back as 10:00 UTC, an hour late. A naive value is taken to be UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return as_utc(value)


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
    sa.Column("installed_at", UtcDateTime()),
    sa.Column("removed_at", UtcDateTime()),
    sa.Column("welcomed_at", UtcDateTime()),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
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
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("response_due", UtcDateTime(), nullable=False),
    sa.Column("resolve_due", UtcDateTime(), nullable=False),
    sa.Column("responded_at", UtcDateTime()),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("expected_at", UtcDateTime()),
    sa.Column("backoffice", sa.String(32), nullable=False, default="builtin"),
    sa.Column("external_id", sa.String(128)),
    sa.Column("external_number", sa.String(64)),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # what asked for the ticket, when it may ask twice (migration 0007): "chat:<conv>:<intake>"
    sa.Column("origin", sa.String(600)),
    sa.Index("ux_tickets_origin", "origin", unique=True),
)

ticket_events = sa.Table(
    "ticket_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
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
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("claimed_until", UtcDateTime()),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime()),
    sa.Column("event_seq", sa.Integer),  # for "push" jobs: which event goes to the back office
)

applied_updates = sa.Table(
    "applied_updates",
    metadata,
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("applied_at", UtcDateTime(), nullable=False),
)

dialogs = sa.Table(
    "dialogs",
    metadata,
    sa.Column("conversation_id", sa.String(512), primary_key=True),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

ticket_followers = sa.Table(
    "ticket_followers",
    metadata,
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), primary_key=True),
    sa.Column("follower_id", sa.String(256), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("email", sa.String(256), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("added_at", UtcDateTime(), nullable=False),
)

# A back-office team's Teams channel, linked to its queue with "koppel <queue>".
queue_channels = sa.Table(
    "queue_channels",
    metadata,
    sa.Column("queue", sa.String(64), primary_key=True),
    sa.Column("conversation_id", sa.String(512), nullable=False),
    sa.Column("linked_by", sa.String(256), nullable=False),
    sa.Column("linked_at", UtcDateTime(), nullable=False),
)

# Every card posted about a ticket that may be updated later (Teams activity id).
card_messages = sa.Table(
    "card_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("conversation_id", sa.String(512), nullable=False),
    sa.Column("activity_id", sa.String(256)),  # empty: an intent (0007), outcome not known yet
    sa.Column("posted_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("intent_key", sa.String(64)),
    sa.Column("intended_at", UtcDateTime()),
    sa.Column("reposts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.UniqueConstraint("ticket_id", "conversation_id"),
)

# Notifications (migration 0005): the durable schedule of messages to requesters,
# followers, queue channels and leads. A row is claimed before it is sent; see
# servicedesk/notifications.py for the states.
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
    sa.Column("recipient", sa.String(300), nullable=False),
    sa.Column("language", sa.String(8), nullable=False, default="nl"),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("idempotency_key", sa.String(400), nullable=False, unique=True),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("claimed_until", UtcDateTime()),
    sa.Column("claimed_by", sa.String(64)),  # the claim's token: only its holder settles it
    sa.Column("last_error", sa.Text),
    sa.Column("conversation_id", sa.String(512)),
    sa.Column("activity_id", sa.String(256)),
    sa.Column("event_seq", sa.Integer),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime()),
    sa.Index("ix_notifications_state_due", "state", "due_at"),
)

# People the bot cannot write to in a chat: no personal conversation stored (a phone
# ticket for someone who never chatted), the bot blocked (403) or removed.
unreachable_recipients = sa.Table(
    "unreachable_recipients",
    metadata,
    sa.Column("recipient_id", sa.String(256), primary_key=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("since", UtcDateTime(), nullable=False),
    sa.Column("last_seen", UtcDateTime(), nullable=False),
)

# How far the notification planner has read the ticket trail (ticket_events.id).
notification_cursor = sa.Table(
    "notification_cursor",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)

# Insight (migration 0006): every matched question with its decision and score, the
# text only where admins need it (none / choose); FAQ votes, the text only when unhelpful.
questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("product_id", sa.String(128)),
    sa.Column("faq_id", sa.String(128)),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("text", sa.Text),
)

faq_votes = sa.Table(
    "faq_votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("product_id", sa.String(128), nullable=False),
    sa.Column("faq_id", sa.String(128), nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("text", sa.Text),
)

# The weekly summary card: one row per ISO week ("2026-W48"), claimed before sending.
insight_reports = sa.Table(
    "insight_reports",
    metadata,
    sa.Column("week", sa.String(10), primary_key=True),
    sa.Column("claimed_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime()),
)

# The notification send budget (migration 0007): a token bucket per tenant ("t:<id>") and
# per conversation ("c:<id>"), shared by every process; see persistence/send_budget.py.
send_budget = sa.Table(
    "send_budget",
    metadata,
    sa.Column("key", sa.String(600), primary_key=True),
    sa.Column("tat", sa.Double, nullable=False),
    sa.Column("lead", sa.Double, nullable=False),
)

# Knowledge edits made on the desk console (migration 0009): who added which phrasing or
# FAQ question to which product file, and when. Text and actor go in the retention purge.
knowledge_edits = sa.Table(
    "knowledge_edits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("actor_id", sa.String(256), nullable=False),
    sa.Column("actor_name", sa.String(256), nullable=False),
    sa.Column("file", sa.String(512), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # phrasing | faq_question | faq_new
    sa.Column("product", sa.String(128), nullable=False),
    sa.Column("text", sa.Text),
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


CONNECT_TIMEOUT_SECONDS = 5


def create_engine(url: str) -> Engine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        kwargs["pool_pre_ping"] = True  # a connection the server dropped is replaced, not used
        if "connect_timeout" not in url:  # an unreachable host fails a request in bounded time
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
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
