"""How urgent a case is: an agent changes its severity, and the history says who did, from what to what."""

from __future__ import annotations

from support_community.cases.models import Severity
from support_community.cases.services.severity import change_severity
from tests.community.factories import make_agent, make_case, make_person


def test_a_severity_change_is_recorded_with_who_and_what(community):
    sam = make_agent()
    case = make_case(make_person(), severity=Severity.NORMAL)

    event = change_severity(case, "critical", actor=sam)

    assert case.severity == Severity.CRITICAL
    assert (event.field, event.old_value, event.new_value, event.actor_sub) == (
        "severity",
        "normal",
        "critical",
        sam.sub,
    )


def test_the_same_severity_again_changes_nothing(community):
    case = make_case(make_person(), severity=Severity.HIGH)
    assert change_severity(case, Severity.HIGH, actor=make_agent()) is None
