"""``panda demo`` loads a usable demo, twice without harm."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from panda_portal.accounts.models import Account
from panda_portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from panda_portal.oidc.claims import orgs_claim
from panda_portal.oidc.services import get_client
from panda_portal.organizations.models import Membership


def test_the_demo_loads_twice_and_tells_the_sign_ins(panda, panda_db):
    runner = panda.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = (
        panda_db.session.scalar(select(func.count()).select_from(Account)),
        panda_db.session.scalar(select(func.count()).select_from(Membership)),
    )
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert (
        panda_db.session.scalar(select(func.count()).select_from(Account)),
        panda_db.session.scalar(select(func.count()).select_from(Membership)),
    ) == counts
    for email, password, _ in DEMO_ACCOUNTS:
        assert email in second.output and password == DEMO_PASSWORD


def test_the_demo_accountant_sees_only_the_granted_client_in_the_community(panda, panda_db):
    assert panda.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    jan = panda_db.session.execute(select(Account).where(Account.email == "jan.janssens@example.be")).scalar_one()
    community = get_client("support-community")
    assert [org["name"] for org in orgs_claim(jan, community)] == ["Bakkerij Peeters BV"]


def test_the_demo_leaves_the_community_s_credentials_for_development(panda, panda_db):
    assert panda.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    stored = json.loads((Path(panda.config["INSTANCE_PATH"]) / "community-client.json").read_text())
    assert get_client("support-community").check_client_secret(stored["client_secret"])
    # A second run keeps the same secret, so a running community keeps working.
    assert panda.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    again = json.loads((Path(panda.config["INSTANCE_PATH"]) / "community-client.json").read_text())
    assert again == stored


def test_the_demo_registers_an_integration_for_the_apis_and_tells_its_secret(panda, panda_db):
    from panda_portal.demo import INTEGRATION_CLIENT_FILE

    first = panda.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    stored = json.loads((Path(panda.config["INSTANCE_PATH"]) / INTEGRATION_CLIENT_FILE).read_text())
    client = get_client("demo-integration")
    assert client.check_client_secret(stored["client_secret"])
    assert client.grant_types == ["client_credentials"] and sorted(client.api_scopes) == ["agent", "orgs:read"]
    assert f"demo-integration {stored['client_secret']}" in first.output
    # Kept from one run to the next, like the community's.
    second = panda.test_cli_runner().invoke(args=["demo"])
    assert json.loads((Path(panda.config["INSTANCE_PATH"]) / INTEGRATION_CLIENT_FILE).read_text()) == stored
    assert stored["client_secret"] in second.output


def test_the_demo_at_scale_makes_the_accountant_with_many_clients_with_the_shared_ids(panda, panda_db):
    from panda_portal.organizations.models import MembershipStatus, Organization, Role
    from shared import demo_scale

    runner = panda.test_cli_runner()
    first = runner.invoke(args=["demo", "--scale", "250"])
    assert first.exit_code == 0, first.output
    assert demo_scale.EMAIL in first.output
    mia = panda_db.session.get(Account, demo_scale.ACCOUNT_ID)
    assert mia is not None and mia.email == demo_scale.EMAIL
    memberships = (
        panda_db.session.scalars(
            select(Membership).where(Membership.account_id == mia.id, Membership.status == MembershipStatus.ACTIVE)
        )
        .unique()
        .all()
    )
    assert len(memberships) == 250
    by_org = {membership.organization_id: membership for membership in memberships}
    for client in demo_scale.clients(250):
        membership = by_org[client.id]
        assert membership.organization.name == client.name
        assert membership.organization.enterprise_number == client.enterprise_number
        assert ("support_community" in membership.granted_keys) == (client.community_granted or client.administered)
        assert (membership.role == Role.ADMIN) == client.administered
    administered = [client.id for client in demo_scale.clients(250) if client.administered]
    pending = panda_db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organization_id.in_(administered), Membership.status == MembershipStatus.PENDING)
    )
    assert pending >= len(administered)

    counts = (
        panda_db.session.scalar(select(func.count()).select_from(Organization)),
        panda_db.session.scalar(select(func.count()).select_from(Membership)),
    )
    assert runner.invoke(args=["demo", "--scale", "250"]).exit_code == 0
    assert (
        panda_db.session.scalar(select(func.count()).select_from(Organization)),
        panda_db.session.scalar(select(func.count()).select_from(Membership)),
    ) == counts
    # The Support Community sees only the granted ones.
    assert len(orgs_claim(mia, get_client("support-community"))) == sum(
        1 for client in demo_scale.clients(250) if client.community_granted or client.administered
    )
