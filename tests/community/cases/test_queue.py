"""The agents' queue as a service: filters from a query string or a stored choice, counts per status."""

from __future__ import annotations

from support_community.cases.models import QueuePreference, Status
from support_community.cases.services.queue import QueueFilters, choose_filters, queue
from support_community.extensions import db
from tests.community.factories import make_agent, make_case, make_person


def test_unknown_filters_fall_back_to_my_open_cases():
    filters = QueueFilters.parse(
        {"status": "<script>", "severity": "urgent!!", "sort": "random", "assignee": "", "product": 42}
    )
    assert filters == QueueFilters()
    assert filters.is_my_open_cases


def test_a_new_choice_is_remembered_and_my_open_cases_is_one_word_away(community):
    sam = make_agent()
    chosen = choose_filters(sam, {"assignee": "unassigned", "status": "all"})
    assert db.session.get(QueuePreference, sam.sub).filters["assignee"] == "unassigned"
    assert choose_filters(sam, {}) == chosen
    assert choose_filters(sam, {"view": "mine"}) == QueueFilters()
    assert choose_filters(sam, {}) == QueueFilters()


def test_the_counts_per_status_follow_every_other_filter(community):
    sam = make_agent()
    customer = make_person()
    for status in (Status.NEW, Status.NEW, Status.SOLVED):
        make_case(customer, status=status, assignee=sam)
    make_case(customer, status=Status.NEW)  # nobody's

    page = queue(QueueFilters(status="new"), agent=sam)

    assert page.counts == {Status.NEW: 2, Status.SOLVED: 1}
    assert (page.total, page.open_count, page.all_count, page.pages) == (2, 2, 3, 1)
    assert [case.assignee_sub for case in page.cases] == [sam.sub, sam.sub]
