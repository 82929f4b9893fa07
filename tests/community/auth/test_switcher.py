"""Switch organization: the token's orgs, top right and on /switch (re-read from Panda)."""

from __future__ import annotations

import re

from tests.community.auth.fake_op import org


def menu_of(page: str) -> str:
    return page.split('<details class="user-menu">', 1)[1].split("</details>", 1)[0]


def test_the_menu_shows_the_name_and_every_organization_with_its_numbers(community_client, login):
    peeters = org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234")
    janssens = org("Garage Janssens NV", enterprise_number="0202.239.951", customer_number="100999", role="admin")
    login(name="Ann Accountant", orgs=[janssens, peeters])

    menu = menu_of(community_client.get("/").get_data(as_text=True))

    assert "Ann Accountant" in menu
    assert "Switch organization" in menu
    assert menu.index("Bakkerij Peeters BV") < menu.index("Garage Janssens NV")  # sorted by name
    assert f'href="/orgs/{peeters["id"]}/"' in menu
    assert f'href="/orgs/{janssens["id"]}/"' in menu
    assert "0403.170.701" in menu and "100234" in menu
    assert "0202.239.951" in menu and "100999" in menu


def test_without_organizations_the_menu_explains_step_3_and_links_to_panda(community_client, login, fake_panda):
    login(orgs=[])
    menu = menu_of(community_client.get("/").get_data(as_text=True))
    assert "administrator must approve your membership" in menu
    assert "Support Community" in menu
    assert f'href="{fake_panda.issuer}"' in menu


def test_a_long_list_shows_the_first_organizations_and_a_link_to_all(community_client, login):
    login(orgs=[org(f"Client {n:04d}") for n in range(40)])
    menu = menu_of(community_client.get("/").get_data(as_text=True))
    assert menu.count("/orgs/") == 10
    assert "Show all 40 organizations" in menu
    assert 'href="/switch"' in menu


def test_the_switch_page_reads_the_list_again_from_panda(community_client, login, fake_panda):
    ann = login(orgs=[org("Bakkerij Peeters BV")])
    ann.orgs.append(org("Garage Janssens NV"))  # granted in Panda meanwhile

    page = community_client.get("/switch").get_data(as_text=True)

    assert "Garage Janssens NV" in page
    assert fake_panda.userinfo_requests == 1
    assert "Garage Janssens NV" in menu_of(community_client.get("/").get_data(as_text=True))


def test_the_switch_page_drops_an_organization_revoked_in_panda(community_client, login):
    ann = login(orgs=[org("Bakkerij Peeters BV"), org("Garage Janssens NV")])
    gone = ann.orgs.pop()
    page = community_client.get("/switch").get_data(as_text=True)
    assert "Garage Janssens NV" not in page
    assert community_client.get(f"/orgs/{gone['id']}/").status_code == 404


def test_the_switch_page_renews_a_rejected_access_token(community_client, login, fake_panda):
    ann = login(orgs=[org("Bakkerij Peeters BV")])
    with community_client.session_transaction() as session:
        session["tokens"] = dict(session["tokens"], access_token="revoked-at-panda")
    ann.orgs.append(org("Garage Janssens NV"))

    page = community_client.get("/switch").get_data(as_text=True)

    assert "Garage Janssens NV" in page
    assert fake_panda.token_requests[-1]["grant_type"] == "refresh_token"


def test_the_switch_page_filters_by_name_customer_or_enterprise_number(community_client, login):
    login(
        orgs=[
            org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234"),
            org("Garage Janssens NV", enterprise_number="0202.239.951", customer_number="100999"),
        ]
    )

    def listed(query: str) -> set[str]:
        page = community_client.get("/switch", query_string={"q": query}).get_data(as_text=True)
        table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
        return set(re.findall(r'/">([^<]+)</a>', table))

    assert listed("") == {"Bakkerij Peeters BV", "Garage Janssens NV"}
    assert listed("peeters") == {"Bakkerij Peeters BV"}
    assert listed("100999") == {"Garage Janssens NV"}
    assert listed("0202239951") == {"Garage Janssens NV"}
    assert listed("BE 0403.170.701") == {"Bakkerij Peeters BV"}
    assert listed("nobody") == set()
    page = community_client.get("/switch?q=nobody").get_data(as_text=True)
    assert "No organization matches" in page


def test_the_filter_is_a_plain_get_form_with_a_label(community_client, login):
    login(orgs=[org("Bakkerij Peeters BV")])
    page = community_client.get("/switch").get_data(as_text=True)
    assert '<form method="get" action="/switch"' in page
    assert '<label for="org-filter">' in page
    assert 'name="q"' in page


def test_the_switch_page_without_organizations_explains_what_to_do(community_client, login):
    login(orgs=[])
    page = community_client.get("/switch").get_data(as_text=True)
    assert "administrator must approve your membership" in page


def test_the_switch_page_shows_the_known_list_when_panda_is_unreachable(community, community_client, login, fake_panda):
    from support_community.auth.provider import panda

    login(orgs=[org("Bakkerij Peeters BV")])
    panda(community).clear_cache()
    fake_panda.failures["discovery"] = 503
    response = community_client.get("/switch")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Bakkerij Peeters BV" in page
    assert "may be out of date" in page


def test_the_switch_page_needs_a_signed_in_person(community_client):
    response = community_client.get("/switch")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in?next=/switch")
