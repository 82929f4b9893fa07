"""All my clients across several organizations: full-text search with its (capped) total, and the
opening-date order taken organization by organization, page after page."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.database import utcnow
from support_community.cases.models import CaseMessage, MessageKind, Status
from support_community.cases.services import listing
from support_community.extensions import db
from tests.community.auth.fake_op import org
from tests.community.cases.test_all_clients import rows
from tests.community.factories import JANSSENS, PEETERS, make_case, make_person

ALL = "/cases"
DE_SMET = org("Drukkerij De Smet BV", customer_number="100777", id="6a1e0b2c-1111-4c4c-8d8d-000000000003")
ELSEWHERE = {"id": "6a1e0b2c-1111-4c4c-8d8d-0000000000ff", "name": "Not the accountant's"}
CASES = 40


@pytest.fixture()
def accountant(login, demo_catalog):
    """An accountant of three organizations with 40 cases opened one after the other in turn (every
    other one about Peppol, every fifth solved), and older cases of an organization not theirs."""
    login(name="Jan Janssens", orgs=[PEETERS, JANSSENS, DE_SMET])
    opener = make_person(name="Piet Peeters")
    start = utcnow() - dt.timedelta(days=10)
    elsewhere = []
    for n in range(15):  # all older than the accountant's: oldest first must not stop at them
        case = make_case(
            opener, organization_id=ELSEWHERE["id"], organization_name=ELSEWHERE["name"], subject="Peppol elsewhere"
        )
        case.created_at = start - dt.timedelta(days=30, minutes=n)
        elsewhere.append(case)
    cases = []
    for n in range(CASES):
        owner = (PEETERS, JANSSENS, DE_SMET)[n % 3]
        case = make_case(
            opener,
            organization_id=owner["id"],
            organization_name=owner["name"],
            subject=f"Peppol invoice {n}" if n % 2 == 0 else f"VAT question {n}",
            status=Status.SOLVED if n % 5 == 4 else Status.NEW,
            last_activity_at=start + dt.timedelta(hours=CASES - n),  # the newest activity: the oldest case
        )
        case.created_at = start + dt.timedelta(minutes=n)
        cases.append(case)
    db.session.add(
        CaseMessage(
            case_id=cases[0].id,
            author_sub=opener.sub,
            kind=MessageKind.INTERNAL_NOTE,
            body="secretword only for agents",
            created_at=utcnow(),
        )
    )
    db.session.flush()
    return cases


def every_page(client, **query) -> list[str]:
    """The case numbers of every page of the list, following "Next page" until there is none."""
    found: list[str] = []
    for page in range(1, 60):
        html = client.get(ALL, query_string={**query, "page": page}).get_data(as_text=True)
        found += rows(client, ALL, **query, page=page)
        if 'rel="next"' not in html:
            return found
    raise AssertionError("the pages never end")


def numbers(cases) -> list[str]:
    return [case.number for case in cases]


@pytest.fixture(params=["walks", "looks up"])
def walking(request, monkeypatch):
    """SQLite walks the order's index from WALK_FROM cases on; both ways give the same list."""
    if request.param == "walks":
        monkeypatch.setattr(listing, "WALK_FROM", 1)


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("status", ["any", ""])
@pytest.mark.parametrize("per_page", [7, 1])  # 1: fewer cases up to a page than organizations (a bound)
def test_by_opening_date_every_page_holds_the_next_cases_of_every_organization(
    community_client, accountant, monkeypatch, direction, status, per_page
):
    monkeypatch.setattr(listing, "PER_PAGE", per_page)
    wanted = [case for case in accountant if status == "any" or case.status != Status.SOLVED]
    wanted.sort(key=lambda case: case.created_at, reverse=direction == "desc")
    found = every_page(community_client, status=status, sort="created", direction=direction)
    assert found == numbers(wanted)


@pytest.mark.parametrize("per_page", [2, 1])
def test_by_opening_date_an_organization_without_cases_changes_nothing(
    community_client, accountant, login, monkeypatch, per_page
):
    login(name="Jan Janssens", orgs=[org("Brouwerij Leeg BV", customer_number="100999"), PEETERS, JANSSENS, DE_SMET])
    monkeypatch.setattr(listing, "PER_PAGE", per_page)
    found = every_page(community_client, status="any", sort="created", direction="asc")
    assert found == numbers(sorted(accountant, key=lambda case: case.created_at))


def test_by_opening_date_for_one_organization_chosen_in_the_list(community_client, accountant, monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 4)
    wanted = [case for case in accountant if str(case.organization_id) == JANSSENS["id"]]
    found = every_page(community_client, status="any", sort="created", direction="asc", org=JANSSENS["id"])
    assert found == numbers(sorted(wanted, key=lambda case: case.created_at))


def test_a_search_finds_the_cases_of_every_organization_with_their_total(community_client, accountant, walking):
    peppol = [case for case in accountant if case.subject.startswith("Peppol")]
    html = community_client.get(ALL, query_string={"q": "peppol", "status": "any"}).get_data(as_text=True)
    assert "20 cases" in html and "More than" not in html
    assert rows(community_client, ALL, q="peppol", status="any") == numbers(peppol)  # newest activity first
    assert "Peppol elsewhere" not in html


@pytest.mark.parametrize("sort,direction", [("activity", "desc"), ("created", "asc"), ("severity", "desc")])
def test_a_search_finding_more_than_it_counts_says_more_than_and_pages_on(
    community_client, accountant, monkeypatch, walking, sort, direction
):
    monkeypatch.setattr(listing, "SEARCH_TOTAL_MAX", 5)
    monkeypatch.setattr(listing, "PER_PAGE", 6)
    query = {"q": "peppol", "status": "any", "sort": sort, "direction": direction}
    html = community_client.get(ALL, query_string=query).get_data(as_text=True)
    assert "More than 5 cases" in html
    found = every_page(community_client, **query)
    assert sorted(found) == sorted(numbers(case for case in accountant if case.subject.startswith("Peppol")))
    assert found == rows_in_one_page(community_client, monkeypatch, query)


def rows_in_one_page(client, monkeypatch, query) -> list[str]:
    """The same list, counted exactly and on one page (the reference order)."""
    monkeypatch.setattr(listing, "SEARCH_TOTAL_MAX", 1_000)
    monkeypatch.setattr(listing, "PER_PAGE", 100)
    return rows(client, ALL, **query)


def test_a_capped_search_still_never_finds_internal_notes(community_client, accountant, monkeypatch, walking):
    monkeypatch.setattr(listing, "SEARCH_TOTAL_MAX", 1)
    html = community_client.get(ALL, query_string={"q": "secretword", "status": "any"}).get_data(as_text=True)
    assert "No case matches these filters." in html
    both = community_client.get(ALL, query_string={"q": "peppol secretword", "status": "any"})
    assert "No case matches these filters." in both.get_data(as_text=True)


def test_one_organizations_search_over_the_count_says_more_than(community_client, accountant, monkeypatch):
    monkeypatch.setattr(listing, "WALK_FROM", 1)  # the organization counts as one with thousands of cases
    monkeypatch.setattr(listing, "SEARCH_TOTAL_MAX", 2)
    url = f"/orgs/{PEETERS['id']}/cases"
    html = community_client.get(url, query_string={"q": "peppol"}).get_data(as_text=True)
    assert "More than 2 cases" in html
    peppol = [
        case for case in accountant if case.subject.startswith("Peppol") and str(case.organization_id) == PEETERS["id"]
    ]
    assert rows(community_client, url, q="peppol") == numbers(peppol)


@pytest.mark.parametrize("chosen", [DE_SMET["id"], "drukkerij"])
@pytest.mark.parametrize("query", [{"status": "any"}, {}, {"q": "peppol", "status": "any"}, {"severity": "normal"}])
def test_the_organization_filter_counts_and_lists_that_organizations_cases_only(
    community_client, accountant, walking, chosen, query
):
    """The total comes from the chosen organizations' own counts per status; SQLite decides from them
    whether to walk the list's order (one organization's few cases among many) or look them up."""
    wanted = [
        case
        for case in accountant
        if str(case.organization_id) == DE_SMET["id"]
        and (query.get("status") == "any" or case.status != Status.SOLVED)
        and (not query.get("q") or case.subject.startswith("Peppol"))
    ]
    html = community_client.get(ALL, query_string={**query, "org": chosen}).get_data(as_text=True)
    assert f"{len(wanted)} cases" in html and "More than" not in html
    assert rows(community_client, ALL, **query, org=chosen) == numbers(wanted)  # newest activity first
