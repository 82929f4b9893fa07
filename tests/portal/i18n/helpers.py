"""Constants and the populated portal's shape, used by the translation tests and their fixtures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from panda_portal.organizations.models import Invitation, Membership

LANGUAGES = ("nl", "fr")
INVITATION_TOKEN = "uitnodiging-voor-een-nieuw-lid"
# 14 July 2026, 22:30 UTC: already the 15th in Brussels (UTC+2 in summer).
REQUESTED_AT = dt.datetime(2026, 7, 14, 22, 30, tzinfo=dt.UTC)


@dataclass
class World:
    language: str
    admin: Any
    member: Any
    requester: Any
    organization: Any
    other_organization: Any
    membership: Membership
    request: Membership
    unregistered: Any
    invitation: Invitation

    @property
    def org_id(self) -> str:
        return str(self.organization.id)
