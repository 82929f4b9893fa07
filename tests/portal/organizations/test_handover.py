"""Hand-over: administrators step down or leave once another administrator exists; members leave."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.models import MembershipStatus, Role
from panda_portal.organizations.services import access_changes
from panda_portal.organizations.services import members as service
from tests.portal.factories import SUPPORT, switch_to


@pytest.fixture()
def reductions(monkeypatch):
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(
        access_changes, "access_reduced", lambda account, organization, *, reason: calls.append((account.email, reason))
    )
    return calls


@pytest.fixture()
def org(make_org):
    return make_org(name="Brouwerij De Smedt NV")


@pytest.fixture()
def ann(make_account, make_membership, org):
    account = make_account(name="Ann", email="ann@example.org")
    return make_membership(account, org, role=Role.ADMIN, grants=[SUPPORT])


@pytest.fixture()
def bert(make_account, make_membership, org):
    account = make_account(name="Bert", email="bert@example.org")
    return make_membership(account, org, role=Role.MEMBER, grants=[SUPPORT])


# -- stepping down -----------------------------------------------------------------------
def test_an_administrator_steps_down_once_another_administrator_exists(
    org, ann, bert, panda_client, panda_db, login_as, reductions
):
    service.update_membership(bert, role=Role.ADMIN, application_keys=[SUPPORT], actor=ann.account)
    switch_to(panda_client, login_as, ann.account)
    url = f"/orgs/{org.id}/step-down"
    assert "Step down" in panda_client.get(url).get_data(as_text=True)
    response = panda_client.post_form(url, {}, page=url)
    assert response.status_code == 302
    panda_db.session.expire_all()
    assert ann.role == Role.MEMBER
    assert ann.status == MembershipStatus.ACTIVE
    assert ann.granted_keys == {SUPPORT}
    recorded = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.stepped_down")).one()
    assert (recorded.before, recorded.after) == ({"role": "admin"}, {"role": "member"})
    assert reductions == [("ann@example.org", access_changes.ROLE_CHANGED)]


def test_the_last_administrator_is_told_to_appoint_another_first_and_cannot_step_down(
    org, ann, bert, panda_client, panda_db, login_as, reductions
):
    switch_to(panda_client, login_as, ann.account)
    url = f"/orgs/{org.id}/step-down"
    page = panda_client.get(url).get_data(as_text=True)
    assert "You are the only administrator of Brouwerij De Smedt NV." in page
    assert f"/orgs/{org.id}/invitations/new?role=admin" in page
    response = panda_client.post_form(url, {}, page=f"/orgs/{org.id}/members", follow_redirects=True)
    assert "appoint another administrator first" in response.get_data(as_text=True)
    panda_db.session.expire_all()
    assert ann.role == Role.ADMIN
    assert reductions == []


def test_the_last_administrator_cannot_leave(org, ann, bert, panda_client, panda_db, login_as):
    switch_to(panda_client, login_as, ann.account)
    url = f"/orgs/{org.id}/leave"
    response = panda_client.post_form(url, {}, page=f"/orgs/{org.id}/members", follow_redirects=True)
    assert "appoint another administrator first" in response.get_data(as_text=True)
    panda_db.session.expire_all()
    assert ann.status == MembershipStatus.ACTIVE


def test_the_last_administrator_cannot_be_demoted(org, ann, bert, panda_client, panda_db, login_as):
    switch_to(panda_client, login_as, ann.account)
    url = f"/orgs/{org.id}/members/{ann.id}"
    response = panda_client.post_form(url, {"role": "member", "applications": [SUPPORT]}, page=url)
    assert response.status_code == 409
    assert "appoint another administrator first" in response.get_data(as_text=True)
    response = panda_client.post_form(url, {"role": "member", "applications": [SUPPORT], "confirmed": "yes"}, page=url)
    assert response.status_code == 409
    panda_db.session.expire_all()
    assert ann.role == Role.ADMIN


def test_the_last_administrator_cannot_be_removed(org, ann, bert, panda_db):
    with pytest.raises(service.LastAdministratorError):
        service.remove_member(ann, actor=bert.account)
    with pytest.raises(service.LastAdministratorError):
        service.update_membership(ann, role=Role.MEMBER, application_keys=[], actor=ann.account)
    assert ann.status == MembershipStatus.ACTIVE and ann.role == Role.ADMIN


def test_a_removed_or_pending_administrator_does_not_count(org, ann, panda_db, make_account, make_membership):
    make_membership(make_account(), org, role=Role.ADMIN, status=MembershipStatus.REMOVED)
    make_membership(make_account(), org, role=Role.ADMIN, status=MembershipStatus.PENDING)
    with pytest.raises(service.LastAdministratorError):
        service.step_down(ann, actor=ann.account)


def test_one_administrator_removes_another(org, ann, make_account, make_membership, reductions):
    carla = make_membership(make_account(email="carla@example.org"), org, role=Role.ADMIN)
    service.remove_member(carla, actor=ann.account)
    assert carla.status == MembershipStatus.REMOVED
    assert carla.role == Role.MEMBER  # a later request to join brings no role back
    assert reductions == [("carla@example.org", access_changes.REMOVED)]


# -- leaving -----------------------------------------------------------------------------
def test_a_member_leaves(org, ann, bert, panda_client, panda_db, login_as, reductions):
    switch_to(panda_client, login_as, bert.account)
    url = f"/orgs/{org.id}/leave"
    assert "Leave Brouwerij De Smedt NV" in panda_client.get(url).get_data(as_text=True)
    response = panda_client.post_form(url, {}, page=url)
    assert response.status_code == 302
    panda_db.session.expire_all()
    assert bert.status == MembershipStatus.REMOVED
    assert bert.granted_keys == set()
    recorded = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.left")).one()
    assert recorded.actor_id == bert.account_id
    assert reductions == [("bert@example.org", access_changes.LEFT)]
    for cached in ("org_context",):
        g.pop(cached, None)
    assert panda_client.get(url).status_code == 404


def test_an_administrator_leaves_once_another_administrator_exists(org, ann, bert, panda_client, panda_db, login_as):
    service.update_membership(bert, role=Role.ADMIN, application_keys=[], actor=ann.account)
    switch_to(panda_client, login_as, ann.account)
    url = f"/orgs/{org.id}/leave"
    assert panda_client.post_form(url, {}, page=url).status_code == 302
    panda_db.session.expire_all()
    assert ann.status == MembershipStatus.REMOVED
    assert service.active_administrator_count(org.id) == 1


def test_only_the_person_themselves_leaves_or_steps_down(org, ann, bert):
    with pytest.raises(service.MembershipError):
        service.leave_organization(bert, actor=ann.account)
    with pytest.raises(service.MembershipError):
        service.step_down(ann, actor=bert.account)


def test_a_member_cannot_step_down_and_an_outsider_cannot_leave(org, ann, bert, panda_client, login_as, make_account):
    switch_to(panda_client, login_as, bert.account)
    assert panda_client.get(f"/orgs/{org.id}/step-down").status_code == 403
    switch_to(panda_client, login_as, make_account())
    assert panda_client.get(f"/orgs/{org.id}/leave").status_code == 404


def test_removing_yourself_from_the_detail_screen_is_leaving(org, ann, panda_client, login_as):
    switch_to(panda_client, login_as, ann.account)
    response = panda_client.get(f"/orgs/{org.id}/members/{ann.id}/remove")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orgs/{org.id}/leave")
