"""Invitations by e-mail: sent, accepted once by the invited verified address, expired, withdrawn, sent again."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from flask import g, template_rendered
from sqlalchemy import func, select

from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.models import Invitation, Membership, MembershipStatus, Role
from panda_portal.organizations.services import invitations as service
from shared.database import utcnow
from tests.portal.factories import SUPPORT, switch_to


def sign_out(client) -> None:
    with client.session_transaction() as session:
        session.clear()
    for cached in ("current_account", "org_context", "_flask_babel"):
        g.pop(cached, None)


@pytest.fixture()
def rendered_mails(panda):
    seen: list[tuple[str, str]] = []

    def listener(sender, template, context, **extra):
        if template.name == "emails/invitation.txt":
            seen.append((context.get("to_name", template.name), context.get("current_language")))

    template_rendered.connect(listener, panda)
    yield seen
    template_rendered.disconnect(listener, panda)


@pytest.fixture()
def org_with_admin(make_account, make_org, make_membership, panda_client, login_as):
    admin = make_account(name="Ann Admin", email="ann@example.org", language="nl")
    org = make_org(name="Garage Dubois SRL")
    make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    switch_to(panda_client, login_as, admin)
    return org, admin


def invite_through_the_page(client, org, **data):
    url = f"/orgs/{org.id}/invitations/new"
    form = {"email": "carla@example.org", "role": "member", "applications": [SUPPORT], "language": "fr"} | data
    return client.post_form(url, form, page=url)


def accept_path(mail) -> str:
    return mail.link_path("/invitations/")


def membership_of(panda_db, org, account) -> Membership | None:
    return (
        panda_db.session.execute(
            select(Membership).where(Membership.organization_id == org.id, Membership.account_id == account.id)
        )
        .unique()
        .scalar_one_or_none()
    )


# -- sending -----------------------------------------------------------------------------
def test_the_invite_form_has_every_field_labelled_and_defaults_to_the_admins_language(org_with_admin, panda_client):
    org, _admin = org_with_admin
    html = panda_client.get(f"/orgs/{org.id}/invitations/new").get_data(as_text=True)
    for field_id in ("email", "role-member", "role-admin", "application-support_community", "language"):
        assert f'for="{field_id}"' in html
    assert '<option selected value="nl">' in html or '<option value="nl" selected>' in html


def test_inviting_mails_a_single_use_link_and_stores_only_its_hash(org_with_admin, panda_client, panda_db, deliver):
    org, admin = org_with_admin
    response = invite_through_the_page(panda_client, org, role="admin")
    assert response.status_code == 302
    mail = deliver("carla@example.org")
    path = accept_path(mail)
    token = path.rsplit("/", 1)[-1]
    invitation = panda_db.session.scalars(select(Invitation)).unique().one()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.role == Role.ADMIN
    assert invitation.application_keys == [SUPPORT]
    assert invitation.invited_by_id == admin.id
    assert dt.timedelta(days=6, hours=23) < invitation.expires_at - utcnow() <= dt.timedelta(days=7)
    assert "Garage Dubois SRL" in mail.subject
    recorded = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.created")).one()
    assert recorded.after["email"] == "carla@example.org"
    assert recorded.after["role"] == "admin"
    assert recorded.organization_id == org.id


def test_an_invitation_to_a_stranger_is_written_in_the_language_the_admin_chose(
    org_with_admin, panda_db, rendered_mails
):
    org, admin = org_with_admin
    service.invite(org, email="carla@example.org", role=Role.MEMBER, application_keys=[], language="fr", actor=admin)
    assert rendered_mails[-1][1] == "fr"


def test_an_invitation_to_an_existing_account_is_written_in_its_own_language(
    org_with_admin, make_account, rendered_mails
):
    org, admin = org_with_admin
    make_account(email="dirk@example.org", language="nl")
    service.invite(org, email="Dirk@Example.org", role=Role.MEMBER, application_keys=[], language="fr", actor=admin)
    assert rendered_mails[-1][1] == "nl"


def test_inviting_someone_who_is_already_a_member_creates_nothing(
    org_with_admin, panda_client, panda_db, make_account, make_membership
):
    org, _admin = org_with_admin
    make_membership(make_account(email="bert@example.org"), org)
    response = invite_through_the_page(panda_client, org, email="BERT@example.org")
    assert response.status_code == 409
    assert "bert@example.org is al lid van Garage Dubois SRL." in response.get_data(as_text=True)  # Ann reads Dutch
    assert panda_db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_invalid_address_is_refused_at_the_field(org_with_admin, panda_client, panda_db):
    org, _admin = org_with_admin
    response = invite_through_the_page(panda_client, org, email="not an address")
    assert response.status_code == 400
    assert "Vul een e-mailadres in" in response.get_data(as_text=True)
    assert panda_db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_member_cannot_invite_and_an_outsider_does_not_see_the_page(
    org_with_admin, panda_client, login_as, make_account, make_membership
):
    org, _admin = org_with_admin
    member = make_account()
    make_membership(member, org)
    switch_to(panda_client, login_as, member)
    assert panda_client.get(f"/orgs/{org.id}/invitations/new").status_code == 403
    switch_to(panda_client, login_as, make_account())
    assert panda_client.get(f"/orgs/{org.id}/invitations/new").status_code == 404


# -- accepting ---------------------------------------------------------------------------
def test_the_invited_verified_account_accepts_and_becomes_member_with_the_role_and_access(
    org_with_admin, panda_client, panda_db, login_as, make_account, deliver
):
    org, admin = org_with_admin
    invite_through_the_page(panda_client, org, role="admin")
    path = accept_path(deliver("carla@example.org"))
    carla = make_account(email="carla@example.org", name="Carla")
    switch_to(panda_client, login_as, carla)
    page = panda_client.get(path)
    assert page.status_code == 200
    assert "Garage Dubois SRL" in page.get_data(as_text=True)
    assert "Accept the invitation" in page.get_data(as_text=True)
    response = panda_client.post_form(path, {}, page=path)
    assert response.status_code == 302
    membership = membership_of(panda_db, org, carla)
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.role == Role.ADMIN
    assert membership.granted_keys == {SUPPORT}
    assert membership.active_since is not None
    recorded = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.accepted")).one()
    assert recorded.actor_id == carla.id
    assert recorded.after["role"] == "admin"
    assert "Carla" in deliver("ann@example.org").subject


def test_the_link_works_once(org_with_admin, panda_client, panda_db, login_as, make_account, deliver):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    path = accept_path(deliver("carla@example.org"))
    carla = make_account(email="carla@example.org")
    switch_to(panda_client, login_as, carla)
    panda_client.post_form(path, {}, page=path)
    again = panda_client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_another_signed_in_account_is_told_the_invitation_is_for_another_address(
    org_with_admin, panda_client, panda_db, login_as, make_account, deliver
):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    path = accept_path(deliver("carla@example.org"))
    dirk = make_account(email="dirk@example.org")
    switch_to(panda_client, login_as, dirk)
    html = panda_client.get(path).get_data(as_text=True)
    assert "This invitation is for carla@example.org, but you are signed in as dirk@example.org." in html
    assert "Sign out" in html
    assert "Accept the invitation" not in html
    panda_client.post_form(path, {}, page=path)
    assert membership_of(panda_db, org, dirk) is None
    invitation = panda_db.session.scalars(select(Invitation)).unique().one()
    assert invitation.accepted_at is None


def test_an_unverified_account_cannot_accept(org_with_admin, panda_db, make_account):
    org, admin = org_with_admin
    invitation = service.invite(
        org, email="carla@example.org", role=Role.MEMBER, application_keys=[], language="en", actor=admin
    )
    carla = make_account(email="carla@example.org", verified=False)
    with pytest.raises(service.UnverifiedAccountError):
        service.accept_invitation(invitation, actor=carla)
    assert membership_of(panda_db, org, carla) is None


def test_a_visitor_who_is_not_signed_in_is_offered_to_sign_in_or_register_with_the_invited_address(
    org_with_admin, panda_client, deliver
):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    path = accept_path(deliver("carla@example.org"))
    sign_out(panda_client)
    page = panda_client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/sign-in?next={path}"' in html
    assert f'href="/register?next={path}&amp;email=carla@example.org"' in html
    response = panda_client.post_form(path, {}, page=path)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_an_invitee_who_registers_later_can_accept_with_the_same_link(
    org_with_admin, panda_client, panda_db, login_as, make_account, deliver
):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    path = accept_path(deliver("carla@example.org"))
    sign_out(panda_client)
    assert panda_client.get(path).status_code == 200
    carla = make_account(email="carla@example.org", language="fr")  # registered and verified meanwhile
    switch_to(panda_client, login_as, carla)
    panda_client.post_form(path, {}, page=path)
    assert membership_of(panda_db, org, carla).status == MembershipStatus.ACTIVE


def test_accepting_turns_a_pending_request_into_the_invited_membership(
    org_with_admin, panda_db, make_account, make_membership
):
    org, admin = org_with_admin
    carla = make_account(email="carla@example.org")
    request = make_membership(carla, org, status=MembershipStatus.PENDING)
    invitation = service.invite(
        org, email=carla.email, role=Role.MEMBER, application_keys=[SUPPORT], language="en", actor=admin
    )
    membership = service.accept_invitation(invitation, actor=carla)
    assert membership.id == request.id
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.granted_keys == {SUPPORT}


def test_an_expired_invitation_shows_a_clear_page(
    org_with_admin, panda_client, panda_db, login_as, make_account, deliver
):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    path = accept_path(deliver("carla@example.org"))
    invitation = panda_db.session.scalars(select(Invitation)).unique().one()
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    panda_db.session.flush()
    switch_to(panda_client, login_as, make_account(email="carla@example.org"))
    page = panda_client.get(path)
    assert page.status_code == 410
    assert "This invitation has expired." in page.get_data(as_text=True)
    assert panda_client.post_form(path, {}, page="/sign-in").status_code == 410


def test_a_withdrawn_invitation_no_longer_works(
    org_with_admin, panda_client, panda_db, login_as, make_account, deliver
):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    path = accept_path(deliver("carla@example.org"))
    invitation = panda_db.session.scalars(select(Invitation)).unique().one()
    members_url = f"/orgs/{org.id}/members"
    response = panda_client.post_form(f"/orgs/{org.id}/invitations/{invitation.id}/revoke", {}, page=members_url)
    assert response.status_code == 302
    assert invitation.revoked_at is not None
    assert f"/invitations/{invitation.id}/revoke" not in panda_client.get(members_url).get_data(as_text=True)
    switch_to(panda_client, login_as, make_account(email="carla@example.org"))
    page = panda_client.get(path)
    assert page.status_code == 410
    assert "withdrawn" in page.get_data(as_text=True)


def test_sending_again_gives_a_new_link_and_the_old_one_stops_working(
    org_with_admin, panda_client, panda_db, login_as, make_account, deliver, mail_sink
):
    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org)
    old_path = accept_path(deliver("carla@example.org"))
    invitation = panda_db.session.scalars(select(Invitation)).unique().one()
    invitation.expires_at = utcnow() - dt.timedelta(days=1)  # sending again also renews an expired one
    panda_db.session.flush()
    members_url = f"/orgs/{org.id}/members"
    response = panda_client.post_form(f"/orgs/{org.id}/invitations/{invitation.id}/resend", {}, page=members_url)
    assert response.status_code == 302
    new_path = accept_path(deliver("carla@example.org"))
    assert new_path != old_path
    assert len(mail_sink.to("carla@example.org")) == 2
    assert invitation.expires_at > utcnow() + dt.timedelta(days=6)
    carla = make_account(email="carla@example.org")
    switch_to(panda_client, login_as, carla)
    assert panda_client.get(old_path).status_code == 404
    assert panda_client.get(new_path).status_code == 200
    panda_client.post_form(new_path, {}, page=new_path)
    assert membership_of(panda_db, org, carla).status == MembershipStatus.ACTIVE


def test_inviting_the_same_address_again_replaces_the_open_invitation(org_with_admin, panda_db):
    org, admin = org_with_admin
    first = service.invite(
        org, email="carla@example.org", role=Role.MEMBER, application_keys=[], language="en", actor=admin
    )
    second = service.invite(
        org, email="carla@example.org", role=Role.ADMIN, application_keys=[SUPPORT], language="en", actor=admin
    )
    assert first.revoked_at is not None
    assert service.invitation_status(second) == service.OPEN


def test_an_invitation_of_another_organization_cannot_be_withdrawn_from_here(
    org_with_admin, panda_client, make_org, make_account, make_membership
):
    org, _admin = org_with_admin
    other_org = make_org()
    other_admin = make_account()
    make_membership(other_admin, other_org, role=Role.ADMIN)
    foreign = service.invite(
        other_org, email="x@example.org", role=Role.MEMBER, application_keys=[], language="en", actor=other_admin
    )
    members_url = f"/orgs/{org.id}/members"
    response = panda_client.post_form(f"/orgs/{org.id}/invitations/{foreign.id}/revoke", {}, page=members_url)
    assert response.status_code == 404
    assert foreign.revoked_at is None


@pytest.mark.parametrize("token", ["nonsense", "x" * 500, "%E2%82%AC"])
def test_a_wrong_link_shows_a_clear_page(panda_client, token):
    response = panda_client.get(f"/invitations/{token}")
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.get_data(as_text=True)


def test_a_link_with_a_nul_byte_is_refused_as_malformed(panda_client):
    assert panda_client.get("/invitations/%00").status_code == 400


def test_an_invitee_without_an_account_registers_from_the_mail_confirms_signs_in_and_accepts(
    org_with_admin, panda_client, panda_db, deliver
):
    from panda_portal.accounts.models import Account
    from tests.portal.factories import PASSWORD

    org, _admin = org_with_admin
    invite_through_the_page(panda_client, org, role="admin")
    path = accept_path(deliver("carla@example.org"))
    sign_out(panda_client)
    invitation_page = panda_client.get(path).get_data(as_text=True)
    register_url = re.search(r'href="(/register\?[^"]+)"', invitation_page).group(1).replace("&amp;", "&")
    panda_client.post_form(
        register_url,
        {"email": "carla@example.org", "name": "Carla", "password": PASSWORD, "language": "fr", "next": path},
        page=register_url,
    )
    # Not confirmed yet: the account cannot sign in, so it cannot accept.
    carla = panda_db.session.scalars(select(Account).where(Account.email == "carla@example.org")).one()
    assert not carla.is_verified
    confirm = deliver("carla@example.org").link_path("/verify/")
    confirmed = panda_client.post_form(confirm, {}, page=confirm)
    assert confirmed.location.startswith("/sign-in?next=")
    signed_in = panda_client.post_form(
        "/sign-in", {"email": "carla@example.org", "password": PASSWORD, "next": path}, page=confirmed.location
    )
    assert signed_in.location == path
    for cached in ("current_account", "org_context", "_flask_babel"):
        g.pop(cached, None)
    assert "Accepter l'invitation" in panda_client.get(path).get_data(as_text=True)  # Carla chose French
    panda_client.post_form(path, {}, page=path)
    membership = membership_of(panda_db, org, carla)
    assert membership.status == MembershipStatus.ACTIVE and membership.role == Role.ADMIN
