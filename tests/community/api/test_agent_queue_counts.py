"""The API's queue says when its counts are lower bounds, as the page's "1,000+" does."""

from __future__ import annotations

import pytest

from support_community.cases.models import Severity
from support_community.cases.services import queue
from support_community.extensions import db
from tests.community.api.support import access_token
from tests.community.factories import acting_as, make_case, make_person


@pytest.fixture()
def sam_token(fake_panda, community) -> str:
    sam = fake_panda.add_user(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])
    acting_as(sam)
    return access_token(fake_panda, sam.sub, scope="agent")


@pytest.fixture()
def five_critical_and_one_low(community):
    customer = make_person()
    for _ in range(5):
        make_case(customer, severity=Severity.CRITICAL)
    make_case(customer, severity=Severity.LOW)
    db.session.flush()


def test_a_filtered_count_that_stopped_at_the_limit_says_it_is_a_lower_bound(
    api, sam_token, five_critical_and_one_low, monkeypatch
):
    monkeypatch.setattr(queue, "COUNT_LIMIT", 3)
    answer = api.get("/agent/cases?severity=critical", sam_token)
    assert answer.status_code == 200
    assert answer.json["counts_are_lower_bounds"] is True
    assert answer.json["counts"]["new"] == 4  # at least four: counting stopped after the limit
    assert len(answer.json["items"]) == 5  # the list itself is whole


def test_a_count_under_the_limit_or_kept_by_the_database_is_exact(
    api, sam_token, five_critical_and_one_low, monkeypatch
):
    monkeypatch.setattr(queue, "COUNT_LIMIT", 3)
    low = api.get("/agent/cases?severity=low", sam_token).json
    assert low["counts_are_lower_bounds"] is False and low["counts"]["new"] == 1

    # Without filters other than the assignee the database keeps the counts: exact beyond the limit.
    everything = api.get("/agent/cases", sam_token).json
    assert everything["counts_are_lower_bounds"] is False and everything["counts"]["new"] == 6
