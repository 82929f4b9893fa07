from __future__ import annotations

from shared.sessions import WebSessionMixin
from support_community.extensions import Base

__all__ = ["WebSession"]


class WebSession(WebSessionMixin, Base):
    """A browser's session at the community; ``subject`` is Panda's ``sub``, ``sid`` Panda's session."""

    __tablename__ = "web_sessions"
