"""People and organizations for the load test, in Panda's database of `make cluster`.

    (set -a; . instance/cluster/panda.env; set +a; .venv/bin/python bench/load/seed.py)

Adds (once; running it again adds nothing): clients "Load client N", accountants who are members of
five clients each with the Support Community access, administrators of those clients with pending
requests to join them (for the administrators to approve), and support agents. Every account has
the password in ``PASSWORD``. Writes ``load-people.json`` into the cluster's folder (INSTANCE_PATH),
which the locustfile reads.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

PASSWORD = "load-test-password-long-enough"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--accountants", type=int, default=200)
    parser.add_argument("--administrators", type=int, default=20)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000, help="pending requests to join, to approve")
    args = parser.parse_args()

    from sqlalchemy import select

    from panda_portal import create_app
    from panda_portal.accounts.models import Account
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import (
        ApplicationGrant,
        Membership,
        MembershipStatus,
        Organization,
        Role,
    )
    from panda_portal.organizations.services.customer_register import enterprise_number_with_check_digits
    from shared.database import utcnow

    app = create_app()
    out = Path(os.environ.get("INSTANCE_PATH", "instance")) / "load-people.json"
    with app.app_context():
        if db.session.scalar(select(Account.id).where(Account.email == "accountant-0@load.example")):
            print(f"already seeded; see {out}")
            return
        ensure_applications()
        # One hash for everyone: hashing thousands of passwords one by one would take minutes.
        first = create_account("accountant-0@load.example", "Accountant 0", PASSWORD, "en", verified=True)
        password_hash = first.password_hash

        def account(email: str, name: str, *, agent: bool = False) -> Account:
            if email == first.email:
                return first
            row = Account(email=email, name=name, language="en", password_hash=password_hash)
            row.email_verified_at = utcnow()
            row.is_support_agent = agent
            db.session.add(row)
            return row

        clients = []
        for n in range(args.clients):
            org = Organization(
                customer_number=f"9{n:05d}",
                enterprise_number=enterprise_number_with_check_digits(f"0{9000000 + n:07d}"),
                name=f"Load client {n}",
            )
            db.session.add(org)
            clients.append(org)
        db.session.flush()
        now = utcnow()

        def member(person: Account, org: Organization, role: Role, status: MembershipStatus) -> Membership:
            row = Membership(
                organization_id=org.id,
                account_id=person.id,
                role=role,
                status=status,
                active_since=now if status == MembershipStatus.ACTIVE else None,
                requested_at=now if status == MembershipStatus.PENDING else None,
            )
            if status == MembershipStatus.ACTIVE:
                row.grants = [ApplicationGrant(application_key="support_community")]
            db.session.add(row)
            return row

        administrators = []
        for n in range(args.administrators):
            person = account(f"admin-{n}@load.example", f"Administrator {n}")
            db.session.flush()
            administrators.append({"email": person.email, "orgs": []})
            for org in clients[n :: args.administrators]:
                member(person, org, Role.ADMIN, MembershipStatus.ACTIVE)
                administrators[-1]["orgs"].append(str(org.id))
        accountants = []
        for n in range(args.accountants):
            person = account(f"accountant-{n}@load.example", f"Accountant {n}")
            db.session.flush()
            for k in range(5):
                member(person, clients[(n + k * 7) % len(clients)], Role.MEMBER, MembershipStatus.ACTIVE)
            accountants.append(person.email)
        agents = []
        for n in range(args.agents):
            agents.append(account(f"agent-{n}@load.example", f"Agent {n}", agent=True).email)
        db.session.flush()
        # Requests to join: each from a requester of its own, spread over the clients.
        pending: dict[str, list[str]] = {}
        for n in range(args.requests):
            person = account(f"requester-{n}@load.example", f"Requester {n}")
            db.session.flush()
            org = clients[n % len(clients)]
            row = member(person, org, Role.MEMBER, MembershipStatus.PENDING)
            db.session.flush()
            pending.setdefault(str(org.id), []).append(str(row.id))
        db.session.commit()
    people = {
        "password": PASSWORD,
        "accountants": accountants,
        "administrators": administrators,
        "agents": agents,
        "pending": pending,
    }
    out.write_text(json.dumps(people))
    print(
        f"seeded {len(accountants)} accountants, {len(administrators)} administrators, {len(agents)} agents, "
        f"{args.requests} requests to join; written to {out}"
    )


if __name__ == "__main__":
    main()
