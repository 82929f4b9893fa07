"""What the knowledge base's views work with: who reads (their audience), and who acts."""

from __future__ import annotations

from support_community.auth.session import current_user
from support_community.cases.models import Person
from support_community.cases.services.people import person_for
from support_community.kb.permissions import Audience, audience
from support_community.permissions import has_capability


def reader_audience() -> Audience:
    user = current_user()
    return audience(signed_in=user is not None, reads_internal=has_capability(user, "kb.read_internal"))


def person_or_none() -> Person | None:
    """The signed-in person's row (refreshed from the token), or None for a visitor."""
    user = current_user()
    return person_for(user) if user is not None else None
