"""For an organization's administrators (``orgs:admin``): members, application access, requests, invitations.

Each route carries the same capability as its page (``org.members.view``, ``org.members.manage``,
``org.requests.decide``, ``org.invitations.manage``) and calls the same service; an
organization the caller is not a member of is a 404, as are members, requests and
invitations of another organization.
"""

from __future__ import annotations

import uuid

from flask import abort, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from panda_portal.api import schemas
from panda_portal.api.app import api
from panda_portal.api.common import acting_person, answer, offset_of, organization, page_of, paged
from panda_portal.extensions import db
from panda_portal.organizations.models import Invitation, Membership, MembershipStatus, Organization
from panda_portal.organizations.services import invitations as invitation_service
from panda_portal.organizations.services import joining
from panda_portal.organizations.services import members as member_service
from shared.access import api_scope
from shared.api import Answer, check_if_match, etag_of, json_body, operation, query_args

bp = api.blueprint
ETAG_HEADER = {"ETag": "The member's current version, for If-Match."}


def member_out(membership: Membership) -> schemas.Member:
    return schemas.Member(
        id=membership.id,
        account_id=membership.account_id,
        name=membership.account.name,
        email=membership.account.email,
        role=str(membership.role),  # type: ignore[arg-type]
        applications=sorted(membership.granted_keys),
        active_since=membership.active_since,
    )


def member_etag(membership: Membership) -> str:
    return etag_of(membership.id, membership.role, membership.status, *sorted(membership.granted_keys))


def active_member_or_404(membership_id: uuid.UUID) -> Membership:
    membership = member_service.find_membership(organization(), membership_id)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        abort(404)
    return membership


def locked_member_or_404(membership_id: uuid.UUID) -> Membership:
    """The active member as committed, with the organization locked until the commit (as the services lock it).

    So two changes made from one copy cannot both pass ``If-Match``: the second reads what the first wrote.
    """
    db.session.execute(select(Organization.id).where(Organization.id == organization().id).with_for_update())
    membership = (
        db.session.execute(
            select(Membership)
            .where(Membership.id == membership_id, Membership.organization_id == organization().id)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one_or_none()
    )
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        abort(404)
    return membership


def _member_answer(membership: Membership) -> ResponseReturnValue:
    return answer(member_out(membership), headers={"ETag": member_etag(membership)})


# -- members -------------------------------------------------------------------------------
@bp.get("/orgs/<uuid:org_id>/members")
@api_scope("orgs:admin", capability="org.members.view")
@operation(
    summary="The organization's members", tags=["members"], query=schemas.PageQuery, responses={200: schemas.MemberPage}
)
def list_members(org_id: uuid.UUID) -> ResponseReturnValue:
    query = query_args(schemas.PageQuery)
    offset = offset_of(query.cursor)
    members = member_service.members_overview(organization()).members
    page, next_link = page_of(members[offset : offset + query.limit + 1], offset, query.limit)
    return paged([member_out(m) for m in page], next_link, schemas.MemberPage)


@bp.get("/orgs/<uuid:org_id>/members/<uuid:membership_id>")
@api_scope("orgs:admin", capability="org.members.view")
@operation(
    summary="One member",
    tags=["members"],
    responses={200: Answer(model=schemas.Member, headers=ETAG_HEADER), 304: None},
)
def get_member(org_id: uuid.UUID, membership_id: uuid.UUID) -> ResponseReturnValue:
    response = _member_answer(active_member_or_404(membership_id))
    return response.make_conditional(request)  # type: ignore[union-attr]


@bp.patch("/orgs/<uuid:org_id>/members/<uuid:membership_id>")
@api_scope("orgs:admin", capability="org.members.manage")
@operation(
    summary="Change a member's role or application access",
    tags=["members"],
    body=schemas.MemberChange,
    if_match=True,
    responses={200: Answer(model=schemas.Member, headers=ETAG_HEADER)},
)
def change_member(org_id: uuid.UUID, membership_id: uuid.UUID) -> ResponseReturnValue:
    change = json_body(schemas.MemberChange)
    membership = locked_member_or_404(membership_id)
    check_if_match(member_etag(membership))
    member_service.update_membership(
        membership,
        role=change.role or membership.role,
        application_keys=change.applications if change.applications is not None else membership.granted_keys,
        actor=acting_person(),
    )
    db.session.commit()
    return _member_answer(active_member_or_404(membership_id))


@bp.delete("/orgs/<uuid:org_id>/members/<uuid:membership_id>")
@api_scope("orgs:admin", capability="org.members.manage")
@operation(summary="Remove a member from the organization", tags=["members"], if_match=True, responses={204: None})
def remove_member(org_id: uuid.UUID, membership_id: uuid.UUID) -> ResponseReturnValue:
    membership = locked_member_or_404(membership_id)
    check_if_match(member_etag(membership))
    member_service.remove_member(membership, actor=acting_person())
    db.session.commit()
    return "", 204


@bp.put("/orgs/<uuid:org_id>/members/<uuid:membership_id>/applications/<application>")
@api_scope("orgs:admin", capability="org.members.manage")
@operation(
    summary="Give a member access to an application",
    tags=["members"],
    if_match=True,
    responses={200: Answer(model=schemas.Member, headers=ETAG_HEADER)},
)
def grant_application(org_id: uuid.UUID, membership_id: uuid.UUID, application: str) -> ResponseReturnValue:
    return _set_application(membership_id, application, granted=True)


@bp.delete("/orgs/<uuid:org_id>/members/<uuid:membership_id>/applications/<application>")
@api_scope("orgs:admin", capability="org.members.manage")
@operation(
    summary="Take a member's access to an application away",
    tags=["members"],
    if_match=True,
    responses={200: Answer(model=schemas.Member, headers=ETAG_HEADER)},
)
def revoke_application(org_id: uuid.UUID, membership_id: uuid.UUID, application: str) -> ResponseReturnValue:
    return _set_application(membership_id, application, granted=False)


def _set_application(membership_id: uuid.UUID, application: str, *, granted: bool) -> ResponseReturnValue:
    membership = locked_member_or_404(membership_id)
    if application not in {app.key for app in member_service.list_applications()}:
        abort(404)
    check_if_match(member_etag(membership))
    keys = set(membership.granted_keys)
    keys = keys | {application} if granted else keys - {application}
    member_service.update_membership(membership, role=membership.role, application_keys=keys, actor=acting_person())
    db.session.commit()
    return _member_answer(active_member_or_404(membership_id))


# -- requests to join ----------------------------------------------------------------------
def request_out(membership: Membership) -> schemas.JoinRequest:
    return schemas.JoinRequest(
        id=membership.id,
        account_id=membership.account_id,
        name=membership.account.name,
        email=membership.account.email,
        message=membership.request_message,
        requested_at=membership.requested_at or membership.created_at,
    )


@bp.get("/orgs/<uuid:org_id>/requests")
@api_scope("orgs:admin", capability="org.requests.decide")
@operation(
    summary="Requests to join waiting for a decision",
    tags=["requests to join"],
    query=schemas.PageQuery,
    responses={200: schemas.JoinRequestPage},
)
def list_requests(org_id: uuid.UUID) -> ResponseReturnValue:
    query = query_args(schemas.PageQuery)
    offset = offset_of(query.cursor)
    waiting = joining.pending_requests(organization())
    page, next_link = page_of(waiting[offset : offset + query.limit + 1], offset, query.limit)
    return paged([request_out(m) for m in page], next_link, schemas.JoinRequestPage)


def _waiting_or_404(membership_id: uuid.UUID) -> None:
    if joining.find_request(organization(), membership_id) is None:
        abort(404)


@bp.post("/orgs/<uuid:org_id>/requests/<uuid:membership_id>/approve")
@api_scope("orgs:admin", capability="org.requests.decide")
@operation(
    summary="Approve a request: the requester becomes a member",
    tags=["requests to join"],
    body=schemas.Decision,
    responses={200: schemas.Member},
)
def approve_request(org_id: uuid.UUID, membership_id: uuid.UUID) -> ResponseReturnValue:
    decision = json_body(schemas.Decision)
    _waiting_or_404(membership_id)
    membership = joining.approve_request(organization(), membership_id, actor=acting_person(), message=decision.message)
    db.session.commit()
    return answer(member_out(membership))


@bp.post("/orgs/<uuid:org_id>/requests/<uuid:membership_id>/reject")
@api_scope("orgs:admin", capability="org.requests.decide")
@operation(
    summary="Reject a request to join",
    tags=["requests to join"],
    body=schemas.Decision,
    responses={200: schemas.JoinRequest},
)
def reject_request(org_id: uuid.UUID, membership_id: uuid.UUID) -> ResponseReturnValue:
    decision = json_body(schemas.Decision)
    _waiting_or_404(membership_id)
    membership = joining.reject_request(organization(), membership_id, actor=acting_person(), message=decision.message)
    db.session.commit()
    return answer(request_out(membership))


# -- invitations ---------------------------------------------------------------------------
def invitation_out(invitation: Invitation) -> schemas.Invitation:
    return schemas.Invitation(
        id=invitation.id,
        email=invitation.email,
        role=str(invitation.role),  # type: ignore[arg-type]
        applications=sorted(invitation.application_keys or []),
        language=invitation.language,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


@bp.get("/orgs/<uuid:org_id>/invitations")
@api_scope("orgs:admin", capability="org.invitations.manage")
@operation(
    summary="Open invitations", tags=["invitations"], query=schemas.PageQuery, responses={200: schemas.InvitationPage}
)
def list_invitations(org_id: uuid.UUID) -> ResponseReturnValue:
    query = query_args(schemas.PageQuery)
    offset = offset_of(query.cursor)
    invitations = member_service.members_overview(organization()).invitations
    page, next_link = page_of(invitations[offset : offset + query.limit + 1], offset, query.limit)
    return paged([invitation_out(i) for i in page], next_link, schemas.InvitationPage)


@bp.post("/orgs/<uuid:org_id>/invitations")
@api_scope("orgs:admin", capability="org.invitations.manage")
@operation(
    summary="Invite someone by e-mail",
    tags=["invitations"],
    body=schemas.NewInvitation,
    responses={201: Answer(model=schemas.Invitation, headers={"Location": "The invitation's address."})},
)
def create_invitation(org_id: uuid.UUID) -> ResponseReturnValue:
    wanted = json_body(schemas.NewInvitation)
    invitation = invitation_service.invite(
        organization(),
        email=wanted.email,
        role=wanted.role,
        application_keys=wanted.applications,
        language=wanted.language,
        actor=acting_person(),
    )
    db.session.commit()
    location = url_for(".get_invitation", org_id=org_id, invitation_id=invitation.id)
    return answer(invitation_out(invitation), 201, headers={"Location": location})


def invitation_or_404(invitation_id: uuid.UUID) -> Invitation:
    invitation = invitation_service.find_invitation(organization(), invitation_id)
    if invitation is None:
        abort(404)
    return invitation


@bp.get("/orgs/<uuid:org_id>/invitations/<uuid:invitation_id>")
@api_scope("orgs:admin", capability="org.invitations.manage")
@operation(summary="One invitation", tags=["invitations"], responses={200: schemas.Invitation})
def get_invitation(org_id: uuid.UUID, invitation_id: uuid.UUID) -> ResponseReturnValue:
    return answer(invitation_out(invitation_or_404(invitation_id)))


@bp.delete("/orgs/<uuid:org_id>/invitations/<uuid:invitation_id>")
@api_scope("orgs:admin", capability="org.invitations.manage")
@operation(summary="Withdraw an invitation", tags=["invitations"], responses={204: None})
def revoke_invitation(org_id: uuid.UUID, invitation_id: uuid.UUID) -> ResponseReturnValue:
    invitation_service.revoke_invitation(invitation_or_404(invitation_id), actor=acting_person())
    db.session.commit()
    return "", 204
