"""What the community's translation tests share: the languages, Dutch and French clients, the busy case.

Every name and text in the data is Dutch or French, so English on a page can
only come from the code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from support_community.cases.models import Attachment, Case, Person
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.auth.fake_op import PandaUser, org

LANGUAGES = ("nl", "fr")
OTHER = {"nl": "fr", "fr": "nl", "en": "nl"}

PEETERS = org(
    "Bakkerij Peeters BV",
    enterprise_number="0403.170.701",
    customer_number="100234",
    id="7b2f1c3d-2222-4d4d-9e9e-000000000001",
)
DUPONT = org(
    "Boulangerie Dupont SRL",
    enterprise_number="0202.239.951",
    customer_number="100235",
    role="admin",
    id="7b2f1c3d-2222-4d4d-9e9e-000000000002",
)
DE_SMEDT = org(
    "Brouwerij De Smedt NV",
    enterprise_number="0417.497.106",
    customer_number="100236",
    id="7b2f1c3d-2222-4d4d-9e9e-000000000003",
)
# 14 July 2026, 22:30 UTC: already the 15th in Brussels (UTC+2 in summer).
OPENED_AT = dt.datetime(2026, 7, 14, 22, 30, tzinfo=dt.UTC)

# English that does not come from the community's catalog but could still reach a page:
# WTForms' own messages, Werkzeug's error pages, Flask-WTF's CSRF errors.
FOREIGN_ENGLISH = (
    "This field is required",
    "Field cannot be longer than",
    "Not a valid choice",
    "The requested URL was not found",
    "You don't have the permission",
    "The CSRF token",
    "The server could not verify",
    "Method Not Allowed",
    "Internal Server Error",
)


def deliver(app) -> None:
    """Commit, then send what the outbox holds."""
    db.session.commit()
    outbox.deliver_due(app)


@dataclass
class World:
    language: str
    customer: PandaUser  # Griet, an accountant: Bakkerij Peeters BV, Boulangerie Dupont SRL, De Smedt
    agent: PandaUser  # Sam, a support agent
    customer_person: Person
    agent_person: Person
    case: Case  # a whole conversation: replies, a note, files, status and severity changes
    solved: Case  # solved last week: may be reopened
    closed: Case  # closed long ago: too late to reopen
    public_file: Attachment
    internal_file: Attachment

    def case_url(self, case: Case | None = None) -> str:
        case = case or self.case
        return f"/orgs/{case.organization_id}/cases/{case.id}"

    def agent_case_url(self, case: Case | None = None) -> str:
        return f"/agent/cases/{(case or self.case).id}"
