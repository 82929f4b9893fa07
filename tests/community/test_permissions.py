"""Every route of the community, who may reach it, and the organization rule (the token's orgs)."""
from __future__ import annotations

import uuid

import pytest

from tests.community.auth.fake_op import org

PEETERS = org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234",
              id="5f0c7a7e-3a52-4f4e-9a0b-7f2b2a6c1d01")
JANSSENS = org("Garage Janssens NV", enterprise_number="0202.239.951", customer_number="100999", role="admin",
               id="5f0c7a7e-3a52-4f4e-9a0b-7f2b2a6c1d02")
UNLISTED = "9a1d2b3c-0000-4000-8000-000000000000"

# (method, path, who, expected status). Routes of the organization use PEETERS.
ANONYMOUS, MEMBER, OUTSIDER = "anonymous", "member", "outsider"
ROUTES = [
    ("GET", "/", ANONYMOUS, 200),
    ("GET", "/", MEMBER, 200),
    ("GET", "/healthz", ANONYMOUS, 200),
    ("GET", "/readyz", ANONYMOUS, 200),
    ("POST", "/language", ANONYMOUS, 302),
    ("GET", "/auth/sign-in", ANONYMOUS, 302),
    ("GET", "/auth/callback", ANONYMOUS, 400),
    ("POST", "/auth/sign-out", MEMBER, 302),
    ("POST", "/auth/backchannel-logout", ANONYMOUS, 400),
    ("GET", "/switch", ANONYMOUS, 302),
    ("GET", "/switch", MEMBER, 200),
    ("GET", f"/orgs/{PEETERS['id']}/", ANONYMOUS, 302),
    ("GET", f"/orgs/{PEETERS['id']}/", MEMBER, 200),
    ("GET", f"/orgs/{PEETERS['id']}/", OUTSIDER, 404),
]

# Rules not reached by a URL of their own.
IGNORED_RULES = {"/static/<path:filename>", "/shared-static/<path:filename>"}


def _rule_of(community, method: str, path: str) -> str:
    adapter = community.url_map.bind("community.test")
    rule, _ = adapter.match(path, method=method, return_rule=True)
    return rule.rule


def test_every_route_is_in_the_table(community):
    covered = {_rule_of(community, method, path) for method, path, _, _ in ROUTES}
    every = {rule.rule for rule in community.url_map.iter_rules()} - IGNORED_RULES
    assert every - covered == set(), "add these routes to ROUTES"


@pytest.mark.parametrize("method,path,who,expected", ROUTES, ids=[f"{m} {p} {w}" for m, p, w, _ in ROUTES])
def test_route_access(community_client, login, method, path, who, expected):
    if who == MEMBER:
        login(orgs=[PEETERS, JANSSENS])
    elif who == OUTSIDER:
        login(orgs=[JANSSENS])
    if method == "GET":
        response = community_client.get(path)
    else:
        response = community_client.post_form(path, {"language": "en"})
    assert response.status_code == expected


def test_an_organization_in_the_token_shows_whom_the_person_acts_for(community_client, login):
    login(orgs=[PEETERS])
    response = community_client.get(f"/orgs/{PEETERS['id']}/")
    assert response.status_code == 200
    assert "You are acting for Bakkerij Peeters BV (0403.170.701)" in response.get_data(as_text=True)


@pytest.mark.parametrize("org_id", [UNLISTED, str(uuid.uuid4()), "not-a-uuid", "1", "../switch"])
def test_an_organization_not_in_the_token_does_not_exist(community_client, login, org_id):
    login(orgs=[PEETERS])
    assert community_client.get(f"/orgs/{org_id}/").status_code == 404


def test_uppercase_ids_find_the_same_organization(community_client, login):
    login(orgs=[PEETERS])
    assert community_client.get(f"/orgs/{PEETERS['id'].upper()}/").status_code == 200


def test_roles_are_read_from_the_token_per_organization():
    from support_community.auth.session import user_from_claims
    from support_community.permissions import has_capability, organization_for

    user = user_from_claims({"sub": "s", "orgs": [PEETERS, JANSSENS]})
    assert has_capability(user, "org.view", organization_for(user, PEETERS["id"]))
    assert has_capability(user, "org.view", organization_for(user, JANSSENS["id"]))
    assert not has_capability(user, "case.delete_everything", organization_for(user, PEETERS["id"]))
    assert organization_for(user, UNLISTED) is None
    assert not has_capability(None, "org.view")
