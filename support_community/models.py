"""Imports every model so the metadata is complete (Alembic, tests, create_all)."""
from support_community.auth.models import *  # noqa: F401,F403
from support_community.outbox.models import OutboxMessage  # noqa: F401
from support_community.cases.models import (Attachment, Case, CaseCounter, CaseEvent,  # noqa: F401
                                            CaseFollower, CaseMessage, Category, Person, Product)
from support_community.agents.models import QueuePreference  # noqa: F401
