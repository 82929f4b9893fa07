"""An organization that requires two-step verification: its administrators without it must set it up first.

Every organization route, swept as in ``tests/portal/test_permissions.py``: with the requirement
on, an administrator without two-step verification is sent to set it up (pages) or refused (API)
wherever a member would be refused; the pages every member sees stay open; with two-step
verification (and a recent second factor) the administrator gets what the table says.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from panda_portal.organizations.models import Organization, Role
from tests.portal import test_permissions as sweep
from tests.portal.factories import sign_in_client
from tests.portal.mfa.helpers import code, turn_on
from tests.portal.test_permissions import ROUTES, _url, expected

scene = sweep.scene  # the route sweep's organization and people, as a fixture here

ORG_ROUTES = sorted(rule for rule in ROUTES if rule.startswith(("/orgs/<org_id>", "/api/v1/orgs/<uuid:org_id>")))
ADMINISTERING = [rule for rule in ORG_ROUTES if expected(rule, "member") == 403]
MEMBERS_PAGES = [rule for rule in ORG_ROUTES if expected(rule, "member") != 403]


def _require_two_step(panda_db, org_id) -> Organization:
    organization = panda_db.session.get(Organization, org_id)
    organization.requires_two_step = True
    panda_db.session.commit()
    return organization


def _request(panda, rule: str, person, values: dict, extra: dict, token_role: str):
    method = ROUTES[rule][0]
    url = _url(rule, values, extra)
    if rule.startswith("/api/"):
        api = panda.test_client(use_cookies=False)
        headers = {"Authorization": f"Bearer {extra['tokens'][token_role]}"}
        return api.open(url, method=method, headers=headers, json={} if method != "GET" else None), url
    client = panda.test_client()
    sign_in_client(client, person)
    with client.session_transaction() as session:
        session["amr"] = ["pwd", "otp", "mfa"]
        session["second_factor_at"] = int(time.time())  # no step-up in the way of what is swept
    if method == "GET":
        return client.get(url), url
    return client.post(url, data={"csrf_token": client.csrf_token("/sign-in")}), url


def test_the_sweep_has_both_kinds_of_route():
    assert "/orgs/<org_id>/members" in ADMINISTERING and "/orgs/<org_id>/invitations/new" in ADMINISTERING
    assert "/orgs/<org_id>/settings" in ADMINISTERING and "/api/v1/orgs/<uuid:org_id>/members" in ADMINISTERING
    assert "/orgs/<org_id>/" in MEMBERS_PAGES and "/orgs/<org_id>/leave" in MEMBERS_PAGES


def test_an_administrator_without_two_step_verification_is_sent_to_set_it_up_before_administering(
    panda, panda_db, scene
):
    people, values, extra = scene
    _require_two_step(panda_db, values["org_id"])
    wrong = []
    for rule in ADMINISTERING:
        response, url = _request(panda, rule, people["admin"], values, extra, "admin")
        if rule.startswith("/api/"):
            if response.status_code != 403:
                wrong.append(f"{rule}: {response.status_code}, expected 403")
            continue
        location = response.headers.get("Location", "")
        target = urlsplit(location)
        back = parse_qs(target.query).get("next", [""])[0]
        expected_back = url if ROUTES[rule][0] == "GET" else f"/orgs/{values['org_id']}/"
        if response.status_code != 302 or target.path != "/account/two-step/set-up" or back != expected_back:
            wrong.append(f"{rule}: {response.status_code} {location}")
    for rule in MEMBERS_PAGES:
        response, _url_ = _request(panda, rule, people["admin"], values, extra, "admin")
        if response.status_code != expected(rule, "admin"):
            wrong.append(f"{rule}: {response.status_code}, expected {expected(rule, 'admin')} (a member's page)")
    assert not wrong, "\n".join(wrong)


def test_members_get_what_they_always_got(panda, panda_db, scene):
    people, values, extra = scene
    _require_two_step(panda_db, values["org_id"])
    wrong = []
    for rule in ORG_ROUTES:
        response, _url_ = _request(panda, rule, people["member"], values, extra, "member")
        if response.status_code != expected(rule, "member"):
            wrong.append(f"{rule}: {response.status_code}, expected {expected(rule, 'member')}")
    assert not wrong, "\n".join(wrong)


def test_an_administrator_with_two_step_verification_administers_as_before(panda, panda_db, scene):
    people, values, extra = scene
    with panda.test_request_context("/"):
        turn_on(people["admin"])
    _require_two_step(panda_db, values["org_id"])
    wrong = []
    for rule in ORG_ROUTES:
        response, _url_ = _request(panda, rule, people["admin"], values, extra, "admin")
        if response.status_code != expected(rule, "admin"):
            wrong.append(f"{rule}: {response.status_code}, expected {expected(rule, 'admin')}")
    assert not wrong, "\n".join(wrong)


def test_without_the_requirement_nothing_changes_for_an_administrator_without_it(panda, panda_db, scene):
    people, values, extra = scene
    response, _url_ = _request(panda, "/orgs/<org_id>/members", people["admin"], values, extra, "admin")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "requires two-step verification"),
        ("nl", "vereist verificatie in twee stappen"),
        ("fr", "exige la validation en deux étapes"),
    ],
)
def test_the_administrator_is_told_why_and_comes_back_after_setting_it_up(
    panda, panda_db, make_account, make_org, make_membership, language, says
):
    admin = make_account(email="ann@example.org", language=language)
    org = make_org(name="Bakkerij Peeters BV")
    make_membership(admin, org, role=Role.ADMIN)
    org.requires_two_step = True
    panda_db.session.commit()
    client = panda.test_client()
    client.csrf_page = "/account/two-step/set-up"
    sign_in_client(client, admin)
    client.set_cookie("lang", language)

    sent = client.get(f"/orgs/{org.id}/members")
    assert sent.status_code == 302 and sent.location.startswith("/account/two-step/set-up?next=")
    page = client.get(sent.location).get_data(as_text=True)
    assert "Bakkerij Peeters BV" in page and says in page

    with client.session_transaction() as session:
        secret = session["mfa_setup_secret"] if "mfa_setup_secret" in session else None
    assert secret, "the set-up page keeps its secret in the session"
    done = client.post_form(
        "/account/two-step/set-up", {"code": code(secret), "next": f"/orgs/{org.id}/members"}, page=sent.location
    )
    assert done.status_code == 200 and f'href="/orgs/{org.id}/members"' in done.get_data(as_text=True)
    assert client.get(f"/orgs/{org.id}/members").status_code == 200


def test_the_organization_page_offers_no_administration_to_an_administrator_without_it(
    panda, panda_db, make_account, make_org, make_membership
):
    """The links would only lead to the set-up page, and the requests to join name people: neither shows."""
    from panda_portal.organizations.models import MembershipStatus
    from tests.portal.factories import SUPPORT

    admin = make_account(email="ann@example.org")
    org = make_org(name="Bakkerij Peeters BV")
    make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(make_account(name="Dirk Waiting"), org, status=MembershipStatus.PENDING)
    org.requires_two_step = True
    panda_db.session.commit()
    client = panda.test_client()
    sign_in_client(client, admin)
    page = client.get(f"/orgs/{org.id}/").get_data(as_text=True)
    assert "To administer this organization, set up two-step verification first" in page
    assert "Dirk Waiting" not in page
    assert f'href="/orgs/{org.id}/members"' not in page and f'href="/orgs/{org.id}/settings"' not in page
    # The community would not show the organization yet: no button that leads there.
    assert "Open Bakkerij Peeters BV in" not in page

    with panda.test_request_context("/"):
        turn_on(admin)
    page = client.get(f"/orgs/{org.id}/").get_data(as_text=True)
    assert "Dirk Waiting" in page and f'href="/orgs/{org.id}/members"' in page
    assert "Open Bakkerij Peeters BV in" in page
    assert "To administer this organization" not in page
