"""Persistence: SQLAlchemy tables and repositories, the blob store, Alembic migrations."""
