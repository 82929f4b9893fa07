"""The page "Requests to join": what waits for an administrator of many organizations."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import event, select

from panda_portal.organizations.models import Membership, MembershipStatus, Role
from tests.portal.factories import SUPPORT, switch_to


@pytest.fixture()
def office(make_account, make_org, make_membership, panda_client, login_as):
    """Ann administers two client organizations; three people ask to join; she is a member of a third."""
    ann = make_account(name="Ann Admin", email="ann@example.org")
    bakery, garage, other = make_org(name="Bakkerij BV"), make_org(name="Garage SRL"), make_org(name="Other NV")
    make_membership(ann, bakery, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(ann, garage, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(ann, other)
    people = {name: make_account(name=name) for name in ("Dirk", "Eva", "Frans", "Greet")}
    requests = {
        "dirk-bakery": make_membership(people["Dirk"], bakery, status=MembershipStatus.PENDING),
        "eva-bakery": make_membership(people["Eva"], bakery, status=MembershipStatus.PENDING),
        "frans-garage": make_membership(people["Frans"], garage, status=MembershipStatus.PENDING),
        # Not Ann's to decide: she is only a member there.
        "greet-other": make_membership(people["Greet"], other, status=MembershipStatus.PENDING),
    }
    login_as(panda_client, ann)
    return {"ann": ann, "bakery": bakery, "garage": garage, "other": other, "requests": requests}


def test_the_page_lists_pending_requests_of_every_organization_the_person_administers(panda_client, office):
    html = panda_client.get("/requests").get_data(as_text=True)
    assert "3 requests wait for your decision" in html
    for name in ("Dirk", "Eva", "Frans"):
        assert name in html
    assert "Greet" not in html
    request = office["requests"]["dirk-bakery"]
    assert f'href="/orgs/{office["bakery"].id}/requests/{request.id}"' in html


def test_the_user_menu_shows_how_many_requests_wait(panda_client, office, make_account, login_as):
    menu = panda_client.get("/").get_data(as_text=True).split("menu-panel", 1)[1].split("</details>", 1)[0]
    assert 'href="/requests"' in menu and '<span class="badge">3</span>' in menu
    switch_to(panda_client, login_as, make_account())
    menu = panda_client.get("/").get_data(as_text=True).split("menu-panel", 1)[1].split("</details>", 1)[0]
    assert 'href="/requests"' not in menu


def test_approving_one_request_leads_to_the_members_detail_screen(panda_client, panda_db, office):
    request = office["requests"]["frans-garage"]
    response = panda_client.post_form("/requests/approve", {"requests": [str(request.id)]}, page="/requests")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/orgs/{office['garage'].id}/members/{request.id}#access"
    panda_db.session.refresh(request)
    assert request.status == MembershipStatus.ACTIVE and request.granted_keys == set()


def test_approving_several_at_once_gives_them_the_same_access_and_mails_each(
    panda_client, panda_db, office, deliver, mail_sink
):
    chosen = [office["requests"][key] for key in ("dirk-bakery", "eva-bakery", "frans-garage")]
    response = panda_client.post_form(
        "/requests/approve",
        {"requests": [str(request.id) for request in chosen], "applications": [SUPPORT]},
        page="/requests",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/requests"
    for request in chosen:
        panda_db.session.refresh(request)
        assert request.status == MembershipStatus.ACTIVE and request.granted_keys == {SUPPORT}
    deliver()
    assert {mail.to for mail in mail_sink.messages} >= {request.account.email for request in chosen}
    assert "No request to join waits for your decision." in panda_client.get("/requests").get_data(as_text=True)


def test_a_request_of_an_organization_one_does_not_administer_cannot_be_approved_from_the_page(
    panda_client, panda_db, office
):
    foreign = office["requests"]["greet-other"]
    panda_client.post_form(
        "/requests/approve", {"requests": [str(foreign.id)], "applications": [SUPPORT]}, page="/requests"
    )
    panda_db.session.refresh(foreign)
    assert foreign.status == MembershipStatus.PENDING


def test_a_selection_with_a_request_one_does_not_decide_on_approves_nothing(panda_client, panda_db, office):
    """A tampered form: one's own request beside another organization's."""
    own, foreign = office["requests"]["eva-bakery"], office["requests"]["greet-other"]
    response = panda_client.post_form(
        "/requests/approve", {"requests": [str(own.id), str(foreign.id)], "applications": [SUPPORT]}, page="/requests"
    )
    assert response.status_code == 302
    for request in (own, foreign):
        panda_db.session.refresh(request)
        assert request.status == MembershipStatus.PENDING


def test_an_unknown_application_approves_nothing(panda_client, panda_db, office):
    request = office["requests"]["eva-bakery"]
    response = panda_client.post_form(
        "/requests/approve", {"requests": [str(request.id)], "applications": ["nonsense"]}, page="/requests"
    )
    assert response.status_code == 302
    panda_db.session.refresh(request)
    assert request.status == MembershipStatus.PENDING


def test_a_request_decided_meanwhile_is_reported_and_the_others_approved(panda_client, panda_db, office):
    from panda_portal.organizations.services import joining

    decided = office["requests"]["dirk-bakery"]
    joining.reject_request(office["bakery"], decided.id, actor=office["ann"])
    other = office["requests"]["eva-bakery"]
    response = panda_client.post_form(
        "/requests/approve",
        {"requests": [str(decided.id), str(other.id)], "applications": [SUPPORT]},
        page="/requests",
        follow_redirects=True,
    )
    panda_db.session.refresh(other)
    assert other.status == MembershipStatus.ACTIVE
    assert "1 request approved" in response.get_data(as_text=True)


def test_the_page_reads_the_same_number_of_statements_for_3_and_40_requests(
    panda_client, panda_db, office, make_account, make_membership
):
    def count() -> int:
        statements = []
        panda_db.session.expunge_all()
        for cached in ("current_account", "org_context", "organization_switcher", "_flask_babel"):
            g.pop(cached, None)
        listener = functools.partial(lambda seen, *args: seen.append(1), statements)
        event.listen(panda_db.engine, "before_cursor_execute", listener)
        try:
            assert panda_client.get("/requests").status_code == 200
        finally:
            event.remove(panda_db.engine, "before_cursor_execute", listener)
        return len(statements)

    garage = SimpleNamespace(id=office["garage"].id)
    panda_client.get("/requests")
    few = count()
    for _ in range(37):
        make_membership(make_account(), garage, status=MembershipStatus.PENDING)
    assert count() == few


# -- rejecting several at once ------------------------------------------------------------------
def audit_actions(panda_db, membership) -> list[str]:
    from panda_portal.audit.models import AuditEvent

    return list(panda_db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(membership.id))))


def reject(client, requests, **extra):
    return client.post_form(
        "/requests/reject", {"requests": [str(request.id) for request in requests], **extra}, page="/requests"
    )


def confirm_rejection(client, requests, message: str = "", **kwargs):
    return client.post_form(
        "/requests/reject/confirm",
        {"requests": [str(request.id) for request in requests], "message": message},
        page="/requests",
        **kwargs,
    )


def test_rejecting_several_asks_for_confirmation_first_and_rejects_nothing_yet(panda_client, panda_db, office):
    chosen = [office["requests"]["eva-bakery"], office["requests"]["frans-garage"]]
    response = reject(panda_client, chosen)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Reject 2 requests to join?" in html and "Eva" in html and "Frans" in html and "Dirk" not in html
    assert 'action="/requests/reject/confirm"' in html
    for request in chosen:
        assert f'name="requests" value="{request.id}"' in html
        panda_db.session.refresh(request)
        assert request.status == MembershipStatus.PENDING


def test_the_requests_page_offers_to_reject_the_selected_requests(panda_client, office):
    html = panda_client.get("/requests").get_data(as_text=True)
    assert 'formaction="/requests/reject"' in html


def test_confirmed_rejections_tell_each_person_as_a_single_rejection_does(
    panda_client, panda_db, office, deliver, mail_sink
):
    from panda_portal.organizations.services import joining

    ann = office["ann"]
    single = office["requests"]["dirk-bakery"]
    joining.reject_request(office["bakery"], single.id, actor=ann, message="We work with another office.")
    panda_db.session.commit()
    chosen = [office["requests"]["eva-bakery"], office["requests"]["frans-garage"]]
    response = confirm_rejection(panda_client, chosen, "We work with another office.", follow_redirects=True)
    assert "2 requests rejected; the requesters have been told by e-mail." in response.get_data(as_text=True)
    for request in chosen:
        panda_db.session.refresh(request)
        assert (request.status, request.decided_by_id) == (MembershipStatus.REJECTED, ann.id)
        assert request.decision_message == "We work with another office."
        assert audit_actions(panda_db, request).count("membership.rejected") == 1
    deliver()
    to_dirk = mail_sink.last_to(single.account.email)
    to_eva = mail_sink.last_to(chosen[0].account.email)
    to_frans = mail_sink.last_to(chosen[1].account.email)
    assert to_eva.subject == to_dirk.subject  # the same organization, the same mail
    assert to_eva.text.replace("Eva", "Dirk") == to_dirk.text
    assert "Garage SRL" in to_frans.subject and "We work with another office." in to_frans.text


def test_a_tampered_id_of_another_organization_rejects_nothing(panda_client, panda_db, office, deliver, mail_sink):
    mine, foreign = office["requests"]["eva-bakery"], office["requests"]["greet-other"]
    for send in (reject, confirm_rejection):
        response = send(panda_client, [mine, foreign])
        assert response.status_code == 302 and response.headers["Location"] == "/requests"
        page = panda_client.get("/requests").get_data(as_text=True)
        assert "is not a request to join an organization you administer. Nothing was rejected." in page
    for request in (mine, foreign):
        panda_db.session.refresh(request)
        assert request.status == MembershipStatus.PENDING
        assert "membership.rejected" not in audit_actions(panda_db, request)
    deliver()
    assert not [mail for mail in mail_sink.messages if mail.to in {mine.account.email, foreign.account.email}]


def test_an_id_that_is_not_a_request_or_not_an_id_rejects_nothing(panda_client, panda_db, office):
    mine = office["requests"]["eva-bakery"]
    ann_membership = panda_db.session.scalars(
        select(Membership).where(
            Membership.account_id == office["ann"].id, Membership.organization_id == office["bakery"].id
        )
    ).first()
    for values in ([str(mine.id), str(ann_membership.id)], [str(mine.id), "not-an-id"]):
        response = panda_client.post_form("/requests/reject/confirm", {"requests": values}, page="/requests")
        assert response.status_code == 302
        panda_db.session.refresh(mine)
        assert mine.status == MembershipStatus.PENDING


def test_a_request_decided_meanwhile_is_reported_and_the_others_rejected(panda_client, panda_db, office):
    from panda_portal.organizations.services import joining

    decided, other = office["requests"]["dirk-bakery"], office["requests"]["eva-bakery"]
    joining.approve_request(office["bakery"], decided.id, actor=office["ann"])
    panda_db.session.commit()
    response = confirm_rejection(panda_client, [decided, other], follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "This request was already approved by Ann Admin." in html and "1 request rejected" in html
    panda_db.session.refresh(decided)
    panda_db.session.refresh(other)
    assert (decided.status, other.status) == (MembershipStatus.ACTIVE, MembershipStatus.REJECTED)


def test_a_message_too_long_shows_the_confirmation_again_and_rejects_nothing(panda_client, panda_db, office):
    request = office["requests"]["eva-bakery"]
    response = confirm_rejection(panda_client, [request], "x" * 1001)
    assert response.status_code == 400
    assert "Reject 1 request to join?" in response.get_data(as_text=True)
    panda_db.session.refresh(request)
    assert request.status == MembershipStatus.PENDING


# -- an organization that requires two-step verification -------------------------------------------
def test_requests_of_an_organization_requiring_two_step_verification_wait_until_the_administrator_has_it(
    panda_client, panda_db, office
):
    """Ann lacks two-step verification and the garage requires it: she may not decide its requests,
    neither on the garage's pages nor here, and the page and its count in the menu leave them out."""
    from tests.portal.mfa.helpers import turn_on

    office["garage"].requires_two_step = True
    panda_db.session.commit()
    html = panda_client.get("/requests").get_data(as_text=True)
    assert "2 requests wait for your decision" in html and "Frans" not in html
    menu = panda_client.get("/").get_data(as_text=True).split("menu-panel", 1)[1].split("</details>", 1)[0]
    assert '<span class="badge">2</span>' in menu
    frans = office["requests"]["frans-garage"]
    for path, nothing in (("/requests/approve", "approved"), ("/requests/reject/confirm", "rejected")):
        response = panda_client.post_form(path, {"requests": [str(frans.id)]}, page="/requests", follow_redirects=True)
        page = response.get_data(as_text=True)
        assert f"is not a request to join an organization you administer. Nothing was {nothing}." in page, path
    panda_db.session.refresh(frans)
    assert frans.status == MembershipStatus.PENDING

    turn_on(office["ann"])
    assert "Frans" in panda_client.get("/requests").get_data(as_text=True)
