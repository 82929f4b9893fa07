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
    # One's own sessions, address, data and account (the administrator, last of the organization, sees why not).
    "/account/sessions": ("GET", {"anonymous": 302, "*": 200}),
    "/account/sessions/sign-out": ("POST", {"anonymous": 401, "*": 302}),
    "/account/sessions/sign-out-others": ("POST", {"anonymous": 401, "*": 302}),
    "/account/email": ("GET", {"anonymous": 302, "*": 200}),
    "/account/email/confirm/<token>": ("GET", {"*": 404}),
    "/account/email/undo/<token>": ("GET", {"*": 404}),
    "/account/data": ("GET", {"anonymous": 302, "*": 200}),
    "/account/delete": ("GET", {"anonymous": 302, "*": 200}),
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
    # Signing in with a passkey alone: anyone may ask for a challenge; an empty answer signs nobody in.
    "/sign-in/passkey/options": ("POST", {"*": 200}),
    "/sign-in/passkey": ("POST", {"*": 400}),
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
    "/orgs/<org_id>/settings": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
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
    "/introspect": ("POST", {"*": 401}),
    # Personal access tokens: one's own (the administrator's here); the organization's rule for administrators.
    "/account/tokens": ("GET", {"anonymous": 302, "*": 200}),
    "/account/tokens/<token_id>/revoke": ("POST", {"anonymous": 401, "admin": 302, "*": 404}),
    "/orgs/<org_id>/settings/personal-tokens": (
        "GET",
        {"anonymous": 302, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    # The API, with each person's personal access token (orgs:read orgs:admin) and no cookie.
    "/api/v1/openapi.json": ("GET", {"*": 200}),
    "/api/v1/docs": ("GET", {"*": 200}),
    "/api/v1/me": ("GET", {"anonymous": 401, "*": 200}),
    "/api/v1/orgs": ("GET", {"anonymous": 401, "*": 200}),
    "/api/v1/orgs/<uuid:org_id>": ("GET", {"anonymous": 401, "outsider": 404, "pending": 404, "*": 200}),
    **{
        f"/api/v1/orgs/<uuid:org_id>{path}": (
            method,
            {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": status},
        )
        for path, method, status in (
            ("/members", "GET", 200),
            ("/members/<uuid:membership_id>", "GET", 200),
            ("/members/<uuid:membership_id>/applications/<application>", "PUT", 200),
            ("/requests", "GET", 200),
            ("/requests/<uuid:membership_id>/approve", "POST", 200),
            ("/requests/<uuid:membership_id>/reject", "POST", 409),  # approved just before (sorted order)
            ("/invitations", "GET", 200),
            ("/invitations/<uuid:invitation_id>", "GET", 200),
        )
    },
    # The vendor's staff only (nobody here).
    "/api/v1/vendor/organizations": ("GET", {"anonymous": 401, "*": 403}),
    "/api/v1/vendor/customers": ("POST", {"anonymous": 401, "*": 403}),
    # Webhook subscriptions (GET here; creating and deleting: tests/portal/webhooks/test_api.py).
    "/api/v1/orgs/<uuid:org_id>/webhooks": (
        "GET",
        {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    "/api/v1/orgs/<uuid:org_id>/webhooks/<uuid:subscription_id>": (
        "GET",
        {"anonymous": 401, "outsider": 404, "pending": 404, "member": 403, "admin": 200},
    ),
    "/api/v1/webhooks": ("GET", {"anonymous": 401, "*": 403}),
    "/api/v1/webhooks/<uuid:subscription_id>": ("GET", {"anonymous": 401, "*": 403}),
    # Webhooks: an organization's administrators for it; the vendor's staff (nobody here) for all.
    **{
        f"/orgs/<org_id>/webhooks{path}": (
            method,
            {
                "anonymous": 302 if method == "GET" else 401,
                "outsider": 404,
                "pending": 404,
                "member": 403,
                "admin": status,
            },
        )
        for path, method, status in (
            ("", "GET", 200),
            ("/new", "GET", 200),
            ("/<subscription_id>", "GET", 200),
            ("/<subscription_id>/rotate", "POST", 200),  # the new secret, shown once
            ("/<subscription_id>/pause", "POST", 302),
            ("/<subscription_id>/resume", "POST", 302),
            ("/<subscription_id>/delete", "POST", 302),
            ("/<subscription_id>/test", "POST", 302),
            ("/<subscription_id>/deliveries/<delivery_id>/redeliver", "POST", 302),
        )
    },
    **{
        f"/webhooks{path}": (method, {"anonymous": 302 if method == "GET" else 401, "*": 403})
        for path, method in (
            ("", "GET"),
            ("/new", "GET"),
            ("/<subscription_id>", "GET"),
            ("/<subscription_id>/rotate", "POST"),
            ("/<subscription_id>/pause", "POST"),
            ("/<subscription_id>/resume", "POST"),
            ("/<subscription_id>/delete", "POST"),
            ("/<subscription_id>/test", "POST"),
            ("/<subscription_id>/deliveries/<delivery_id>/redeliver", "POST"),
        )
    },
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
    from panda_portal.webhooks.services import webhooks

    subscription, doomed = (
        webhooks.create(
            organization_id=org.id,
            url=f"https://93.184.215.14/{path}",
            description="",
            events=["access.changed"],
            actor_id="x",
        )[0]
        for path in ("hook", "old")
    )
    delivery = webhooks.send_test(subscription, actor_id="x")
    from panda_portal.personal_tokens.services import create_token

    with panda.test_request_context("/"):
        tokens = {
            role: create_token(person, name="sweep", scopes=["orgs:read", "orgs:admin"], actor=person)[1]
            for role, person in people.items()
        }
        doomed_token, _value = create_token(people["admin"], name="doomed", scopes=["orgs:read"], actor=people["admin"])
    panda_db.session.commit()
    values = {
        "org_id": org.id,
        "membership_id": member.id,
        "invitation_id": invitation.id,
        "token": "not-a-real-token",
        "batch_id": batch.id,
        "passkey_id": "00000000-0000-4000-8000-000000000000",  # nobody has a passkey: two-step verification is off
        "subscription_id": subscription.id,
        "delivery_id": delivery.id,
        "token_id": doomed_token.id,
        "application": "support_community",
    }
    return people, values, {"pending_request": pending.id, "doomed_subscription": doomed.id, "tokens": tokens}


def _url(rule: str, values: dict, extra: dict) -> str:
    if "/requests/" in rule:
        values = values | {"membership_id": extra["pending_request"]}
    if rule == "/invitations/<token>":
        values = values | {"token": "invitation-token"}
    if rule.endswith("/webhooks/<subscription_id>/delete"):  # the others still need theirs
        values = values | {"subscription_id": extra["doomed_subscription"]}
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
        if rule.startswith("/api/"):
            api = panda.test_client(use_cookies=False)
            headers = {"Authorization": f"Bearer {extra['tokens'][role]}"} if role != "anonymous" else {}
            response = api.open(url, method=method, headers=headers, json={} if method != "GET" else None)
        elif method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": client.csrf_token("/sign-in")})
        if response.status_code != expected(rule, role):
            wrong.append(f"{method} {rule}: {response.status_code}, expected {expected(rule, role)}")
    assert not wrong, "\n".join(wrong)
