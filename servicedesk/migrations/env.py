"""Alembic environment: runs migrations on the URL that ``migrate()`` configured.

On PostgreSQL the upgrade holds a session advisory lock, so processes that start at
the same time (several hosts, or workers started without ``serve --workers``) migrate
one after the other: the first upgrades, the others find the schema at head.
"""

import sqlalchemy as sa
from alembic import context

from servicedesk.persistence.database import create_engine, metadata

config = context.config
target_metadata = metadata
MIGRATION_LOCK = 0x66726F6E74  # "front": the advisory lock key of schema upgrades


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        locked = connection.dialect.name == "postgresql"
        if locked:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()  # a session lock: it outlives this transaction
        try:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
            if connection.in_transaction():
                connection.commit()
        finally:
            if locked:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                )
                connection.commit()
    engine.dispose()


run_migrations_online()
