"""Panda's API v1: what a script with a personal access token, an admin's tool and the vendor's integration do."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

PROBLEM = "application/problem+json"


@pytest.fixture()
def office(make_account, make_org, make_membership, panda_db):
    """An organization with an administrator, a member and someone asking to join."""
    admin = make_account(name="Ann Admin")
    member = make_account(name="Bob Member")
    asker = make_account(name="Cas Asker")
    org = make_org(name="Office BV")
    make_membership(admin, org, role="admin")
    member_row = make_membership(member, org, grants=["support_community"])
    request_row = make_membership(asker, org, status="pending", message="Please let me in")
    panda_db.session.commit()
    return type(
        "Office",
        (),
        {
            "admin": admin,
            "member": member,
            "asker": asker,
            "org": org,
            "member_row": member_row,
            "request_row": request_row,
        },
    )


def test_a_script_with_a_personal_token_lists_members_and_approves_a_request(office, make_pat, call, panda_db, deliver):
    from panda_portal.organizations.models import Membership, MembershipStatus
    from panda_portal.personal_tokens.models import PersonalAccessToken

    api = call(make_pat(office.admin))
    orgs = api.get("/api/v1/orgs")
    assert orgs.status_code == 200
    used = panda_db.session.scalars(select(PersonalAccessToken.last_used_at)).one()
    assert used is not None  # recorded, even for a request that changes nothing
    assert [(o["id"], o["role"]) for o in orgs.json["items"]] == [(str(office.org.id), "admin")]
    # written as the orgs claim and the community's API write it
    assert orgs.json["items"][0]["enterprise_number"] == office.org.enterprise_number_display
    assert re.fullmatch(r"\d{4}\.\d{3}\.\d{3}", orgs.json["items"][0]["enterprise_number"])
    members = api.get(f"/api/v1/orgs/{office.org.id}/members")
    assert members.status_code == 200
    assert [m["name"] for m in members.json["items"]] == ["Ann Admin", "Bob Member"]
    assert members.json["items"][1]["applications"] == ["support_community"]
    waiting = api.get(f"/api/v1/orgs/{office.org.id}/requests").json["items"]
    assert [(r["id"], r["message"]) for r in waiting] == [(str(office.request_row.id), "Please let me in")]
    approved = api.post(
        f"/api/v1/orgs/{office.org.id}/requests/{office.request_row.id}/approve", json={"message": "Welcome"}
    )
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert approved.json["role"] == "member"
    row = panda_db.session.get(Membership, office.request_row.id)
    panda_db.session.refresh(row)
    assert row.status == MembershipStatus.ACTIVE and row.decided_by_id == office.admin.id
    assert "Welcome" in deliver(office.asker.email).text


def test_a_revoked_or_expired_personal_token_is_a_401_problem(office, make_pat, call, panda_db):
    from panda_portal.personal_tokens.models import PersonalAccessToken
    from shared.database import utcnow

    revoked, expired = make_pat(office.admin, name="old"), make_pat(office.admin, name="older")
    rows = {r.name: r for r in panda_db.session.scalars(select(PersonalAccessToken))}
    rows["old"].revoked_at = utcnow()
    rows["older"].expires_at = utcnow() - dt.timedelta(seconds=1)
    panda_db.session.commit()
    for token in (revoked, expired, "pat_made-up", "not-even-a-jwt"):
        response = call(token).get("/api/v1/orgs")
        assert response.status_code == 401
        assert response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_no_token_is_a_401_and_a_signed_in_browser_is_not_enough(office, call, panda, login_as):
    response = call(None).get("/api/v1/orgs")
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.json["status"] == 401 and response.json["title"]
    browser = panda.test_client()
    login_as(browser, office.admin)
    assert browser.get("/api/v1/orgs").status_code == 401


def test_an_organization_that_forbids_personal_tokens_refuses_them_but_not_sign_in_tokens(
    office, make_pat, call, panda, panda_db
):
    from panda_portal.personal_tokens.services import set_personal_tokens_forbidden

    api = call(make_pat(office.admin))
    with panda.test_request_context("/"):
        set_personal_tokens_forbidden(office.org, forbid=True, actor=office.admin)
    panda_db.session.commit()
    assert api.get("/api/v1/orgs").json["items"] == []  # not listed to a personal access token
    refused = api.get(f"/api/v1/orgs/{office.org.id}/members")
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert "personal access tokens" in refused.json["detail"]
    approve = api.post(f"/api/v1/orgs/{office.org.id}/requests/{office.request_row.id}/approve", json={})
    assert approve.status_code == 403
    # The same person through an application they signed in to is not refused.
    from panda_portal.oidc.services import register_client
    from tests.portal.oidc.helpers import Flow, RelyingParty, sign_in_as

    _client, secret = register_client("admin-tool", ["https://rp.example.test/callback"], api_scopes=["orgs:admin"])
    panda_db.session.commit()
    browser = panda.test_client()
    sign_in_as(browser, office.admin)
    signed_in = call(
        Flow(browser, RelyingParty("admin-tool", secret)).tokens(scope="openid orgs:admin")["access_token"]
    )
    assert signed_in.get(f"/api/v1/orgs/{office.org.id}/members").status_code == 200


def test_another_organization_is_a_404_and_a_member_is_refused_administration(
    office, make_org, make_pat, call, panda_db
):
    elsewhere = make_org()
    panda_db.session.commit()
    admin = call(make_pat(office.admin))
    assert admin.get(f"/api/v1/orgs/{elsewhere.id}").status_code == 404
    assert admin.get(f"/api/v1/orgs/{elsewhere.id}/members").status_code == 404
    # A member of this organization, not of that one: someone else's membership id is a 404 too.
    other_member = call(make_pat(office.member))
    assert other_member.get(f"/api/v1/orgs/{office.org.id}").status_code == 200
    assert other_member.get(f"/api/v1/orgs/{office.org.id}/members").status_code == 403


def test_a_token_without_the_scope_is_a_403_insufficient_scope(office, make_pat, call):
    reader = call(make_pat(office.admin, scopes=["orgs:read"]))
    response = reader.get(f"/api/v1/orgs/{office.org.id}/members")
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    cases_only = call(make_pat(office.admin, scopes=["cases:read"]))
    assert cases_only.get("/api/v1/orgs").status_code == 401  # not a token for this API


def test_changing_a_member_honours_if_match(office, make_pat, call):
    api = call(make_pat(office.admin))
    url = f"/api/v1/orgs/{office.org.id}/members/{office.member_row.id}"
    read = api.get(url)
    etag = read.headers["ETag"]
    assert api.get(url, headers={"If-None-Match": etag}).status_code == 304
    stale = api.patch(url, json={"role": "admin"}, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    changed = api.patch(url, json={"role": "admin"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json["role"] == "admin"
    assert changed.headers["ETag"] != etag
    removed_access = api.delete(f"{url}/applications/support_community", headers={"If-Match": changed.headers["ETag"]})
    assert removed_access.status_code == 200 and removed_access.json["applications"] == []
    granted = api.put(f"{url}/applications/support_community")
    assert granted.json["applications"] == ["support_community"]
    assert api.put(f"{url}/applications/no-such-app").status_code == 404


def test_the_last_administrator_cannot_be_removed(office, make_pat, call):
    from panda_portal.organizations.models import Membership

    api = call(make_pat(office.admin))
    members = api.get(f"/api/v1/orgs/{office.org.id}/members").json["items"]
    admin_id = next(m["id"] for m in members if m["role"] == "admin")
    response = api.delete(f"/api/v1/orgs/{office.org.id}/members/{admin_id}")
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert Membership  # the membership stays (checked through the list)
    assert len(api.get(f"/api/v1/orgs/{office.org.id}/members").json["items"]) == 2


def test_removing_a_member(office, make_pat, call):
    api = call(make_pat(office.admin))
    url = f"/api/v1/orgs/{office.org.id}/members/{office.member_row.id}"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_invitations_honour_idempotency_keys_and_name_the_wrong_field(office, make_pat, call, panda_db):
    from panda_portal.organizations.models import Invitation

    api = call(make_pat(office.admin))
    url = f"/api/v1/orgs/{office.org.id}/invitations"
    body = {"email": "new.person@example.test", "role": "member", "applications": ["support_community"]}
    first = api.post(url, json=body, headers={"Idempotency-Key": "invite-1"})
    assert first.status_code == 201, first.get_data(as_text=True)
    again = api.post(url, json=body, headers={"Idempotency-Key": "invite-1"})
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post(url, json={**body, "email": "else@example.test"}, headers={"Idempotency-Key": "invite-1"})
    assert other.status_code == 422
    invitations = panda_db.session.scalars(select(Invitation).where(Invitation.organization_id == office.org.id))
    assert len(list(invitations)) == 1
    assert api.get(first.headers["Location"]).json["email"] == "new.person@example.test"
    listed = api.get(url).json["items"]
    assert [i["email"] for i in listed] == ["new.person@example.test"]
    wrong = api.post(url, json={"email": "not an address", "role": "owner"})
    assert wrong.status_code == 422 and wrong.mimetype == PROBLEM
    assert {e["field"] for e in wrong.json["errors"]} == {"email", "role"}
    assert api.delete(f"{url}/{first.json['id']}").status_code == 204
    assert api.get(url).json["items"] == []


def test_lists_are_cursor_paged(make_account, make_org, make_membership, make_pat, call, panda_db):
    person = make_account()
    for n in range(3):
        make_membership(person, make_org(name=f"Org {n}"))
    panda_db.session.commit()
    api = call(make_pat(person))
    first = api.get("/api/v1/orgs?limit=2")
    assert [o["name"] for o in first.json["items"]] == ["Org 0", "Org 1"]
    assert first.headers["Link"] == f'<{first.json["next"]}>; rel="next"'
    second = api.get(first.json["next"].replace("http://localhost", ""))
    assert [o["name"] for o in second.json["items"]] == ["Org 2"] and second.json["next"] is None
    assert api.get("/api/v1/orgs?cursor=made-up").status_code == 422
    assert api.get("/api/v1/orgs?limit=1000").status_code == 422


def test_the_vendors_integration_upserts_the_customer_register(client_token, call, make_customer, panda_db):
    from panda_portal.audit.models import AuditEvent
    from panda_portal.organizations.models import CustomerRecord

    make_customer(customer_number="C1", enterprise_number="0403170701", name="Old name")
    panda_db.session.commit()
    api = call(client_token("orgs:admin"))
    response = api.post(
        "/api/v1/vendor/customers",
        json={
            "customers": [
                {"customer_number": "C1", "enterprise_number": "0403.170.701", "name": "New name"},
                {
                    "customer_number": "C2",
                    "enterprise_number": "0403170701",
                    "name": "Second",
                    "contact_email": "boss@example.test",
                    "language": "nl",
                },
                {"customer_number": "C3", "enterprise_number": "123", "name": "Bad number"},
            ]
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["added"] == 1 and response.json["updated"] == 1
    assert [r["index"] for r in response.json["rejected"]] == [2]
    names = dict(panda_db.session.execute(select(CustomerRecord.customer_number, CustomerRecord.name)).all())
    assert names["C1"] == "New name" and names["C2"] == "Second" and "C3" not in names
    labels = panda_db.session.scalars(
        select(AuditEvent.actor_label).where(AuditEvent.action == "customers.imported")
    ).all()
    assert labels and all(label == "client vendor-sync (API)" for label in labels)


def test_the_register_and_all_organizations_are_for_the_vendors_staff_only(
    office, make_account, make_pat, call, client_token
):
    customer_admin = call(make_pat(office.admin))
    assert customer_admin.get("/api/v1/vendor/organizations").status_code == 403
    assert customer_admin.post("/api/v1/vendor/customers", json={"customers": []}).status_code in (403, 422)
    agent = call(make_pat(make_account(support_agent=True)))
    listed = agent.get("/api/v1/vendor/organizations?q=office")
    assert listed.status_code == 200 and [o["name"] for o in listed.json["items"]] == ["Office BV"]
    integration = call(client_token("orgs:read"))
    assert integration.get("/api/v1/vendor/organizations").status_code == 200
    assert integration.post("/api/v1/vendor/customers", json={"customers": []}).status_code == 403
    # A client acting for itself has no organizations of its own to administer.
    assert integration.get(f"/api/v1/orgs/{office.org.id}").status_code == 403


def test_a_sign_in_access_token_for_the_panda_api_works_and_stops_when_revoked(office, call, panda, panda_db):
    from panda_portal.oidc.services import register_client
    from tests.portal.oidc.helpers import Flow, RelyingParty, basic_auth, sign_in_as

    _client, secret = register_client("dashboard", ["https://rp.example.test/callback"], api_scopes=["orgs:read"])
    panda_db.session.commit()
    browser = panda.test_client()
    sign_in_as(browser, office.admin)
    tokens = Flow(browser, RelyingParty("dashboard", secret)).tokens(scope="openid orgs:read")
    api = call(tokens["access_token"])
    assert api.get("/api/v1/orgs").status_code == 200
    assert api.get("/api/v1/me").json["client_id"] == "dashboard"
    browser.post("/revoke", data={"token": tokens["access_token"]}, headers=basic_auth("dashboard", secret))
    assert api.get("/api/v1/orgs").status_code == 401


def test_a_token_for_another_audience_is_refused(office, call, panda, panda_db):
    from panda_portal.oidc.services import register_client
    from tests.portal.oidc.helpers import Flow, RelyingParty, sign_in_as

    _client, secret = register_client("plain", ["https://rp.example.test/callback"])
    panda_db.session.commit()
    browser = panda.test_client()
    sign_in_as(browser, office.admin)
    tokens = Flow(browser, RelyingParty("plain", secret)).tokens()
    assert call(tokens["access_token"]).get("/api/v1/orgs").status_code == 401


def test_what_a_token_may_do_is_read_now_not_when_it_was_made(office, make_pat, call, panda, panda_db):
    from panda_portal.organizations.services.members import remove_member
    from shared.database import utcnow

    member = call(make_pat(office.member))
    assert member.get(f"/api/v1/orgs/{office.org.id}").status_code == 200
    with panda.test_request_context("/"):
        remove_member(office.member_row, actor=office.admin)
    panda_db.session.commit()
    assert member.get(f"/api/v1/orgs/{office.org.id}").status_code == 404
    assert member.get("/api/v1/orgs").json["items"] == []
    office.member.disabled_at = utcnow()
    panda_db.session.commit()
    assert member.get("/api/v1/orgs").status_code == 401


def test_me_says_who_the_token_is(office, make_pat, call, client_token):
    me = call(make_pat(office.admin, scopes=["orgs:read"])).get("/api/v1/me").json
    assert me == {
        "sub": str(office.admin.id),
        "person": True,
        "token_type": "personal_access_token",
        "client_id": None,
        "scopes": ["orgs:read"],
    }
    integration = call(client_token("orgs:read")).get("/api/v1/me").json
    assert integration["sub"] == "vendor-sync" and integration["person"] is False
