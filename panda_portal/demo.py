"""``panda demo``: demo data for trying the whole story (idempotent).

Loads the demo customer register and the applications, the demo accounts below,
two organizations with their administrators, an accountant who is a member of
both but has the "Support Community" access in only one of them (step 3 and 4 of
the story), a support agent, and registers the Support Community as an OpenID
client. In development the client's credentials are written to
``<INSTANCE_PATH>/community-client.json``, where the community reads them (its secret
also lets the community's API ask Panda about personal access tokens: introspection).

It also registers ``demo-integration``, a vendor's integration that acts for itself
(``client_credentials``, API scopes ``agent orgs:read``), to try the APIs without a
person: its secret is kept in ``<INSTANCE_PATH>/demo-integration-client.json`` and
printed by ``panda demo`` (outside production only).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from panda_portal.accounts.models import Account, normalize_email
from panda_portal.accounts.services.administration import create_account
from panda_portal.extensions import db
from panda_portal.oidc.models import CLIENT_CREDENTIALS
from panda_portal.oidc.services import ensure_client
from panda_portal.organizations.demo_data import demo_customers, ensure_applications, ensure_demo_customers
from panda_portal.organizations.models import (
    Application,
    ApplicationGrant,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from shared.database import utcnow

DEMO_PASSWORD = "panda-demo-password"
COMMUNITY_CLIENT_ID = "support-community"
CLIENT_FILE = "community-client.json"
INTEGRATION_CLIENT_ID = "demo-integration"
INTEGRATION_CLIENT_FILE = "demo-integration-client.json"
INTEGRATION_SCOPES = ("agent", "orgs:read")

# (e-mail, password, who it is, name, language, support agent)
DEMO_PEOPLE: tuple[tuple[str, str, str, str, bool], ...] = (
    (
        "jan.janssens@example.be",
        "Jan Janssens",
        "accountant: member of two clients, Support Community access for one",
        "nl",
        False,
    ),
    ("an.peeters@example.be", "An Peeters", "administrator of Bakkerij Peeters BV", "nl", False),
    ("marie.dubois@example.be", "Marie Dubois", "administrator of Garage Dubois SRL", "fr", False),
    ("sam.support@example.be", "Sam Support", "support agent of the vendor", "en", True),
)
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    (email, DEMO_PASSWORD, f"{name}, {role}") for email, name, role, _lang, _agent in DEMO_PEOPLE
]

# customer number → (administrator, members with the Support Community access, members without)
DEMO_ORGANIZATIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "100234": ("an.peeters@example.be", ("jan.janssens@example.be",), ()),
    "100235": ("marie.dubois@example.be", (), ("jan.janssens@example.be",)),
}


def _account(email: str, name: str, language: str, agent: bool) -> Account:
    existing = db.session.execute(select(Account).where(Account.email == normalize_email(email))).scalar_one_or_none()
    if existing is not None:
        return existing
    return create_account(email, name, DEMO_PASSWORD, language, verified=True, support_agent=agent)


def _membership(account: Account, organization: Organization, role: Role, grants: list[str]) -> None:
    membership = db.session.execute(
        select(Membership).where(Membership.account_id == account.id, Membership.organization_id == organization.id)
    ).scalar_one_or_none()
    if membership is not None:
        return
    now = utcnow()
    membership = Membership(
        organization_id=organization.id,
        account_id=account.id,
        role=role,
        status=MembershipStatus.ACTIVE,
        active_since=now,
    )
    membership.grants = [ApplicationGrant(application_key=key) for key in grants]
    db.session.add(membership)


def load_demo_data() -> dict:
    ensure_applications()
    ensure_demo_customers()
    all_applications = [key for key in db.session.scalars(select(Application.key))]
    accounts = {email: _account(email, name, language, agent) for email, name, _role, language, agent in DEMO_PEOPLE}
    register = {customer: (enterprise, name) for customer, enterprise, name in demo_customers()}
    for customer_number, (admin, granted, not_granted) in DEMO_ORGANIZATIONS.items():
        organization = db.session.execute(
            select(Organization).where(Organization.customer_number == customer_number)
        ).scalar_one_or_none()
        if organization is None:
            enterprise_number, name = register[customer_number]
            organization = Organization(
                customer_number=customer_number,
                enterprise_number=enterprise_number,
                name=name,
                created_by_id=accounts[admin].id,
            )
            db.session.add(organization)
            db.session.flush()
        _membership(accounts[admin], organization, Role.ADMIN, all_applications)
        for email in granted:
            _membership(accounts[email], organization, Role.MEMBER, ["support_community"])
        for email in not_granted:
            _membership(accounts[email], organization, Role.MEMBER, [])
    db.session.flush()
    return {"client": _community_client(), "integration": _integration_client()}


def _client_file(name: str = CLIENT_FILE) -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / name


def _known_secret(name: str, client_id: str) -> str:
    """The secret a previous run left (so a running service keeps working), or a new one."""
    path = _client_file(name)
    known = {}
    if path.exists():
        try:
            known = json.loads(path.read_text())
        except ValueError:
            known = {}
    secret = known.get("client_secret") if isinstance(known, dict) and known.get("client_id") == client_id else None
    return secret if isinstance(secret, str) and secret else secrets.token_urlsafe(32)


def _keep(name: str, credentials: dict) -> None:
    if current_app.config["APP_ENV"] != "production":
        path = _client_file(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials))
        os.chmod(path, 0o600)


def _community_client() -> dict:
    community = current_app.config["COMMUNITY_URL"]
    secret = _known_secret(CLIENT_FILE, COMMUNITY_CLIENT_ID)
    ensure_client(
        COMMUNITY_CLIENT_ID,
        [f"{community}/auth/callback"],
        post_logout_redirect_uris=[f"{community}/"],
        backchannel_logout_uri=f"{community}/auth/backchannel-logout",
        requires_grant="support_community",
        secret=secret,
    )
    credentials = {"client_id": COMMUNITY_CLIENT_ID, "client_secret": secret}
    _keep(CLIENT_FILE, credentials)
    return credentials


def _integration_client() -> dict:
    """The vendor's demo integration: no person, no redirect; tokens for itself with ``agent orgs:read``."""
    secret = _known_secret(INTEGRATION_CLIENT_FILE, INTEGRATION_CLIENT_ID)
    ensure_client(
        INTEGRATION_CLIENT_ID,
        [],
        grant_types=[CLIENT_CREDENTIALS],
        api_scopes=list(INTEGRATION_SCOPES),
        secret=secret,
    )
    credentials = {"client_id": INTEGRATION_CLIENT_ID, "client_secret": secret, "scope": " ".join(INTEGRATION_SCOPES)}
    _keep(INTEGRATION_CLIENT_FILE, credentials)
    return credentials


@click.command("demo")
@click.option(
    "--scale",
    type=click.IntRange(0, 100_000),
    default=0,
    show_default=True,
    help="Also create an accountant (many.clients@example.be) who is a member of this many client organizations.",
)
@with_appcontext
def demo_command(scale: int) -> None:
    """Load the demo data: customers, accounts, organizations and the community's client (idempotent)."""
    result = load_demo_data()
    if scale:
        from panda_portal.demo_scale import CLIENTS_ADMIN_EMAIL, load_scale
        from shared import demo_scale

        added = load_scale(scale, DEMO_PASSWORD)
    db.session.commit()
    click.echo("Demo data is loaded. Sign in with:")
    for email, password, description in DEMO_ACCOUNTS:
        click.echo(f"  {email:28} {password}   ({description})")
    if scale:
        click.echo(
            f"  {demo_scale.EMAIL:28} {DEMO_PASSWORD}   ({demo_scale.NAME}, accountant: member of {scale:,} clients)"
        )
        click.echo(f"  {CLIENTS_ADMIN_EMAIL:28} {DEMO_PASSWORD}   (administrator of those clients)")
        click.echo(
            f"  added {added['organizations']:,} organizations, {added['customers']:,} register rows, "
            f"{added['memberships']:,} memberships"
        )
    integration = result["integration"]
    if current_app.config["APP_ENV"] == "production":
        click.echo(json.dumps(result["client"]))
        click.echo(json.dumps(integration))
    else:
        click.echo(f"The Support Community's client credentials are in {_client_file()}.")
        kept = _client_file(INTEGRATION_CLIENT_FILE)
        click.echo(
            f"Demo integration (client_credentials, scopes {integration['scope']}): "
            f"{integration['client_id']} {integration['client_secret']}   (also in {kept})"
        )
