"""The lists: an organization's cases (filters, search, sort, pages) and the open cases of all clients."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from shared.database import utcnow
from support_community.cases.models import CaseMessage, MessageKind, Status
from support_community.cases.services import listing
from support_community.cases.services.listing import CaseFilters
from support_community.extensions import db
from tests.community.auth.fake_op import org
from tests.community.factories import JANSSENS, PEETERS, acting_as, open_case, user_with


@pytest.fixture()
def ann(community):
    return acting_as(user_with(PEETERS, JANSSENS, sub="ann", name="Ann Accountant"))


@pytest.fixture()
def bart(community):
    return acting_as(user_with(PEETERS, sub="bart", name="Bart Boekhouder"))


def numbers(page) -> list[str]:
    return [case.number for case in page.cases]


def subjects(page) -> list[str]:
    return [case.subject for case in page.cases]


def listed(filters: CaseFilters, viewer: str = "ann", org_id: str = PEETERS["id"]) -> list[str]:
    return subjects(listing.organization_cases(org_id, filters, viewer_sub=viewer))


def test_a_list_holds_only_the_organizations_cases(demo_catalog, ann):
    open_case(PEETERS, ann, subject="Peeters case")
    open_case(JANSSENS, ann, subject="Janssens case")
    assert listed(CaseFilters()) == ["Peeters case"]
    assert listed(CaseFilters(), org_id=JANSSENS["id"]) == ["Janssens case"]


def test_filters_by_status_severity_product_and_opener(demo_catalog, ann, bart):
    first = open_case(PEETERS, ann, subject="VAT", severity="high")
    open_case(PEETERS, bart, subject="Payslip", product="payroll", category_key="payslips", severity="low")
    closed = open_case(PEETERS, bart, subject="Old question", severity="high")
    closed.status = Status.CLOSED
    first.status = Status.WAITING_FOR_CUSTOMER

    assert set(listed(CaseFilters(status="open"))) == {"VAT", "Payslip"}
    assert listed(CaseFilters(status="closed")) == ["Old question"]
    assert listed(CaseFilters(status="waiting_for_customer")) == ["VAT"]
    assert set(listed(CaseFilters(severity="high"))) == {"VAT", "Old question"}
    assert listed(CaseFilters(product="payroll")) == ["Payslip"]
    assert listed(CaseFilters(opener="me")) == ["VAT"]
    assert set(listed(CaseFilters(opener="bart"))) == {"Payslip", "Old question"}
    assert listed(CaseFilters(opener="me"), viewer="bart") == listed(CaseFilters(opener="bart"))
    assert listed(CaseFilters(status="high-ish")) != []  # an unknown value filters nothing


def test_the_opener_choices_are_the_people_who_opened_cases_here(demo_catalog, ann, bart):
    open_case(PEETERS, bart)
    open_case(PEETERS, bart)
    open_case(JANSSENS, ann)
    assert [p.name for p in listing.openers(PEETERS["id"])] == ["Bart Boekhouder"]


def test_search_finds_words_in_the_subject_and_in_public_messages(demo_catalog, ann):
    open_case(PEETERS, ann, subject="VAT return does not balance", description="Box 54 differs.")
    open_case(PEETERS, ann, subject="Payslips missing", description="January payslips for Bakkerij.")
    other = open_case(PEETERS, ann, subject="Login problem", description="Cannot sign in.")
    db.session.add(
        CaseMessage(
            case_id=other.id,
            author_sub=ann.sub,
            kind=MessageKind.REPLY,
            body="The error mentions the CODA import.",
            created_at=utcnow(),
        )
    )
    db.session.flush()

    assert listed(CaseFilters(q="vat")) == ["VAT return does not balance"]
    assert listed(CaseFilters(q="january")) == ["Payslips missing"]
    assert listed(CaseFilters(q="coda")) == ["Login problem"]
    assert listed(CaseFilters(q="box differs")) == ["VAT return does not balance"]  # every word of a message
    assert listed(CaseFilters(q="vat balance")) == ["VAT return does not balance"]  # every word of the subject
    assert listed(CaseFilters(q="january coda")) == []
    assert listed(CaseFilters(q="nothing-like-this")) == []


def test_search_never_finds_the_text_of_an_internal_note(demo_catalog, ann):
    sam = acting_as(user_with(sub="sam", name="Sam Support", roles=("support_agent",)))
    case = open_case(PEETERS, ann, subject="Invoices", description="Credit notes look wrong.")
    db.session.add(
        CaseMessage(
            case_id=case.id,
            author_sub=sam.sub,
            kind=MessageKind.INTERNAL_NOTE,
            by_agent=True,
            body="Customer uses a pirated licence xylophone",
            created_at=utcnow(),
        )
    )
    db.session.flush()
    assert listed(CaseFilters(q="xylophone")) == []
    assert listed(CaseFilters(q="pirated licence")) == []
    assert listed(CaseFilters(q="credit")) == ["Invoices"]


def test_search_finds_a_case_by_its_number(demo_catalog, ann):
    case = open_case(PEETERS, ann, subject="Numbered")
    open_case(PEETERS, ann, subject="Another")
    assert listed(CaseFilters(q=case.number.lower())) == ["Numbered"]


def test_search_treats_like_wildcards_as_plain_text(demo_catalog, ann):
    open_case(PEETERS, ann, subject="100% wrong")
    open_case(PEETERS, ann, subject="Something else")
    assert listed(CaseFilters(q="100%")) == ["100% wrong"]
    assert listed(CaseFilters(q="_")) == []


def _dated(case, *, created: dt.datetime, activity: dt.datetime):
    case.created_at, case.last_activity_at = created, activity


def test_sorting_by_activity_creation_severity_and_number(demo_catalog, ann):
    now = utcnow()
    a = open_case(PEETERS, ann, subject="A", severity="low")
    b = open_case(PEETERS, ann, subject="B", severity="critical")
    c = open_case(PEETERS, ann, subject="C", severity="normal")
    _dated(a, created=now - dt.timedelta(days=3), activity=now)
    _dated(b, created=now - dt.timedelta(days=2), activity=now - dt.timedelta(days=2))
    _dated(c, created=now - dt.timedelta(days=1), activity=now - dt.timedelta(days=1))

    assert listed(CaseFilters()) == ["A", "C", "B"]  # newest activity first
    assert listed(CaseFilters(direction="asc")) == ["B", "C", "A"]
    assert listed(CaseFilters(sort="created")) == ["C", "B", "A"]
    assert listed(CaseFilters(sort="severity")) == ["B", "C", "A"]
    assert listed(CaseFilters(sort="severity", direction="asc")) == ["A", "C", "B"]
    assert listed(CaseFilters(sort="number", direction="asc")) == ["A", "B", "C"]


def test_pages_of_twenty_five(demo_catalog, ann):
    for n in range(27):
        open_case(PEETERS, ann, subject=f"Case {n:02d}")
    first = listing.organization_cases(PEETERS["id"], CaseFilters(sort="number", direction="asc"), viewer_sub="ann")
    second = listing.organization_cases(
        PEETERS["id"], CaseFilters(sort="number", direction="asc", page=2), viewer_sub="ann"
    )
    assert len(first.cases) == 25 and first.has_next and not first.has_previous
    assert subjects(second) == ["Case 25", "Case 26"] and not second.has_next and second.has_previous


def test_a_page_past_the_last_allowed_one_shows_the_last_allowed_one(demo_catalog, ann):
    page = listing.organization_cases(PEETERS["id"], CaseFilters(page=10_000), viewer_sub="ann")
    assert page.page == listing.MAX_PAGE


# -- all my clients --------------------------------------------------------------------------------
def test_all_my_clients_lists_open_cases_of_the_given_organizations_newest_activity_first(demo_catalog, ann):
    now = utcnow()
    old = open_case(PEETERS, ann, subject="Peeters old")
    new = open_case(JANSSENS, ann, subject="Janssens new")
    done = open_case(JANSSENS, ann, subject="Janssens solved")
    elsewhere = open_case(org("Someone Else BV"), ann, subject="Not in the token")
    _dated(old, created=now, activity=now - dt.timedelta(hours=2))
    _dated(new, created=now, activity=now - dt.timedelta(hours=1))
    done.status = Status.SOLVED

    page = listing.open_cases_across([PEETERS["id"], JANSSENS["id"]], CaseFilters())

    assert subjects(page) == ["Janssens new", "Peeters old"]
    assert elsewhere not in page.cases


def test_all_my_clients_filters_by_organization_status_and_severity(demo_catalog, ann):
    peeters = open_case(PEETERS, ann, subject="P", severity="critical")
    open_case(JANSSENS, ann, subject="J", severity="low")
    peeters.status = Status.WAITING_FOR_CUSTOMER
    both = [PEETERS["id"], JANSSENS["id"]]
    assert subjects(listing.open_cases_across([JANSSENS["id"]], CaseFilters())) == ["J"]
    assert subjects(listing.open_cases_across(both, CaseFilters(status="waiting_for_customer"))) == ["P"]
    assert subjects(listing.open_cases_across(both, CaseFilters(status="closed"))) == []  # open ones only
    assert subjects(listing.open_cases_across(both, CaseFilters(severity="low"))) == ["J"]


def test_all_my_clients_without_organizations_is_empty(community):
    assert listing.open_cases_across([], CaseFilters()).cases == []
    assert listing.open_cases_across(["not-a-uuid"], CaseFilters()).cases == []


def test_all_my_clients_works_for_more_organizations_than_sqlite_binds(demo_catalog, ann):
    open_case(PEETERS, ann, subject="Found among many")
    many = [str(uuid.uuid4()) for _ in range(listing.SQLITE_BOUND_VALUES + 5)] + [PEETERS["id"]]
    assert subjects(listing.open_cases_across(many, CaseFilters())) == ["Found among many"]
