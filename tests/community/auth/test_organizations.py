"""The person's organizations as the community keeps them: search, pages, favourites, recent choices."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.demo_scale import enterprise_number
from support_community.auth import organizations
from support_community.auth.access import store
from tests.community.auth.fake_op import org

SUB = "accountant-sub"


def clients(count: int) -> list[dict]:
    def dotted(digits: str) -> str:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"

    return [
        org(f"Client {n:04d} BV", enterprise_number=dotted(enterprise_number(n)), customer_number=str(700000 + n))
        for n in range(count)
    ]


PEETERS = org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234")
JANSSENS = org("Garage Janssens NV", enterprise_number="0202.239.951", customer_number="100999", role="admin")


@pytest.fixture()
def kept(community):
    def keep(orgs: list[dict], version: int = 1) -> None:
        store(SUB, orgs=orgs, roles=[], version=version)

    return keep


def names(found) -> list[str]:
    return [item.name for item in found.items]


@pytest.mark.parametrize(
    "query", ["0403.170.701", "BE0403170701", "403170701", "BE 0403 170 701", "be0403.170.701", "170.701"]
)
def test_an_enterprise_number_in_any_spelling_finds_the_organization(kept, query):
    kept([PEETERS, JANSSENS])
    assert names(organizations.search(SUB, query)) == ["Bakkerij Peeters BV"]


@pytest.mark.parametrize("query", ["peeters", "BAKKERIJ", "erij pee", "100234", "1002"])
def test_a_name_or_customer_number_finds_the_organization(kept, query):
    kept([PEETERS, JANSSENS])
    assert names(organizations.search(SUB, query)) == ["Bakkerij Peeters BV"]


def test_a_search_finds_only_the_persons_own_organizations(community, kept):
    kept([PEETERS])
    store("someone-else", orgs=[JANSSENS], roles=[], version=1)
    assert names(organizations.search(SUB, "garage")) == []
    assert names(organizations.search(SUB, "%")) == []  # LIKE wildcards are text
    assert names(organizations.search(SUB, "_")) == []


def test_no_page_lists_more_than_a_hundred_organizations(kept):
    kept(clients(250))
    first = organizations.search(SUB, per_page=5000)
    assert len(first.items) == 100 and first.total == 250 and first.has_next
    third = organizations.search(SUB, page=3)
    assert third.items[0].name == "Client 0100 BV" and (third.first, third.last) == (101, 150) and third.has_next
    last = organizations.search(SUB, page=5)
    assert len(last.items) == 50 and not last.has_next and last.has_previous


def test_favourites_are_per_person_and_survive_a_new_list_from_panda(kept):
    kept([PEETERS, JANSSENS])
    organizations.set_favourite(SUB, JANSSENS["id"], favourite=True)
    assert [o.name for o in organizations.favourites(SUB)] == ["Garage Janssens NV"]
    store("someone-else", orgs=[JANSSENS], roles=[], version=1)
    assert organizations.favourites("someone-else") == []

    kept([PEETERS, JANSSENS, org("Drukkerij Claes")], version=2)  # Panda's list read again
    assert [o.name for o in organizations.favourites(SUB)] == ["Garage Janssens NV"]
    assert {o.name: o.favourite for o in organizations.search(SUB).items}["Garage Janssens NV"] is True

    organizations.set_favourite(SUB, JANSSENS["id"], favourite=False)
    assert organizations.favourites(SUB) == []


def test_an_organization_no_longer_in_the_list_leaves_favourites_and_recent_choices(kept):
    kept([PEETERS, JANSSENS])
    organizations.set_favourite(SUB, JANSSENS["id"], favourite=True)
    organizations.remember_use(SUB, JANSSENS["id"])
    kept([PEETERS], version=2)
    assert organizations.favourites(SUB) == []
    assert organizations.recent(SUB) == []


def test_the_five_organizations_used_last_come_newest_first(kept, monkeypatch):
    listed = clients(8)
    kept(listed)
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    for minute, claim in enumerate(listed):
        monkeypatch.setattr(organizations, "utcnow", lambda minute=minute: start + dt.timedelta(minutes=minute))
        organizations.remember_use(SUB, claim["id"])
    assert [o.name for o in organizations.recent(SUB)] == [f"Client {n:04d} BV" for n in (7, 6, 5, 4, 3)]


def test_using_an_organization_outside_the_list_is_not_remembered(kept):
    kept([PEETERS])
    organizations.remember_use(SUB, JANSSENS["id"])
    organizations.remember_use(SUB, "not-a-uuid")
    assert organizations.recent(SUB) == []


def test_the_menu_lists_a_short_list_whole_and_a_long_one_by_favourites_and_recent_use(kept):
    kept([PEETERS, JANSSENS])
    short = organizations.menu(SUB, limit=10, total=2)
    assert [o.name for o in short.complete] == ["Bakkerij Peeters BV", "Garage Janssens NV"]

    listed = clients(30)
    kept(listed, version=2)
    organizations.set_favourite(SUB, listed[20]["id"], favourite=True)
    organizations.remember_use(SUB, listed[3]["id"])
    organizations.remember_use(SUB, listed[20]["id"])
    long = organizations.menu(SUB, limit=10, total=30)
    assert long.complete == []
    assert [o.name for o in long.favourites] == ["Client 0020 BV"]
    assert [o.name for o in long.recent] == ["Client 0003 BV"]  # a favourite is not listed twice


def test_one_organization_is_found_by_any_spelling_of_its_id(kept):
    kept([PEETERS])
    assert organizations.find(SUB, PEETERS["id"].upper()).name == "Bakkerij Peeters BV"
    assert organizations.find(SUB, JANSSENS["id"]) is None
    assert organizations.find(SUB, "../switch") is None
