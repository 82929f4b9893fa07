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


def test_a_long_list_shows_recent_and_pinned_organizations_a_search_and_a_link_to_all(community_client, login):
    clients = [org(f"Client {n:04d}") for n in range(40)]
    login(orgs=clients)
    community_client.get(f"/orgs/{clients[33]['id']}/")  # chosen once: it is "used recently" from now on

    menu = menu_of(community_client.get("/").get_data(as_text=True))

    assert menu.count('href="/orgs/') == 1 and "Client 0033" in menu  # not the first ten by name
    assert "Client 0000" not in menu
    assert "Show all 40 organizations" in menu
    assert 'href="/switch"' in menu
    assert '<form method="get" action="/switch"' in menu and 'name="q"' in menu


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
    assert '<label for="page-org-filter">' in page
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


# -- the accountant with many clients -------------------------------------------------------------
def many(count: int) -> list[dict]:
    return [org(f"Client {n:04d} BV", customer_number=str(700000 + n)) for n in range(count)]


def rows_of(page: str, heading: str) -> list[str]:
    """The organization names of the table under ``heading`` on a picker page."""
    section = page.split(f">{heading}</h2>", 1)[1].split("</section>", 1)[0]
    return re.findall(r'<td class="org-name"><a href="[^"]+">([^<]+)</a>', section)


def test_the_switch_page_lists_a_page_of_organizations_not_all_of_them(community_client, login):
    login(orgs=many(120))
    page = community_client.get("/switch").get_data(as_text=True)
    shown = rows_of(page, "All organizations")
    assert len(shown) == 50 and shown[0] == "Client 0000 BV"
    assert "1–50 of 120 organizations" in page
    assert 'href="/switch?page=2"' in page

    third = community_client.get("/switch?page=3").get_data(as_text=True)
    assert rows_of(third, "All organizations") == [f"Client {n:04d} BV" for n in range(100, 120)]
    assert 'rel="next"' not in third


def test_a_search_on_the_switch_page_is_paged_too(community_client, login):
    login(orgs=many(120))
    page = community_client.get("/switch", query_string={"q": "client 00"}).get_data(as_text=True)
    assert len(rows_of(page, "Search results")) == 50
    assert 'href="/switch?q=client+00&amp;page=2"' in page


def test_pinned_organizations_come_first_on_the_switch_page_and_in_the_menu(community_client, login):
    clients = many(30)
    login(orgs=clients)
    pinned = clients[25]
    response = community_client.post_form(
        f"/orgs/{pinned['id']}/favourite", {"favourite": "1", "next": "/switch?page=1"}, page="/switch"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/switch?page=1"

    page = community_client.get("/switch").get_data(as_text=True)
    assert rows_of(page, "Favourites") == ["Client 0025 BV"]
    assert "Client 0025 BV" in menu_of(page).split("Favourites", 1)[1]

    community_client.post_form(f"/orgs/{pinned['id']}/favourite", {"favourite": "0"}, page="/switch")
    assert ">Favourites</h2>" not in community_client.get("/switch").get_data(as_text=True)


def test_pinning_needs_the_form_token(community_client, login):
    clients = many(2)
    login(orgs=clients)
    response = community_client.post(f"/orgs/{clients[0]['id']}/favourite", data={"favourite": "1"})
    assert response.status_code == 400


def test_the_organizations_used_last_are_on_top_of_the_switch_page(community_client, login):
    clients = many(30)
    login(orgs=clients)
    for n in (3, 17, 9):
        community_client.get(f"/orgs/{clients[n]['id']}/")
    page = community_client.get("/switch").get_data(as_text=True)
    assert rows_of(page, "Used recently") == ["Client 0009 BV", "Client 0017 BV", "Client 0003 BV"]


def test_search_as_you_type_answers_a_few_links_and_a_link_to_all_results(community_client, login):
    login(orgs=many(40))
    response = community_client.get("/organizations/search", query_string={"q": "client", "target": "switch"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    fragment = response.get_data(as_text=True)
    assert fragment.count('href="/orgs/') == 10
    assert "40 organizations found" in fragment
    assert 'href="/switch?q=client"' in fragment

    for_a_case = community_client.get("/organizations/search", query_string={"q": "700039", "target": "new_case"})
    text = for_a_case.get_data(as_text=True)
    assert "Client 0039 BV" in text and "/cases/new" in text and "1 organization found" in text


def test_search_as_you_type_finds_nothing_outside_the_persons_list(community_client, login):
    login(orgs=[org("Bakkerij Peeters BV")])
    text = community_client.get("/organizations/search", query_string={"q": "garage"}).get_data(as_text=True)
    assert "No organization matches" in text and "/orgs/" not in text


def test_searching_or_paging_does_not_ask_panda_again(community_client, login, fake_panda):
    login(orgs=many(60))
    community_client.get("/switch?q=client")
    community_client.get("/switch?page=2")
    assert fake_panda.userinfo_requests == 0
    community_client.get("/switch")
    assert fake_panda.userinfo_requests == 1


def test_someone_without_the_grant_is_led_to_ask_for_access_in_panda(community_client, login, fake_panda):
    login(orgs=[])
    for url in ("/", "/switch", "/cases", "/cases/new"):
        page = community_client.get(url).get_data(as_text=True)
        assert f'href="{fake_panda.issuer}/ask-for-access?application=support_community"' in page, url
        assert "Ask for access in Panda" in page
