"""Every community route, given malformed input by a visitor, a member and an agent, answers without a 5xx."""

from __future__ import annotations

import pytest

from tests.community.factories import PEETERS, make_case, make_person
from tests.malformed import PATH_VALUES, Sweep, in_sweep_order, url_for_rule

STATIC = {"/static/<path:filename>", "/shared-static/<path:filename>"}


@pytest.mark.parametrize("who", ["visitor", "member", "agent"])
def test_no_route_answers_malformed_input_with_a_server_error(community, community_client, login, who):
    if who == "member":
        login(orgs=[PEETERS])
    elif who == "agent":
        login(orgs=[], roles=["support_agent"])
    case = make_case(make_person(), organization_id=PEETERS["id"], organization_name=PEETERS["name"])
    ids = {"org_id": PEETERS["id"], "case_id": case.id}
    sweep = Sweep(community_client, lambda: community_client.csrf_token("/"))
    for rule in in_sweep_order(community.url_map.iter_rules()):
        if rule.rule in STATIC:
            continue
        url = url_for_rule(rule.rule, ids)
        for method in sorted({"GET", "POST"} & (rule.methods or set())):
            sweep.route(method, url, sweep.fields_of(url) if method == "GET" else ())
            if "<" in rule.rule:
                for malformed in PATH_VALUES:
                    sweep.path(method, url_for_rule(rule.rule, ids, malformed))
    assert sweep.sent > 1000  # every route, every value: not a sample
    assert not sweep.problems, f"{len(sweep.problems)} server errors:\n" + "\n".join(sweep.problems[:60])
