"""Who works on a case: agents only, the history keeps each change, and the new assignee hears of it."""

from __future__ import annotations

import pytest

from support_community.cases.services import assignment
from tests.community.factories import make_agent, make_case, make_person


def test_only_agents_are_offered_and_found(community):
    eva, sam = make_agent(name="Eva Claes"), make_agent(name="Sam Support")
    customer = make_person(name="Ann Accountant")
    assert [agent.sub for agent in assignment.list_agents()] == [eva.sub, sam.sub]
    assert assignment.find_agent(sam.sub) is sam
    assert assignment.find_agent(customer.sub) is None
    assert assignment.find_agent("") is None


def test_a_case_cannot_be_given_to_a_customer(community):
    customer = make_person()
    case = make_case(customer)
    with pytest.raises(assignment.NotAnAgentError, match="only be assigned to support agents"):
        assignment.assign(case, customer, actor=make_agent())
    assert case.assignee_sub is None


def test_assigning_records_the_names_and_nothing_changes_twice(community):
    sam, eva = make_agent(name="Sam Support"), make_agent(name="Eva Claes")
    case = make_case(make_person())

    event = assignment.assign(case, eva, actor=sam)

    assert case.assignee_sub == eva.sub
    assert (event.field, event.old_value, event.new_value) == ("assignee", None, "Eva Claes")
    assert assignment.assign(case, eva, actor=sam) is None
    assert assignment.assign(case, None, actor=sam).new_value is None
