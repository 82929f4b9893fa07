"""Every Panda route, for every kind of visitor: the status they get.

A route missing from ROUTES fails the test, so no new page can be added without
deciding who may see it. Organization routes answer 404 to anyone who is not an
active member (a pending requester included), so an organization's existence
does not leak; members who lack a capability get 403.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from panda_portal.organizations.models import BulkAddBatch, BulkAddStatus, Invitation, MembershipStatus, Role
from panda_portal.organizations.services.invitations import hash_token
from shared.database import utcnow
from tests.portal.factories import sign_in_client

ROLES = ("anonymous", "outsider", "pending", "member", "admin")

# rule → (method, {role: status}); "*" stands for every role not named.
ROUTES: dict[str, tuple[str, dict[str, int]]] = {
    "/": ("GET", {"anonymous": 302, "*": 200}),
    "/.well-known/openid-configuration": ("GET", {"*": 200}),
    "/jwks": ("GET", {"*": 200}),
    "/healthz": ("GET", {"*": 200}),
    "/readyz": ("GET", {"*": 200}),
    "/account": ("GET", {"anonymous": 302, "*": 200}),
    "/account/activity": ("GET", {"anonymous": 302, "*": 200}),
    "/account/password": ("GET", {"anonymous": 302, "*": 200}),
    # Two-step verification: nobody in the scene has it on, so its pages for "on" lead back to the settings.
    "/account/two-step": ("GET", {"anonymous": 302, "*": 200}),
    "/account/two-step/set-up": ("GET", {"anonymous": 302, "*": 200}),
    "/account/two-step/turn-off": ("GET", {"anonymous": 302, "*": 302}),
    "/account/two-step/recovery-codes": ("GET", {"anonymous": 302, "*": 302}),
    "/account/two-step/confirm": ("GET", {"anonymous": 302, "*": 302}),
    "/account/two-step/forget-browsers": ("POST", {"anonymous": 401, "*": 302}),
    "/account/two-step/passkeys": ("GET", {"anonymous": 302, "*": 302}),
    "/account/two-step/passkeys/<passkey_id>/rename": ("POST", {"anonymous": 401, "*": 302}),
    "/account/two-step/passkeys/<passkey_id>/remove": ("POST", {"anonymous": 401, "*": 302}),
    # Without a password checked first, the second step sends everyone to sign in.
    "/sign-in/two-step": ("GET", {"*": 302}),
    # Without client_id/redirect_uri the error page is shown and nothing redirects.
    "/authorize": ("GET", {"*": 400}),
    # Without an id_token_hint Panda asks the person to confirm; signed out already, it says so.
    "/end-session": ("GET", {"*": 200}),
    "/end-session/confirm": ("POST", {"*": 200}),
    "/forgot-password": ("GET", {"*": 200}),
    "/register": ("GET", {"*": 200}),
    "/resend-verification": ("GET", {"*": 200}),
    "/sign-in": ("GET", {"*": 200}),
    "/sign-out": ("POST", {"*": 302}),
    "/language": ("POST", {"*": 302}),
    "/verify/<token>": ("GET", {"*": 404}),
    "/reset-password/<token>": ("GET", {"*": 404}),
    "/invitations/<token>": ("GET", {"*": 200}),
    "/orgs": ("GET", {"anonymous": 302, "*": 200}),
    "/orgs/add": ("GET", {"anonymous": 302, "*": 200}),
    # Adding clients in bulk: a list belongs to whoever uploaded it (the administrator here).
    "/orgs/add/bulk": ("GET", {"anonymous": 302, "*": 200}),
    "/orgs/add/bulk/<batch_id>": ("GET", {"anonymous": 302, "admin": 200, "*": 404}),
    "/orgs/add/bulk/<batch_id>/confirm": ("POST", {"anonymous": 401, "admin": 303, "*": 404}),
    "/orgs/add/bulk/<batch_id>/result.csv": ("GET", {"anonymous": 302, "admin": 200, "*": 404}),
    "/orgs/switch": ("GET", {"anonymous": 302, "*": 200}),
    # Without pinned=0/1 the form is refused; non-members do not learn the organization exists.
    "/orgs/<org_id>/favourite": ("POST", {"anonymous": 401, "outsider": 404, "pending": 404, "*": 400}),
    "/requests": ("GET", {"anonymous": 302, "*": 200}),
    # Nothing ticked: back to the page.
    "/requests/approve": ("POST", {"anonymous": 401, "*": 302}),
    "/requests/reject": ("POST", {"anonymous": 401, "*": 302}),
    "/requests/reject/confirm": ("POST", {"anonymous": 401, "*": 302}),
    # Without ?application= there is nothing to ask for.
    "/ask-for-access": ("GET", {"anonymous": 302, "*": 404}),
    # Without its signed confirmation token the form starts again.
    "/orgs/add/confirm": ("POST", {"anonymous": 401, "*": 302}),
    "/requests/<membership_id>/withdraw": ("POST", {"anonymous": 401, "pending": 302, "*": 404}),
    "/orgs/<org_id>/": ("GET", {"anonymous": 302, "outsider": 404, "pending": 404, "*": 200}),
    "/orgs/<org_id>/audit": ("GET", {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200}),
    "/orgs/<org_id>/members": ("GET", {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200}),
    "/orgs/<org_id>/members/<membership_id>": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    "/orgs/<org_id>/members/<membership_id>/remove": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    "/orgs/<org_id>/requests/<membership_id>": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    "/orgs/<org_id>/requests/<membership_id>/approve": (
        "POST",
        {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": 302},
    ),
    "/orgs/<org_id>/requests/<membership_id>/reject": (
        "POST",
        {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": 302},
    ),
    "/orgs/<org_id>/invitations/new": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    "/orgs/<org_id>/invitations/<invitation_id>/resend": (
        "POST",
        {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": 302},
    ),
    "/orgs/<org_id>/invitations/<invitation_id>/revoke": (
        "POST",
        {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": 302},
    ),
    "/orgs/<org_id>/leave": ("GET", {"anonymous": 302, "outsider": 404, "pending": 404, "*": 200}),
    "/orgs/<org_id>/step-down": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    # Client-authenticated endpoints: no client credentials, no tokens.
    "/token": ("POST", {"*": 400}),
    "/revoke": ("POST", {"*": 401}),
    "/userinfo": ("GET", {"*": 401}),
    # A client's read of a person's orgs: its own credentials or nothing.
    "/access": ("POST", {"*": 401}),
}
STATIC = {"/static/<path:filename>", "/shared-static/<path:filename>", "/mfa-static/<path:filename>"}


def expected(rule: str, role: str) -> int:
    table = ROUTES[rule][1]
    return table.get(role, table.get("*"))


def test_every_route_is_in_the_table(panda):
    rules = {rule.rule for rule in panda.url_map.iter_rules()} - STATIC
    assert rules - set(ROUTES) == set(), "add these routes to ROUTES"
    assert set(ROUTES) - rules == set(), "these routes no longer exist"


@pytest.fixture()
def scene(panda, panda_db, make_account, make_org, make_membership):
    """One organization with an administrator, a member, a pending requester and an outsider."""
    org = make_org()
    people = {role: make_account() for role in ROLES if role != "anonymous"}
    make_membership(people["admin"], org, role=Role.ADMIN, grants=["support_community"])
    member = make_membership(people["member"], org)
    pending = make_membership(people["pending"], org, status=MembershipStatus.PENDING)
    invitation = Invitation(
        organization_id=org.id,
        email="invitee@example.test",
        role=Role.MEMBER,
        application_keys=[],
        token_hash=hash_token("invitation-token"),
        expires_at=utcnow() + dt.timedelta(days=7),
        invited_by_id=people["admin"].id,  # an invitation holds only while its sender administers
    )
    panda_db.session.add(invitation)
    batch = BulkAddBatch(account_id=people["admin"].id, status=BulkAddStatus.PREVIEW, total_rows=0, work_rows=0)
    panda_db.session.add(batch)
    panda_db.session.commit()
    values = {
        "org_id": org.id,
        "membership_id": member.id,
        "invitation_id": invitation.id,
        "token": "not-a-real-token",
        "batch_id": batch.id,
        "passkey_id": "00000000-0000-4000-8000-000000000000",  # nobody has a passkey: two-step verification is off
    }
    return people, values, {"pending_request": pending.id}


def _url(rule: str, values: dict, extra: dict) -> str:
    if "/requests/" in rule:
        values = values | {"membership_id": extra["pending_request"]}
    if rule == "/invitations/<token>":
        values = values | {"token": "invitation-token"}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_status_the_table_says(panda, scene, role):
    people, values, extra = scene
    wrong = []
    for rule, (method, _table) in sorted(ROUTES.items()):
        client = panda.test_client()  # a fresh browser per route: a sign-out must not spill over
        if role != "anonymous":
            sign_in_client(client, people[role])
        url = _url(rule, values, extra)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": client.csrf_token("/sign-in")})
        if response.status_code != expected(rule, role):
            wrong.append(f"{method} {rule}: {response.status_code}, expected {expected(rule, role)}")
    assert not wrong, "\n".join(wrong)
