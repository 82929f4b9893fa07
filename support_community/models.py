"""Imports every model so the metadata is complete (Alembic, tests, create_all)."""
from support_community.auth.models import *  # noqa: F401,F403
from support_community.outbox.models import OutboxMessage  # noqa: F401
