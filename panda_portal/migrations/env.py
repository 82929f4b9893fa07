"""Alembic environment: the engine and metadata come from the Flask app (see shared.migrations)."""

from shared.migrations import run_migrations

run_migrations()
