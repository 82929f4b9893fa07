"""A populated stack for looking at every page: the story's people some weeks in.

Panda's side is made with its services (quicker than clicking, and the same rows);
the cases are opened and answered through the pages, as people do.

- An Peeters administers Bakkerij Peeters; Jan Janssens (accountant) is a member with
  the "Support Community" access; Marie Dubois's request to join is pending; an
  invitation to a colleague is open.
- Marie Dubois administers Garage Dubois; Jan is a member without the access.
- Jan administers Brouwerij De Smedt and Bloemen Janssens, clients he added himself.
- Sam Support is a support agent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from tests.browser.harness import PASSWORD, BrowserStack, Crowd, Mailbox, Person
from tests.browser.steps import CUSTOMERS, open_case

AN = ("An Peeters", "an.peeters@example.be")
JAN = ("Jan Janssens", "jan.janssens@example.be")
MARIE = ("Marie Dubois", "marie.dubois@example.be")
SAM = ("Sam Support", "sam.support@example.be")
INVITED = "lena.peeters@example.be"

BAKERY, GARAGE, BREWERY, FLOWERS = "100234", "100235", "100236", "100238"
FREE_CUSTOMER = "100240"  # in the register, not in Panda: for the "add" confirmation page

CASES = (  # (organization, subject, description, severity)
    (
        BAKERY,
        "VAT return refused with code 17",
        "Since this morning the VAT return for the second quarter is refused with code 17.\n"
        "We tried twice, with the same result. The export is attached to this case.",
        "high",
    ),
    (
        BAKERY,
        "Bank statements no longer imported",
        "The CODA files from the bank have not been imported since Monday.",
        "normal",
    ),
    (BAKERY, "How do I add a second cash register?", "The shop opens a second till next month.", "low"),
    (BREWERY, "Invoices print without the logo", "The logo is missing on every printed sales invoice.", "normal"),
)
AGENT_REPLY = (
    "Thank you for the details. Could you send us the export of the declaration? "
    "We then check it against the new rules of the tax authority."
)
AGENT_NOTE = "Same as last week's quarter-end problem: the fix ships on Friday."
CUSTOMER_REPLY = "Here it is, see the attached export. Thank you for the quick answer!"


@dataclass
class Site:
    orgs: dict[str, str] = field(default_factory=dict)  # customer number → organization id
    jan_in_bakery: str = ""  # membership id
    jan_in_brewery: str = ""
    pending_request: str = ""  # Marie's request to join the bakery
    invitation_path: str = ""
    cases: list[str] = field(default_factory=list)  # case ids, in CASES order
    stack: BrowserStack | None = None
    people: dict[str, Person] = field(default_factory=dict)  # jan, an, sam, and a visitor (signed in nowhere)

    def org(self, customer_number: str) -> str:
        return self.orgs[customer_number]

    def path(self, path: str) -> str:
        """``path`` with its {placeholders} filled in (bakery, brewery, case, …)."""
        values = {
            "bakery": self.org(BAKERY),
            "garage": self.org(GARAGE),
            "brewery": self.org(BREWERY),
            "flowers": self.org(FLOWERS),
            "jan_in_bakery": self.jan_in_bakery,
            "jan_in_brewery": self.jan_in_brewery,
            "pending_request": self.pending_request,
            "invitation": self.invitation_path,
            "case": self.cases[0],
            "brewery_case": self.cases[-1],
            "nowhere": "00000000-0000-4000-8000-000000000000",
        }
        return path.format(**values)

    def url(self, service: str, path: str) -> str:
        assert self.stack is not None
        base = self.stack.panda_url if service == "panda" else self.stack.community_url
        return base + self.path(path)


def seed_panda(stack: BrowserStack, mailbox: Mailbox) -> Site:
    from sqlalchemy import select

    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db
    from panda_portal.organizations.models import Membership, Organization
    from panda_portal.organizations.services import invitations, joining, members

    site = Site()
    with stack.panda.test_request_context():
        accounts = {
            email: create_account(email, name, PASSWORD, "en", verified=True, support_agent=email == SAM[1])
            for name, email in (AN, JAN, MARIE, SAM)
        }
        an, jan, marie = accounts[AN[1]], accounts[JAN[1]], accounts[MARIE[1]]

        def create(customer: str, admin) -> None:
            site.orgs[customer] = str(
                joining.create_organization(customer, CUSTOMERS[customer], actor=admin).organization_id
            )

        def join(customer: str, person, admin, grants: list[str]):
            membership = joining.add_organization(customer, CUSTOMERS[customer], actor=person)
            organization = membership.organization
            joining.approve_request(organization, membership.id, actor=admin)
            if grants:
                members.update_membership(membership, role="member", application_keys=grants, actor=admin)
            return membership

        create(BAKERY, an)
        create(GARAGE, marie)
        create(BREWERY, jan)
        create(FLOWERS, jan)
        site.jan_in_bakery = str(join(BAKERY, jan, an, ["support_community"]).id)
        join(GARAGE, jan, marie, [])
        site.pending_request = str(joining.add_organization(BAKERY, CUSTOMERS[BAKERY], actor=marie).id)
        bakery = db.session.get(Organization, uuid.UUID(site.orgs[BAKERY]))
        invitations.invite(
            bakery, email=INVITED, role="member", application_keys=["support_community"], language="en", actor=an
        )
        site.jan_in_brewery = str(
            db.session.scalar(
                select(Membership.id).where(
                    Membership.account_id == jan.id, Membership.organization_id == uuid.UUID(site.orgs[BREWERY])
                )
            )
        )
        db.session.commit()
    link = mailbox.link(INVITED, "/invitations/")
    site.invitation_path = link[len(stack.panda_url) :]
    return site


def add_case(
    customer,
    *,
    org_id: str,
    subject: str,
    opened,
    severity=None,
    status=None,
    number: str | None = None,
    description: str | None = None,
):
    """A case of Bakkerij Peeters opened by ``customer`` (a community ``Person``) at ``opened``, with its
    description, written straight into the community's database (inside its app context; the caller commits)."""
    from support_community.cases.models import Case, CaseMessage, MessageKind, Severity, Status
    from support_community.extensions import db

    case = Case(
        id=uuid.uuid4(),
        number=number or f"CS-2026-{uuid.uuid4().int % 1_000_000:06d}",
        organization_id=uuid.UUID(org_id),
        organization_name="Bakkerij Peeters BV",
        product_key="accounting",
        severity=severity or Severity.NORMAL,
        status=status or Status.NEW,
        subject=subject,
        opened_by=customer,
        created_at=opened,
        last_activity_at=opened,
    )
    db.session.add(case)
    db.session.flush()
    body = description if description is not None else subject + "."
    db.session.add(
        CaseMessage(case_id=case.id, author=customer, kind=MessageKind.DESCRIPTION, body=body, created_at=opened)
    )
    return case


def seed_cases(site: Site, jan, sam) -> None:
    """Jan opens the cases in his clients' names; Sam takes the first, answers it and notes on it."""
    for customer, subject, description, severity in CASES:
        jan.community(f"/orgs/{site.org(customer)}/")
        site.cases.append(open_case(jan, site.org(customer), subject, description, severity))
    sam.community(f"/agent/cases/{site.cases[0]}")
    sam.submit("main form[action$='/assignee']:has(input[type=hidden][name=assignee])")  # "Assign to me"
    sam.page.select_option("#status", "in_progress")
    sam.submit("main form[action$='/status']")
    sam.page.fill("#body", AGENT_REPLY)
    sam.submit("main form[action$='/messages']")
    sam.page.fill("#note-body", AGENT_NOTE)
    sam.submit("main form[action$='/notes']")
    jan.community(f"/orgs/{site.org(BAKERY)}/cases/{site.cases[0]}")
    jan.page.fill("#body", CUSTOMER_REPLY)
    jan.submit("main form[action$='/reply']")


def populate(stack: BrowserStack, crowd: Crowd, mailbox: Mailbox) -> Site:
    site = seed_panda(stack, mailbox)
    site.stack = stack
    for key, (name, email) in {"jan": JAN, "an": AN, "sam": SAM}.items():
        person = site.people[key] = crowd(name, email)
        person.sign_in_to_panda()
        if key != "an":
            person.sign_in_to_community()
    site.people["visitor"] = crowd("", "")
    seed_cases(site, site.people["jan"], site.people["sam"])
    return site
