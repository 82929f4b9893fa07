"""The page "Requests to join": what waits for an administrator of many organizations."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import event

from panda_portal.organizations.models import MembershipStatus, Role
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
