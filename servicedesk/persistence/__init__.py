"""SQLAlchemy persistence for the core: SQLite embedded, PostgreSQL in production."""
