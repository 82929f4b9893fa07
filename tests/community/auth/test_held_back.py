"""An organization that requires two-step verification: the community says why it is missing.

Panda leaves it out of ``orgs`` for a person without two-step verification and names
it in ``held_back``; the community keeps that with the person's access, tells the
person where organizations are listed and on the organization's own page (still a
404: nothing of it is shown), and forgets it once Panda lists the organization again.
"""

from __future__ import annotations

from support_community.auth.access import held_back_of, store
from tests.community.auth.fake_op import org, push_access_event, sign_in
from tests.community.factories import JANSSENS, PEETERS

HELD_BACK = {"id": PEETERS["id"], "name": PEETERS["name"], "reason": "two_step_required"}


def menu_of(page: str) -> str:
    return page.split('<details class="user-menu">', 1)[1].split("</details>", 1)[0]


def test_a_held_back_organization_is_explained_in_the_menu_on_the_start_page_and_on_switch(
    community_client, login, fake_panda
):
    login(orgs=[dict(JANSSENS)], held_back=[HELD_BACK])

    start = community_client.get("/").get_data(as_text=True)
    switch = community_client.get("/switch").get_data(as_text=True)

    explanation = f"{PEETERS['name']} requires two-step verification:"
    assert explanation in menu_of(start)
    assert start.count(explanation) == 2  # the menu and the start page's list of clients
    assert explanation in switch
    assert f'href="{fake_panda.issuer.rstrip("/")}/account/two-step/set-up"' in switch
    assert f'href="/orgs/{PEETERS["id"]}/"' not in start  # explained, never offered


def test_the_page_of_a_held_back_organization_says_why_and_shows_nothing_of_it(community_client, login, fake_panda):
    login(orgs=[dict(JANSSENS)], held_back=[HELD_BACK])

    for path in (f"/orgs/{PEETERS['id']}/", f"/orgs/{PEETERS['id']}/cases", f"/orgs/{PEETERS['id']}/cases/new"):
        answer = community_client.get(path)
        assert answer.status_code == 404
        page = answer.get_data(as_text=True)
        assert "Two-step verification required" in page
        assert f"{PEETERS['name']} requires two-step verification" in page
        assert "/account/two-step/set-up" in page
    assert community_client.post_form(f"/orgs/{PEETERS['id']}/cases/new", {"subject": "x"}).status_code == 404


def test_an_organization_that_is_not_held_back_stays_a_plain_404(community_client, login):
    login(orgs=[dict(JANSSENS)], held_back=[HELD_BACK])
    other = org("Brouwerij De Smedt NV")
    page = community_client.get(f"/orgs/{other['id']}/").get_data(as_text=True)
    assert "Page not found" in page
    assert "Two-step verification required" not in page and "De Smedt" not in page


def test_without_an_organization_the_explanation_comes_first(community_client, login):
    login(orgs=[], held_back=[HELD_BACK])
    page = community_client.get("/").get_data(as_text=True)
    assert f"{PEETERS['name']} requires two-step verification:" in page
    assert "administrator must approve your membership" in page


def test_the_explanation_follows_panda_when_two_step_verification_is_set_up(
    community, community_client, fake_panda, demo_catalog
):
    jan = fake_panda.add_user(name="Jan Janssens", email="jan@example.test", orgs=[dict(JANSSENS)])
    jan.held_back = [HELD_BACK]
    sign_in(community_client, fake_panda, jan)
    assert "requires two-step verification" in community_client.get("/switch").get_data(as_text=True)

    # Jan sets up two-step verification in Panda: the organization is granted back.
    jan.orgs.append(dict(PEETERS))
    jan.held_back = []
    assert push_access_event(community.test_client(), fake_panda.access_event(jan.sub)).status_code == 202

    page = community_client.get("/").get_data(as_text=True)
    assert "requires two-step verification" not in page
    assert community_client.get(f"/orgs/{PEETERS['id']}/cases").status_code == 200


def test_turning_the_requirement_on_withdraws_at_once_and_explains(
    community, community_client, fake_panda, demo_catalog
):
    jan = fake_panda.add_user(name="Jan Janssens", email="jan@example.test", orgs=[dict(PEETERS), dict(JANSSENS)])
    sign_in(community_client, fake_panda, jan)
    assert community_client.get(f"/orgs/{PEETERS['id']}/cases").status_code == 200

    jan.orgs[:] = [dict(JANSSENS)]
    jan.held_back = [HELD_BACK]
    event = fake_panda.access_event(jan.sub, withdrawn=[PEETERS["id"]])
    assert push_access_event(community.test_client(), event).status_code == 202

    answer = community_client.get(f"/orgs/{PEETERS['id']}/cases")
    assert answer.status_code == 404
    assert "requires two-step verification" in answer.get_data(as_text=True)


def test_held_back_changes_of_the_same_version_are_kept_but_an_older_list_brings_nothing_back(community):
    store("sub-1", orgs=[dict(JANSSENS)], roles=[], version=3, held_back=[HELD_BACK])
    assert [entry["id"] for entry in held_back_of("sub-1")] == [PEETERS["id"]]

    store("sub-1", orgs=[dict(JANSSENS)], roles=[], version=3, held_back=[])  # same list, read later
    assert held_back_of("sub-1") == []

    store("sub-1", orgs=[dict(JANSSENS)], roles=[], version=2, held_back=[HELD_BACK])  # an older read
    assert held_back_of("sub-1") == []


def test_unreadable_held_back_entries_are_ignored(community):
    store(
        "sub-2",
        orgs=[],
        roles=[],
        version=1,
        held_back=[{"id": "not-a-uuid", "name": "x"}, "text", {"name": "no id"}, HELD_BACK, {"id": PEETERS["id"]}],
    )
    assert held_back_of("sub-2") == [HELD_BACK]
    store("sub-3", orgs=[], roles=[], version=1, held_back={"id": PEETERS["id"]})
    assert held_back_of("sub-3") == []


def test_the_api_answers_a_held_back_organization_with_its_own_problem_document(
    community, community_client, fake_panda, demo_catalog
):
    from tests.community.api.support import Api, access_token

    jan = fake_panda.add_user(name="Jan Janssens", email="jan@example.test", orgs=[dict(JANSSENS)])
    jan.held_back = [HELD_BACK]
    store(jan.sub, orgs=[dict(JANSSENS)], roles=[], version=1, held_back=[HELD_BACK])
    api = Api(community_client)

    answer = api.get(f"/orgs/{PEETERS['id']}/cases", access_token(fake_panda, jan.sub))

    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
