"""An invitation holds only while whoever sent it administers the organization.

Removing an administrator, demoting one, one stepping down or leaving withdraws the
invitations they sent that were not accepted yet; the members page lists them, and the
link says why it no longer works. A disabled sender's invitations cannot be accepted either.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.models import Invitation, Role
from panda_portal.organizations.services import invitations, members
from tests.portal.factories import SUPPORT, switch_to

GONE = "the administrator who sent it no longer manages the organization"


@pytest.fixture()
def board(make_account, make_org, make_membership, panda_db):
    """Two administrators of one organization; Bert invited Carla as administrator, Ann invited Dirk."""
    ann = make_account(name="Ann Admin", email="ann@example.org")
    bert = make_account(name="Bert Beheerder", email="bert@example.org")
    org = make_org(name="Garage Dubois SRL")
    make_membership(ann, org, role=Role.ADMIN, grants=[SUPPORT])
    bert_membership = make_membership(bert, org, role=Role.ADMIN, grants=[SUPPORT])
    by_bert = invitations.invite(
        org, email="carla@example.org", role=Role.ADMIN, application_keys=[SUPPORT], language="nl", actor=bert
    )
    by_ann = invitations.invite(
        org, email="dirk@example.org", role=Role.MEMBER, application_keys=[], language="en", actor=ann
    )
    panda_db.session.commit()
    return SimpleNamespace(ann=ann, bert=bert, org=org, bert_membership=bert_membership, by_bert=by_bert, by_ann=by_ann)


def withdrawn(panda_db, invitation: Invitation) -> bool:
    panda_db.session.refresh(invitation)
    return invitation.revoked_at is not None


@pytest.mark.parametrize(
    "change",
    [
        lambda b: members.remove_member(b.bert_membership, actor=b.ann),
        lambda b: members.update_membership(
            b.bert_membership, role=Role.MEMBER, application_keys=[SUPPORT], actor=b.ann
        ),
        lambda b: members.step_down(b.bert_membership, actor=b.bert),
        lambda b: members.leave_organization(b.bert_membership, actor=b.bert),
    ],
    ids=["removed", "demoted", "stepped down", "left"],
)
def test_an_administrator_who_stops_administering_takes_their_open_invitations_along(panda, panda_db, board, change):
    change(board)
    panda_db.session.commit()

    assert withdrawn(panda_db, board.by_bert)
    assert board.by_bert.revoked_reason == members.INVITER_NOT_ADMINISTRATOR
    assert not withdrawn(panda_db, board.by_ann)  # Ann still administers: hers holds
    event = panda_db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "invitation.revoked", AuditEvent.target_id == str(board.by_bert.id)
        )
    ).one()
    assert event.after == {"status": "revoked", "reason": members.INVITER_NOT_ADMINISTRATOR}


def test_an_accepted_invitation_stays_accepted_when_its_sender_goes(panda, panda_db, board, make_account):
    carla = make_account(email="carla@example.org")
    invitations.accept_invitation(board.by_bert, actor=carla)
    members.remove_member(board.bert_membership, actor=board.ann)
    panda_db.session.commit()

    panda_db.session.refresh(board.by_bert)
    assert board.by_bert.accepted_at is not None and board.by_bert.revoked_at is None


def test_the_link_of_a_withdrawn_invitation_says_why_and_cannot_be_accepted(
    panda, panda_client, panda_db, board, make_account, login_as
):
    token = "carla-s-token"
    board.by_bert.token_hash = invitations.hash_token(token)
    members.remove_member(board.bert_membership, actor=board.ann)
    carla = make_account(email="carla@example.org")
    switch_to(panda_client, login_as, carla)

    page = panda_client.get(f"/invitations/{token}")

    assert page.status_code == 410
    assert GONE in page.get_data(as_text=True)
    assert panda_client.post_form(f"/invitations/{token}", {}, page="/").status_code == 410
    with pytest.raises(invitations.InvitationClosedError):
        invitations.accept_invitation(board.by_bert, actor=carla)


def test_an_invitation_from_a_disabled_administrator_cannot_be_accepted(panda, panda_db, board, make_account):
    from panda_portal.accounts.services.administration import disable_account

    disable_account(board.bert, actor=None)
    carla = make_account(email="carla@example.org")

    assert invitations.current_status(board.by_bert) == invitations.INVITER_GONE
    with pytest.raises(invitations.InvitationClosedError) as refused:
        invitations.check_acceptance(board.by_bert, carla)
    assert GONE in refused.value.message


def test_the_members_page_lists_what_was_withdrawn_with_its_sender(panda, panda_client, panda_db, board, login_as):
    members.remove_member(board.bert_membership, actor=board.ann)
    switch_to(panda_client, login_as, board.ann)

    page = panda_client.get(f"/orgs/{board.org.id}/members").get_data(as_text=True)

    withdrawn_part = page.split("Withdrawn because their sender is no longer an administrator", 1)[1]
    assert "carla@example.org" in withdrawn_part and "Bert Beheerder" in withdrawn_part
    assert "Invite carla@example.org again" in withdrawn_part
    assert "dirk@example.org" not in withdrawn_part  # Ann's is still open, above


def test_the_removal_page_says_how_many_invitations_go_with_the_administrator(
    panda, panda_client, panda_db, board, login_as
):
    switch_to(panda_client, login_as, board.ann)

    page = panda_client.get(f"/orgs/{board.org.id}/members/{board.bert_membership.id}/remove").get_data(as_text=True)

    assert "The invitation Bert Beheerder sent that has not been accepted yet will be withdrawn." in page
