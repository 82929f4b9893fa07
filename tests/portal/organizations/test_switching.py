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


def test_with_many_organizations_the_menu_shows_the_five_used_last_and_a_search(panda_client, panda_db, accountant):
    add_organizations(panda_db, accountant, 12)
    html = panda_client.get("/").get_data(as_text=True)
    assert len(menu_names(html)) == 5
    assert "All organizations…" in html and "(12)" in html
    assert 'action="/orgs/switch"' in html and 'for="switcher-filter"' in html


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
    assert re.findall(r'<td data-label="Organization"><a href="/orgs/[0-9a-f-]+/">([^<]+)</a>', html) == [
        "Bakkerij Peeters BV"
    ]
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
    add_organizations(panda_db, accountant, 1, start=90000, pinned_at=utcnow())
    panda_client.get("/")  # the session row is written once; count the reads after that
    pages = [
        "/",
        "/orgs",
        "/orgs?q=client",
        "/orgs?role=admin&sort=last_used",
        "/orgs?without=support_community",
        f"/orgs/{first.id}/",
        "/orgs/switch",
        "/orgs/switch?q=client",
        "/orgs/switch?q=0403&fragment=1",
        "/requests",
        "/ask-for-access?application=support_community",
    ]
    counts: dict[int, list[int]] = {}
    for total in (1, 10, 1000):
        already = len(
            panda_db.session.scalars(select(Membership.id).where(Membership.account_id == accountant.id)).all()
        )
        if total > already:
            add_organizations(panda_db, accountant, total - already, start=total * 10)
            # Favourites grow with the list too.
            add_organizations(panda_db, accountant, total // 10 + 1, start=total * 10 + 5000, pinned_at=utcnow())
        counts[total] = [count_statements(panda_db, functools.partial(panda_client.get, page)) for page in pages]
    assert counts[1] == counts[10] == counts[1000], counts
    html = panda_client.get("/").get_data(as_text=True)
    assert "Used last" in html and "(1,1" in html


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


# -- Switch organization: search as you type, the five used last, favourites --------------
def switch_names(html: str, list_id: str) -> list[str]:
    part = html.split(f'id="{list_id}"', 1)
    if len(part) == 1:
        return []
    return re.findall(r'<a href="/orgs/[0-9a-f-]+/">([^<]+)</a>', part[1].split("</ul>", 1)[0])


@pytest.mark.parametrize("typed", ["0403.170.701", "BE0403170701", "403170701", "100234", "bakkerij peet"])
def test_the_switcher_finds_a_client_among_many_by_name_customer_or_enterprise_number(
    panda_client, panda_db, accountant, make_org, make_membership, typed
):
    make_membership(
        accountant, make_org(name="Bakkerij Peeters BV", customer_number="100234", enterprise_number="0403170701")
    )
    add_organizations(panda_db, accountant, 30)
    page = panda_client.get("/orgs/switch", query_string={"q": typed}).get_data(as_text=True)
    assert switch_names(page, "switcher-matches") == ["Bakkerij Peeters BV"]
    fragment = panda_client.get("/orgs/switch", query_string={"q": typed, "fragment": "1"}).get_data(as_text=True)
    assert "<html" not in fragment
    assert switch_names(fragment, "switcher-matches") == ["Bakkerij Peeters BV"]
    assert 'data-status="1 organization matches' in fragment


def test_the_switcher_shows_the_five_used_last_on_top_and_never_more_than_a_page(panda_client, panda_db, accountant):
    organizations = add_organizations(panda_db, accountant, 130)
    memberships = panda_db.session.scalars(select(Membership).where(Membership.account_id == accountant.id)).all()
    by_org = {m.organization_id: m for m in memberships}
    for minutes, org in enumerate(organizations[100:107]):
        by_org[org.id].last_used_at = utcnow() - dt.timedelta(minutes=minutes)
    panda_db.session.flush()
    html = panda_client.get("/orgs/switch").get_data(as_text=True)
    assert switch_names(html, "switcher-recent") == [f"Client {n:04d} BV" for n in range(100, 105)]
    assert len(switch_names(html, "switcher-matches")) == service.SEARCH_SIZE
    assert html.count('<a href="/orgs/') <= 100 + 20


def test_a_favourite_is_pinned_per_person_and_listed_first_in_the_switcher_and_menu(
    panda_client, panda_db, accountant, make_org, make_membership, make_account, login_as
):
    garage = make_org(name="Garage Dubois SRL")
    make_membership(accountant, garage)
    colleague = make_account()
    make_membership(colleague, garage)
    add_organizations(panda_db, accountant, 8)
    response = panda_client.post_form(
        f"/orgs/{garage.id}/favourite", {"pinned": "1", "back": "/orgs/switch?q=garage"}, page="/orgs/switch"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/orgs/switch?q=garage"
    html = panda_client.get("/orgs/switch").get_data(as_text=True)
    assert switch_names(html, "switcher-favourites") == ["Garage Dubois SRL"]
    assert re.search(
        rf'data-favourite="{garage.id}">Unpin<span class="visually-hidden"> Garage Dubois SRL</span>', html
    )
    home = panda_client.get("/").get_data(as_text=True)
    assert "Favourites" in home.split("menu-panel", 1)[1].split("</details>", 1)[0]

    panda_client.post_form(f"/orgs/{garage.id}/favourite", {"pinned": "0", "back": "/"}, page="/orgs/switch")
    assert switch_names(panda_client.get("/orgs/switch").get_data(as_text=True), "switcher-favourites") == []

    login_as(panda_client, colleague)
    assert switch_names(panda_client.get("/orgs/switch").get_data(as_text=True), "switcher-favourites") == []


def test_pinning_never_redirects_to_another_site(panda_client, accountant, make_org, make_membership):
    org = make_org()
    make_membership(accountant, org)
    for back in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = panda_client.post_form(
            f"/orgs/{org.id}/favourite", {"pinned": "1", "back": back}, page="/orgs/switch"
        )
        assert response.headers["Location"] == "/orgs/switch"


def test_nobody_pins_an_organization_they_do_not_belong_to(panda_client, accountant, make_org):
    org = make_org()
    response = panda_client.post_form(f"/orgs/{org.id}/favourite", {"pinned": "1"}, page="/orgs/switch")
    assert response.status_code == 404


def test_opening_an_organization_records_its_last_use(panda_client, panda_db, accountant, make_org, make_membership):
    org = make_org()
    membership = make_membership(accountant, org)
    assert membership.last_used_at is None
    panda_client.get(f"/orgs/{org.id}/")
    panda_db.session.refresh(membership)
    assert membership.last_used_at is not None


def test_the_switcher_works_without_script_and_loads_its_script_as_a_file(panda_client, accountant):
    html = panda_client.get("/orgs/switch").get_data(as_text=True)
    assert '<form method="get" action="/orgs/switch"' in html
    assert '<script src="/static/switcher.js" defer></script>' in html
    assert "<script>" not in html
    assert panda_client.get("/static/switcher.js").status_code == 200


# -- the organizations list: filters and sort ---------------------------------------------
def test_the_list_filters_by_role_and_by_missing_support_community_access(
    panda_client, accountant, make_org, make_membership
):
    make_membership(accountant, make_org(name="Admin Granted BV"), role=Role.ADMIN, grants=["support_community"])
    make_membership(accountant, make_org(name="Member Granted BV"), grants=["support_community"])
    make_membership(accountant, make_org(name="Member Without BV"))

    def names(query: str) -> list[str]:
        html = panda_client.get("/orgs?" + query).get_data(as_text=True)
        return re.findall(r'<td data-label="Organization"><a href="/orgs/[0-9a-f-]+/">([^<]+)</a>', html)

    assert names("role=admin") == ["Admin Granted BV"]
    assert names("role=member") == ["Member Granted BV", "Member Without BV"]
    assert names("without=support_community") == ["Member Without BV"]
    assert names("role=nonsense&without=nonsense") == ["Admin Granted BV", "Member Granted BV", "Member Without BV"]


def test_the_list_sorts_by_last_use_and_never_shows_more_than_100(panda_client, panda_db, accountant):
    organizations = add_organizations(panda_db, accountant, 120)
    membership = panda_db.session.scalar(select(Membership).where(Membership.organization_id == organizations[77].id))
    membership.last_used_at = utcnow()
    panda_db.session.flush()
    html = panda_client.get("/orgs?sort=last_used&per_page=1000").get_data(as_text=True)
    names = re.findall(r'<td data-label="Organization"><a href="/orgs/[0-9a-f-]+/">([^<]+)</a>', html)
    assert names[0] == "Client 0077 BV"
    assert len(names) == 100
    assert 'href="/orgs?page=2&amp;sort=last_used&amp;per_page=100"' in html or "page=2" in html
