"""The members list and the member detail screen: roles, application access with a confirmation, removal."""

from __future__ import annotations

import functools
import re

import pytest
from flask import g, template_rendered
from sqlalchemy import event, select

from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.models import Application, Membership, MembershipStatus, Role
from panda_portal.organizations.services import access_changes
from panda_portal.organizations.services import members as service
from tests.portal.factories import SUPPORT, switch_to


# -- helpers -----------------------------------------------------------------------------
@pytest.fixture()
def academy(panda_db, applications):
    """A second application, so granting one and removing another can be seen together."""
    app = Application(
        key="academy",
        name_en="Academy",
        name_nl="Academie",
        name_fr="Académie",
        description_en="Online courses.",
        position=20,
    )
    panda_db.session.add(app)
    panda_db.session.flush()
    return app


@pytest.fixture()
def team(make_account, make_org, make_membership, panda_client, login_as):
    """An organization with a signed-in administrator and a Dutch-speaking member without access."""
    admin = make_account(name="Ann Admin", email="ann@example.org")
    member = make_account(name="Bert Member", email="bert@example.org", language="nl")
    org = make_org(name="Bakkerij Peeters BV")
    admin_membership = make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    member_membership = make_membership(member, org, role=Role.MEMBER)
    switch_to(panda_client, login_as, admin)

    class Team:
        pass

    t = Team()
    t.admin, t.member, t.org = admin, member, org
    t.admin_membership, t.member_membership = admin_membership, member_membership
    t.detail_url = f"/orgs/{org.id}/members/{member_membership.id}"
    return t


@pytest.fixture()
def reductions(monkeypatch):
    """Every call to the community hook ``access_reduced``, as (account email, organization, reason)."""
    calls: list[tuple[str, str, str]] = []

    def spy(account, organization, *, reason):
        calls.append((account.email, organization.name, reason))

    monkeypatch.setattr(access_changes, "access_reduced", spy)
    return calls


@pytest.fixture()
def rendered_mails(panda):
    """(template name, current_language) of every e-mail template rendered."""
    seen: list[tuple[str, str]] = []

    def listener(sender, template, context, **extra):
        if (
            template.name
            and template.name.startswith("emails/")
            and template.name.endswith(".txt")
            and ".subject." not in template.name
        ):
            seen.append((template.name, context.get("current_language")))

    template_rendered.connect(listener, panda)
    yield seen
    template_rendered.disconnect(listener, panda)


def events(panda_db, action: str) -> list[AuditEvent]:
    return list(panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- members list ------------------------------------------------------------------------
def test_the_members_list_shows_name_email_role_since_and_application_access(team, panda_client):
    page = panda_client.get(f"/orgs/{team.org.id}/members")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "Ann Admin",
        "ann@example.org",
        "Bert Member",
        "bert@example.org",
        "Administrator",
        "Member",
        "Support Community",
    ):
        assert text in html
    assert f"/orgs/{team.org.id}/members/{team.member_membership.id}" in html


def test_the_members_list_shows_open_invitations_with_send_again_and_withdraw(team, panda_client, panda_db):
    from panda_portal.organizations.services.invitations import invite

    invitation = invite(
        team.org,
        email="carla@example.org",
        role=Role.ADMIN,
        application_keys=[SUPPORT],
        language="fr",
        actor=team.admin,
    )
    html = panda_client.get(f"/orgs/{team.org.id}/members").get_data(as_text=True)
    assert "carla@example.org" in html
    assert f"/orgs/{team.org.id}/invitations/{invitation.id}/resend" in html
    assert f"/orgs/{team.org.id}/invitations/{invitation.id}/revoke" in html


def test_the_members_list_links_pending_requests_to_the_decision(team, panda_client, make_account, make_membership):
    requester = make_account(name="Dirk Requester")
    request = make_membership(requester, team.org, status=MembershipStatus.PENDING)
    html = panda_client.get(f"/orgs/{team.org.id}/members").get_data(as_text=True)
    assert "Dirk Requester" in html
    assert f"/orgs/{team.org.id}/requests/{request.id}" in html


def count_queries(panda_db, action) -> int:
    engine = panda_db.engine
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    panda_db.session.flush()
    for cached in ("current_account", "org_context", "_flask_babel"):
        g.pop(cached, None)
    event.listen(engine, "before_cursor_execute", before)
    try:
        response = action()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len(statements)


def test_the_members_list_reads_the_same_number_of_rows_for_1_10_and_100_members(
    panda_client, panda_db, make_account, make_org, make_membership, login_as
):
    admin = make_account()
    counts = []
    for size in (1, 10, 100):
        org = make_org()
        make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
        for _ in range(size - 1):
            make_membership(make_account(), org, grants=[SUPPORT])
        login_as(panda_client, admin)
        url = f"/orgs/{org.id}/members"
        panda_client.get(url)  # the session's first use after sign-in refreshes its expiry
        counts.append(count_queries(panda_db, functools.partial(panda_client.get, url)))
    assert counts[0] == counts[1] == counts[2]


def test_only_administrators_see_the_members_list(team, panda_client, login_as, make_account):
    switch_to(panda_client, login_as, team.member)
    assert panda_client.get(f"/orgs/{team.org.id}/members").status_code == 403
    switch_to(panda_client, login_as, make_account())
    assert panda_client.get(f"/orgs/{team.org.id}/members").status_code == 404


# -- member detail -----------------------------------------------------------------------
def test_the_detail_screen_offers_the_support_community_checkbox(team, panda_client):
    html = panda_client.get(team.detail_url).get_data(as_text=True)
    assert re.search(
        r'<input type="checkbox" name="applications" id="application-support_community"\s+'
        r'value="support_community"',
        html,
    )
    assert '<label for="application-support_community">' in html
    assert "checked" not in html.split('id="application-support_community"')[1].split(">")[0]


def test_the_detail_screen_shows_application_names_in_the_viewers_language(
    team, panda_client, academy, login_as, panda_db
):
    team.admin.language = "nl"
    panda_db.session.flush()
    assert "Academie" in panda_client.get(team.detail_url).get_data(as_text=True)


def test_ticking_an_access_asks_for_confirmation_before_anything_changes(team, panda_client, panda_db):
    response = panda_client.post_form(
        team.detail_url, {"role": "member", "applications": [SUPPORT]}, page=team.detail_url
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You grant access to Support Community." in html
    assert 'name="confirmed" value="yes"' in html
    panda_db.session.expire_all()
    assert team.member_membership.granted_keys == set()


def test_confirming_grants_the_access_mails_the_member_and_records_it(
    team, panda_client, panda_db, deliver, mail_sink, rendered_mails
):
    response = panda_client.post_form(
        team.detail_url, {"role": "member", "applications": [SUPPORT], "confirmed": "yes"}, page=team.detail_url
    )
    assert response.status_code == 302
    panda_db.session.expire_all()
    assert team.member_membership.granted_keys == {SUPPORT}
    grant = team.member_membership.grants[0]
    assert grant.granted_by_id == team.admin.id
    [recorded] = events(panda_db, "membership.access_changed")
    assert recorded.before == {"applications": []}
    assert recorded.after == {"applications": [SUPPORT]}
    assert recorded.actor_id == team.admin.id
    assert recorded.subject_account_id == team.member.id
    assert recorded.organization_id == team.org.id
    assert ("emails/access_granted.txt", "nl") in rendered_mails
    deliver()
    mail = mail_sink.last_to("bert@example.org")
    assert "Support Community" in mail.text
    assert mail.link_path().startswith("/")


def test_granting_one_access_and_removing_another_is_summarised_and_both_are_mailed(
    team, panda_client, panda_db, academy, reductions, rendered_mails
):
    team.member_membership.grants = []
    from panda_portal.organizations.models import ApplicationGrant

    team.member_membership.grants.append(ApplicationGrant(application_key="academy"))
    panda_db.session.flush()
    data = {"role": "member", "applications": [SUPPORT]}
    html = panda_client.post_form(team.detail_url, data, page=team.detail_url).get_data(as_text=True)
    assert "You grant access to Support Community." in html
    assert "You remove access to Academy." in html
    panda_client.post_form(team.detail_url, data | {"confirmed": "yes"}, page=team.detail_url)
    panda_db.session.expire_all()
    assert team.member_membership.granted_keys == {SUPPORT}
    assert ("emails/access_granted.txt", "nl") in rendered_mails
    assert ("emails/access_removed.txt", "nl") in rendered_mails
    assert reductions == [("bert@example.org", "Bakkerij Peeters BV", access_changes.ACCESS_REMOVED)]


def test_unticking_an_access_tells_the_community_hook(team, panda_client, panda_db, reductions):
    service.update_membership(team.member_membership, role=Role.MEMBER, application_keys=[SUPPORT], actor=team.admin)
    assert reductions == []
    panda_client.post_form(team.detail_url, {"role": "member", "confirmed": "yes"}, page=team.detail_url)
    panda_db.session.expire_all()
    assert team.member_membership.granted_keys == set()
    assert reductions == [("bert@example.org", "Bakkerij Peeters BV", access_changes.ACCESS_REMOVED)]


def test_a_tampered_hidden_field_on_the_confirmation_page_is_refused(team, panda_client, panda_db):
    response = panda_client.post_form(
        team.detail_url, {"role": "member", "applications": ["payroll"], "confirmed": "yes"}, page=team.detail_url
    )
    assert response.status_code == 400
    response = panda_client.post_form(team.detail_url, {"role": "owner", "confirmed": "yes"}, page=team.detail_url)
    assert response.status_code == 400
    panda_db.session.expire_all()
    assert team.member_membership.role == Role.MEMBER
    assert team.member_membership.granted_keys == set()


def test_a_post_without_the_csrf_token_changes_nothing(team, panda_client, panda_db):
    response = panda_client.post(team.detail_url, data={"role": "admin", "confirmed": "yes"})
    assert response.status_code == 400
    panda_db.session.expire_all()
    assert team.member_membership.role == Role.MEMBER


def test_confirming_without_changes_says_nothing_changed(team, panda_client):
    response = panda_client.post_form(team.detail_url, {"role": "member"}, page=team.detail_url, follow_redirects=True)
    assert "Nothing was changed." in response.get_data(as_text=True)


def test_making_a_member_administrator_mails_them_in_their_language(
    team, panda_client, panda_db, rendered_mails, reductions
):
    html = panda_client.post_form(team.detail_url, {"role": "admin"}, page=team.detail_url).get_data(as_text=True)
    assert "Role: Member → Administrator" in html
    panda_client.post_form(team.detail_url, {"role": "admin", "confirmed": "yes"}, page=team.detail_url)
    panda_db.session.expire_all()
    assert team.member_membership.role == Role.ADMIN
    [recorded] = events(panda_db, "membership.role_changed")
    assert (recorded.before, recorded.after) == ({"role": "member"}, {"role": "admin"})
    assert ("emails/role_changed.txt", "nl") in rendered_mails
    assert reductions == []


def test_demoting_an_administrator_tells_the_community_hook(
    team, panda_db, reductions, make_account, make_membership, rendered_mails
):
    other = make_membership(make_account(email="cis@example.org", language="fr"), team.org, role=Role.ADMIN)
    service.update_membership(other, role=Role.MEMBER, application_keys=[], actor=team.admin)
    assert other.role == Role.MEMBER
    assert reductions == [("cis@example.org", "Bakkerij Peeters BV", access_changes.ROLE_CHANGED)]
    assert ("emails/role_changed.txt", "fr") in rendered_mails


def test_a_membership_of_another_organization_is_not_found(team, panda_client, make_org, make_account, make_membership):
    elsewhere = make_membership(make_account(), make_org())
    assert panda_client.get(f"/orgs/{team.org.id}/members/{elsewhere.id}").status_code == 404
    assert panda_client.get(f"/orgs/{team.org.id}/members/not-a-uuid").status_code == 404
    response = panda_client.post_form(f"/orgs/{team.org.id}/members/{elsewhere.id}/remove", {}, page=team.detail_url)
    assert response.status_code == 404


def test_a_member_who_is_not_an_administrator_cannot_manage_members(team, panda_client, login_as):
    switch_to(panda_client, login_as, team.member)
    assert panda_client.get(f"/orgs/{team.org.id}/members/{team.admin_membership.id}").status_code == 403
    assert panda_client.get(f"/orgs/{team.org.id}/members/{team.admin_membership.id}/remove").status_code == 403


def test_someone_outside_the_organization_does_not_learn_it_exists(team, panda_client, login_as, make_account):
    switch_to(panda_client, login_as, make_account())
    assert panda_client.get(team.detail_url).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(team, panda_client):
    with panda_client.session_transaction() as session:
        session.clear()
    g.pop("current_account", None)
    response = panda_client.get(team.detail_url)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_removing_a_member_asks_first_then_removes_mails_and_tells_the_community(
    team, panda_client, panda_db, reductions, rendered_mails, deliver, mail_sink
):
    team.member_membership.grants = []
    from panda_portal.organizations.models import ApplicationGrant

    team.member_membership.grants.append(ApplicationGrant(application_key=SUPPORT))
    panda_db.session.flush()
    remove_url = f"{team.detail_url}/remove"
    page = panda_client.get(remove_url)
    assert page.status_code == 200
    assert "Remove Bert Member" in page.get_data(as_text=True)
    response = panda_client.post_form(remove_url, {}, page=remove_url)
    assert response.status_code == 302
    panda_db.session.expire_all()
    membership = panda_db.session.get(Membership, team.member_membership.id)
    assert membership.status == MembershipStatus.REMOVED
    assert membership.granted_keys == set()
    [recorded] = events(panda_db, "membership.removed")
    assert recorded.before == {"status": "active", "role": "member", "applications": [SUPPORT]}
    assert recorded.after["status"] == "removed"
    assert reductions == [("bert@example.org", "Bakkerij Peeters BV", access_changes.REMOVED)]
    assert ("emails/member_removed.txt", "nl") in rendered_mails
    deliver()
    assert "Bakkerij Peeters BV" in mail_sink.last_to("bert@example.org").subject
    assert panda_client.get(team.detail_url).status_code == 404
