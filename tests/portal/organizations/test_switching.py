"""Switch organization, the home page and each organization's page."""

from __future__ import annotations

import datetime as dt
import functools
import re

import pytest
from flask import g
from sqlalchemy import event, select

from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
from panda_portal.organizations.services import switching as service
from shared.database import utcnow
from tests.portal.factories import valid_enterprise_number


def menu_names(html: str) -> list[str]:
    """The organizations in the Switch organization menu, in order."""
    menu = html.split('<ul class="org-list">', 1)
    if len(menu) == 1:
        return []
    return re.findall(r'<a href="/orgs/[0-9a-f-]+/"[^>]*>([^<]+)</a>', menu[1].split("</ul>", 1)[0])


@pytest.fixture()
def accountant(make_account, panda_client, login_as):
    account = make_account(name="Ann Accountant")
    login_as(panda_client, account)
    return account


def add_organizations(panda_db, account, count: int, start: int = 0, **membership) -> list[Organization]:
    """``count`` organizations where ``account`` is an active member, written in one flush."""
    organizations = [
        Organization(
            name=f"Client {n:04d} BV", customer_number=f"C{n:05d}", enterprise_number=valid_enterprise_number(n)
        )
        for n in range(start, start + count)
    ]
    panda_db.session.add_all(organizations)
    panda_db.session.flush()
    values = {"role": Role.MEMBER, "status": MembershipStatus.ACTIVE} | membership
    panda_db.session.add_all(
        [Membership(organization_id=org.id, account_id=account.id, **values) for org in organizations]
    )
    panda_db.session.flush()
    return organizations


# -- the menu ----------------------------------------------------------------------------
def test_the_menu_lists_only_organizations_where_the_person_is_an_active_member(
    panda_client, accountant, make_org, make_membership
):
    active, pending, removed, rejected = (
        make_org(name=name) for name in ("Active BV", "Pending BV", "Removed BV", "Rejected BV")
    )
    make_membership(accountant, active)
    make_membership(accountant, pending, status=MembershipStatus.PENDING)
    make_membership(accountant, removed, status=MembershipStatus.REMOVED)
    make_membership(accountant, rejected, status=MembershipStatus.REJECTED)
    html = panda_client.get("/").get_data(as_text=True)
    assert menu_names(html) == ["Active BV"]
    assert "Switch organization" in html
    assert 'href="/orgs/add"' in html


def test_the_menu_offers_to_add_an_organization_to_someone_without_any(panda_client, accountant):
    html = panda_client.get("/").get_data(as_text=True)
    assert menu_names(html) == []
    assert "You are not a member of any organization yet." in html
    assert "Add an organization" in html


def test_the_menu_shows_the_most_recently_used_organization_first(
    panda_client, panda_db, accountant, make_org, make_membership
):
    orgs = {name: make_org(name=name) for name in ("Alpha BV", "Bravo BV", "Charlie BV", "Delta BV")}
    memberships = {name: make_membership(accountant, org) for name, org in orgs.items()}
    now = utcnow()
    memberships["Charlie BV"].last_used_at = now - dt.timedelta(days=1)
    memberships["Alpha BV"].last_used_at = now - dt.timedelta(days=2)
    panda_db.session.flush()
    assert menu_names(panda_client.get("/").get_data(as_text=True)) == [
        "Charlie BV",
        "Alpha BV",
        "Bravo BV",
        "Delta BV",
    ]

    panda_client.get(f"/orgs/{orgs['Delta BV'].id}/")
    html = panda_client.get(f"/orgs/{orgs['Bravo BV'].id}/").get_data(as_text=True)
    assert menu_names(html) == ["Bravo BV", "Delta BV", "Charlie BV", "Alpha BV"]
    assert re.search(r'aria-current="true">Bravo BV<', html)


def test_two_tabs_can_each_work_in_another_organization(panda_client, accountant, make_org, make_membership):
    first, second = make_org(name="First BV"), make_org(name="Second BV")
    make_membership(accountant, first, role=Role.ADMIN)
    make_membership(accountant, second)
    first_page = panda_client.get(f"/orgs/{first.id}/").get_data(as_text=True)
    second_page = panda_client.get(f"/orgs/{second.id}/").get_data(as_text=True)
    assert "<h1>First BV</h1>" in first_page and "Administrator" in first_page
    assert "<h1>Second BV</h1>" in second_page and "Administrator" not in second_page.split("<main", 1)[1]


def test_with_many_organizations_the_menu_shows_ten_and_links_to_all_of_them(panda_client, panda_db, accountant):
    add_organizations(panda_db, accountant, 12)
    html = panda_client.get("/").get_data(as_text=True)
    assert len(menu_names(html)) == 10
    assert "All organizations…" in html and "(12)" in html
    assert 'action="/orgs"' in html and 'for="switcher-filter"' in html


# -- all organizations: filter and pages -------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "0403.170.701",
        "BE0403170701",
        "BE 0403 170 701",
        "403170701",
        "0403170701",
        "170.701",
        "100234",
        "peeters",
        "Bakkerij Peet",
    ],
)
def test_the_list_is_filtered_by_name_customer_number_or_enterprise_number_in_any_form(
    panda_client, panda_db, accountant, make_org, make_membership, typed
):
    bakery = make_org(name="Bakkerij Peeters BV", customer_number="100234", enterprise_number="0403170701")
    make_membership(accountant, bakery)
    add_organizations(panda_db, accountant, 5)
    html = panda_client.get("/orgs", query_string={"q": typed}).get_data(as_text=True)
    assert re.findall(r'<td><a href="/orgs/[0-9a-f-]+/">([^<]+)</a>', html) == ["Bakkerij Peeters BV"]
    assert "1 organization matches" in html


def test_the_filter_never_shows_an_organization_where_the_person_is_not_an_active_member(
    panda_client, accountant, make_org, make_membership, make_account
):
    theirs = make_org(name="Bakkerij Peeters BV")
    make_membership(make_account(), theirs)
    pending = make_org(name="Bakkerij Janssens BV")
    make_membership(accountant, pending, status=MembershipStatus.PENDING)
    html = panda_client.get("/orgs", query_string={"q": "bakkerij"}).get_data(as_text=True)
    assert "Peeters" not in html and "Janssens" not in html
    assert "No organization matches" in html


def test_a_filter_with_like_wildcards_matches_them_literally(panda_client, accountant, make_org, make_membership):
    make_membership(accountant, make_org(name="Garage Dubois SRL"))
    assert "No organization matches" in panda_client.get("/orgs?q=%25").get_data(as_text=True)
    assert "No organization matches" in panda_client.get("/orgs?q=_").get_data(as_text=True)


def test_the_list_is_paginated_by_name_and_works_without_javascript(panda_client, panda_db, accountant):
    add_organizations(panda_db, accountant, 30)
    first = panda_client.get("/orgs").get_data(as_text=True).split("<main", 1)[1]
    assert "Client 0000 BV" in first and "Client 0024 BV" in first and "Client 0025 BV" not in first
    assert "Page 1 of 2" in first and 'href="/orgs?page=2"' in first
    second = panda_client.get("/orgs?page=2").get_data(as_text=True).split("<main", 1)[1]
    assert "Client 0025 BV" in second and "Client 0029 BV" in second and "Client 0000 BV" not in second
    for odd in ("/orgs?page=abc", "/orgs?page=-3", "/orgs?page=999999999999999999999", "/orgs?q=" + "x" * 5000):
        assert panda_client.get(odd).status_code == 200


def test_the_list_shows_role_and_accesses(panda_client, accountant, make_org, make_membership):
    make_membership(accountant, make_org(name="Granted BV"), role=Role.ADMIN, grants=["support_community"])
    html = panda_client.get("/orgs").get_data(as_text=True)
    assert "Administrator" in html and "Support Community" in html


# -- a constant number of queries --------------------------------------------------------
def count_statements(panda_db, action) -> int:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    panda_db.session.expunge_all()  # nothing cached: every row the page needs is read
    for cached in ("current_account", "org_context", "organization_switcher", "_flask_babel"):
        g.pop(cached, None)
    event.listen(panda_db.engine, "before_cursor_execute", before)
    try:
        response = action()
    finally:
        event.remove(panda_db.engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return len(statements)


def test_pages_with_the_menu_read_the_same_number_of_statements_for_1_10_and_1000_organizations(
    panda_client, panda_db, accountant, make_org, make_membership
):
    first = make_org(name="Client Aaa BV")
    make_membership(accountant, first, role=Role.ADMIN, grants=["support_community"])
    panda_client.get("/")  # the session row is written once; count the reads after that
    pages = ["/", "/orgs", "/orgs?q=client", f"/orgs/{first.id}/"]
    counts: dict[int, list[int]] = {}
    for total in (1, 10, 1000):
        already = len(
            panda_db.session.scalars(select(Membership.id).where(Membership.account_id == accountant.id)).all()
        )
        if total > already:
            add_organizations(panda_db, accountant, total - already, start=total * 10)
        counts[total] = [count_statements(panda_db, functools.partial(panda_client.get, page)) for page in pages]
    assert counts[1] == counts[10] == counts[1000], counts
    html = panda_client.get("/").get_data(as_text=True)
    assert len(menu_names(html)) == 10 and "(1,000)" in html


# -- the home page -----------------------------------------------------------------------
def test_home_lists_organizations_with_enterprise_number_role_and_accesses(
    panda_client, accountant, make_org, make_membership
):
    org = make_org(name="Bakkerij Peeters BV", enterprise_number="0403170701")
    make_membership(accountant, org, role=Role.ADMIN, grants=["support_community"])
    make_membership(accountant, make_org(name="Garage Dubois SRL"))
    html = panda_client.get("/").get_data(as_text=True)
    section = html.split('id="organizations-heading"', 1)[1]
    assert "Bakkerij Peeters BV" in section and "0403.170.701" in section
    assert "Administrator" in section and "Support Community" in section
    assert "Garage Dubois SRL" in section and "Member" in section
    assert 'href="/orgs/add"' in section


def test_home_mentions_open_invitations_for_the_persons_address(panda_client, panda_db, accountant, make_org):
    from panda_portal.organizations.models import Invitation

    org = make_org()
    for n, (accepted, expired) in enumerate([(False, False), (False, False), (True, False), (False, True)]):
        panda_db.session.add(
            Invitation(
                organization_id=org.id,
                email=accountant.email,
                role=Role.MEMBER,
                token_hash=f"{n:064d}",
                expires_at=utcnow() + dt.timedelta(days=-1 if expired else 7),
                accepted_at=utcnow() if accepted else None,
            )
        )
    panda_db.session.flush()
    html = panda_client.get("/").get_data(as_text=True)
    assert "You have 2 open invitations" in html


# -- each organization's page ------------------------------------------------------------
def test_the_organization_page_shows_the_organization_and_the_persons_role_and_accesses(
    panda_client, accountant, make_org, make_membership
):
    org = make_org(name="Bakkerij Peeters BV", customer_number="100234", enterprise_number="0403170701")
    make_membership(accountant, org, role=Role.MEMBER, grants=["support_community"])
    html = panda_client.get(f"/orgs/{org.id}/").get_data(as_text=True)
    for text in ("Bakkerij Peeters BV", "100234", "0403.170.701", "Member", "Support Community"):
        assert text in html
    assert f"/orgs/{org.id}/members" not in html


def test_administrators_find_the_members_pages_from_the_organization_page(
    panda_client, accountant, make_org, make_membership
):
    org = make_org()
    make_membership(accountant, org, role=Role.ADMIN)
    html = panda_client.get(f"/orgs/{org.id}/").get_data(as_text=True)
    assert f'href="/orgs/{org.id}/members"' in html
    assert "Administrator" in html


def test_a_member_without_access_is_told_how_to_get_it(panda_client, accountant, make_org, make_membership):
    org = make_org()
    make_membership(accountant, org)
    assert "an administrator must give you access" in panda_client.get(f"/orgs/{org.id}/").get_data(as_text=True)


@pytest.mark.parametrize(
    "status", [None, MembershipStatus.PENDING, MembershipStatus.REMOVED, MembershipStatus.REJECTED]
)
def test_the_organization_page_is_not_found_for_anyone_but_active_members(
    panda_client, accountant, make_org, make_membership, status
):
    org = make_org()
    if status:
        make_membership(accountant, org, status=status)
    assert panda_client.get(f"/orgs/{org.id}/").status_code == 404


@pytest.mark.parametrize("path", ["/orgs/not-a-uuid/", "/orgs/12345/", "/orgs/00000000-0000-0000-0000-000000000000/"])
def test_a_malformed_or_unknown_organization_id_is_not_found(panda_client, accountant, path):
    assert panda_client.get(path).status_code == 404


def test_visiting_an_organization_remembers_it_as_last_used(
    panda_client, panda_db, accountant, make_org, make_membership
):
    org = make_org()
    membership = make_membership(accountant, org)
    assert membership.last_used_at is None
    panda_client.get(f"/orgs/{org.id}/")
    panda_db.session.expire_all()
    assert panda_db.session.get(Membership, membership.id).last_used_at is not None


def test_search_service_matches_the_enterprise_number_digits_only_when_typed_as_a_number(
    panda_db, accountant, make_org, make_membership
):
    org = make_org(name="Numbers BV", customer_number="X1", enterprise_number="0403170701")
    make_membership(accountant, org)
    assert [e.name for e in service.search_organizations(accountant, "BE 0403.170.701").entries] == ["Numbers BV"]
    assert service.search_organizations(accountant, "0403-170-702").entries == []
