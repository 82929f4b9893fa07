"""All my clients: the cases of every organization the person acts for, and the same list for one, with CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from shared.database import utcnow
from support_community.cases.models import CaseMessage, MessageKind, Severity, Status
from support_community.cases.services.export import safe_cell
from support_community.extensions import db
from tests.community.factories import JANSSENS, PEETERS, make_case, make_person

ALL = "/cases"
PEETERS_LIST = f"/orgs/{PEETERS['id']}/cases"


def rows(client, url: str, **query) -> list[str]:
    """The case numbers of the list, in order."""
    page = client.get(url, query_string=query).get_data(as_text=True)
    assert "<tbody>" in page, page[-2000:]
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'/cases/[0-9a-f-]{36}">(CS-[0-9-]+)</a>', body)


@pytest.fixture()
def cases(login, demo_catalog):
    """Jan acts for Peeters and Janssens; cases of every status in both, and one of an organization not his."""
    jan = login(name="Jan Janssens", orgs=[PEETERS, JANSSENS])
    opener = make_person(name="Piet Peeters")
    now = utcnow()

    def case(org, subject, status, severity=Severity.NORMAL, minutes=0):
        return make_case(
            opener,
            organization_id=org["id"],
            organization_name=org["name"],
            subject=subject,
            status=status,
            severity=severity,
            last_activity_at=now - dt.timedelta(minutes=minutes),
        )

    made = {
        "new": case(PEETERS, "Box 54 does not balance", Status.NEW, Severity.LOW, minutes=5),
        "waiting": case(JANSSENS, "Payslip question", Status.WAITING_FOR_CUSTOMER, Severity.CRITICAL, minutes=1),
        "progress": case(PEETERS, "Peppol invoice twice", Status.IN_PROGRESS, Severity.HIGH, minutes=3),
        "solved": case(JANSSENS, "Dimona refused", Status.SOLVED, minutes=10),
        "closed": case(PEETERS, "Old CODA question", Status.CLOSED, minutes=20),
        "other": case({"id": "6a1e0b2c-1111-4c4c-8d8d-0000000000ff", "name": "Not Jan's"}, "Elsewhere", Status.NEW),
    }
    db.session.add(
        CaseMessage(
            case_id=made["solved"].id,
            author_sub=opener.sub,
            kind=MessageKind.REPLY,
            body="The employer number was missing",
            created_at=now,
        )
    )
    db.session.add(
        CaseMessage(
            case_id=made["new"].id,
            author_sub=opener.sub,
            kind=MessageKind.INTERNAL_NOTE,
            body="secretword only for agents",
            created_at=now,
        )
    )
    db.session.flush()
    made["jan"] = jan
    return made


def numbers(*cases) -> list[str]:
    return [case.number for case in cases]


def test_all_my_clients_shows_open_cases_newest_activity_first_with_a_total(community_client, cases):
    assert rows(community_client, ALL) == numbers(cases["waiting"], cases["progress"], cases["new"])
    page = community_client.get(ALL).get_data(as_text=True)
    assert "3 cases" in page
    assert "Elsewhere" not in page


def test_the_history_of_solved_and_closed_cases_can_be_shown(community_client, cases):
    assert rows(community_client, ALL, status="any") == numbers(
        cases["waiting"], cases["progress"], cases["new"], cases["solved"], cases["closed"]
    )
    assert rows(community_client, ALL, status="closed") == numbers(cases["closed"])


def test_the_totals_per_status_link_to_the_filtered_list(community_client, cases):
    page = community_client.get(ALL).get_data(as_text=True)
    totals = page.split('class="status-totals"', 1)[1].split("</nav>", 1)[0]
    assert "Open: <strong>3</strong>" in totals
    assert 'href="/cases?status=waiting_for_customer">Waiting for you: <strong>1</strong>' in totals
    assert "Solved: <strong>1</strong>" in totals and "Closed: <strong>1</strong>" in totals


def test_waiting_for_me_lists_the_cases_waiting_for_the_customer(community_client, cases):
    assert rows(community_client, ALL, status="waiting_for_customer") == numbers(cases["waiting"])


@pytest.mark.parametrize(
    "sort,direction,expected",
    [
        ("severity", "desc", ["waiting", "progress", "new"]),
        ("severity", "asc", ["new", "progress", "waiting"]),
        ("status", "asc", ["new", "progress", "waiting"]),
        ("activity", "asc", ["new", "progress", "waiting"]),
    ],
)
def test_all_my_clients_sorts_as_asked(community_client, cases, sort, direction, expected):
    assert rows(community_client, ALL, sort=sort, direction=direction) == numbers(*(cases[k] for k in expected))


def test_the_search_finds_subjects_conversations_and_case_numbers_but_not_internal_notes(community_client, cases):
    assert rows(community_client, ALL, q="peppol") == numbers(cases["progress"])
    assert rows(community_client, ALL, q="employer number", status="any") == numbers(cases["solved"])
    assert rows(community_client, ALL, q=cases["waiting"].number.lower()) == numbers(cases["waiting"])
    page = community_client.get(ALL, query_string={"q": "secretword", "status": "any"}).get_data(as_text=True)
    assert "No case matches these filters." in page
    assert "Elsewhere" not in community_client.get(ALL, query_string={"q": "elsewhere"}).get_data(as_text=True)


@pytest.mark.parametrize("org_filter", [JANSSENS["id"], "janssens", "0202.239.951", "BE0202239951", "100999"])
def test_all_my_clients_filters_by_organization_by_id_name_or_number(community_client, cases, org_filter):
    assert rows(community_client, ALL, org=org_filter) == numbers(cases["waiting"])


def test_an_organization_outside_the_list_shows_nothing_even_by_id(community_client, cases):
    page = community_client.get(ALL, query_string={"org": "6a1e0b2c-1111-4c4c-8d8d-0000000000ff"})
    assert "Elsewhere" not in page.get_data(as_text=True)


def test_the_list_is_paged_with_its_total(community_client, login, demo_catalog):
    login(orgs=[PEETERS])
    opener = make_person()
    for n in range(30):
        make_case(opener, organization_id=PEETERS["id"], subject=f"Question {n}")
    page = community_client.get(ALL).get_data(as_text=True)
    assert "30 cases" in page and len(rows(community_client, ALL)) == 25
    assert len(rows(community_client, ALL, page=2)) == 5


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_filtered_list_downloads_as_csv_with_every_page(community_client, cases):
    page = community_client.get(ALL, query_string={"status": "any", "sort": "severity"}).get_data(as_text=True)
    assert 'href="/cases/export.csv?status=any&amp;sort=severity"' in page
    lines = read_csv(community_client.get("/cases/export.csv", query_string={"status": "any", "sort": "severity"}))
    assert lines[0][:4] == ["Case", "Organization", "Subject", "Status"]
    exported = [line[0] for line in lines[1:]]
    assert exported[:2] == numbers(cases["waiting"], cases["progress"])  # critical, high
    assert set(exported[2:4]) == set(numbers(cases["solved"], cases["closed"]))  # both normal
    assert exported[4:] == numbers(cases["new"])  # low
    assert lines[1][1:5] == ["Garage Janssens NV", "Payslip question", "Waiting for customer", "Critical"]


def test_a_subject_that_looks_like_a_formula_is_text_in_the_csv(community_client, login, demo_catalog):
    login(orgs=[PEETERS])
    opener = make_person(name="@evil")
    make_case(opener, organization_id=PEETERS["id"], subject='=HYPERLINK("http://x.test","click")')
    lines = read_csv(community_client.get("/cases/export.csv"))
    assert lines[1][2] == '\'=HYPERLINK("http://x.test","click")'
    assert lines[1][8] == "'@evil"


@pytest.mark.parametrize(
    "value,expected",
    [("=1+1", "'=1+1"), ("+32 2", "'+32 2"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("ok", "ok")],
)
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(value, expected):
    assert safe_cell(value) == expected


def test_the_list_of_one_organization_has_totals_sort_search_and_csv(community_client, cases):
    assert rows(community_client, PEETERS_LIST, status="open", sort="status", direction="asc") == numbers(
        cases["new"], cases["progress"]
    )
    page = community_client.get(PEETERS_LIST).get_data(as_text=True)
    assert "3 cases" in page and "Open: <strong>2</strong>" in page
    lines = read_csv(community_client.get(f"{PEETERS_LIST}/export.csv", query_string={"q": "coda"}))
    assert [line[0] for line in lines[1:]] == numbers(cases["closed"])


def test_the_csv_of_an_organization_not_in_the_list_does_not_exist(community_client, cases):
    response = community_client.get("/orgs/6a1e0b2c-1111-4c4c-8d8d-0000000000ff/cases/export.csv")
    assert response.status_code == 404


def test_a_very_long_list_says_more_than_instead_of_counting_every_case(community_client, cases, monkeypatch):
    from support_community.cases.services import listing

    monkeypatch.setattr(listing, "TOTAL_MAX", 1)
    page = community_client.get(ALL, query_string={"severity": "normal", "status": "any"}).get_data(as_text=True)
    assert "More than 1 cases" in page  # the plain message: the list is too long to count
    exact = community_client.get(ALL, query_string={"severity": "critical"}).get_data(as_text=True)
    assert "1 case" in exact and "More than" not in exact
