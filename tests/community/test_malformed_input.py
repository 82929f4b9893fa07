"""Every community route, given malformed input by a visitor, a member and an agent, answers without a 5xx."""

from __future__ import annotations

import pytest

from tests.community.factories import PEETERS, make_case, make_person
from tests.malformed import PATH_VALUES, Sweep, in_sweep_order, url_for_rule

STATIC = {"/static/<path:filename>", "/shared-static/<path:filename>"}

# The routes are swept in parts, each in a transaction of its own: one test sending thousands of
# writes (each in its own savepoint) would fill PostgreSQL's lock table.
PARTS = 4


@pytest.mark.parametrize("who", ["visitor", "member", "agent"])
@pytest.mark.parametrize("part", range(PARTS))
def test_no_route_answers_malformed_input_with_a_server_error(part, community, community_client, login, who):
    if who == "member":
        login(orgs=[PEETERS])
    elif who == "agent":
        login(orgs=[], roles=["support_agent"])
    case = make_case(make_person(), organization_id=PEETERS["id"], organization_name=PEETERS["name"])
    ids = {"org_id": PEETERS["id"], "case_id": case.id}
    sweep = Sweep(community_client, lambda: community_client.csrf_token("/"))
    for index, rule in enumerate(in_sweep_order(community.url_map.iter_rules())):
        if index % PARTS != part:
            continue
        if rule.rule in STATIC:
            continue
        url = url_for_rule(rule.rule, ids)
        for method in sorted({"GET", "POST"} & (rule.methods or set())):
            sweep.route(method, url, sweep.fields_of(url) if method == "GET" else ())
            if "<" in rule.rule:
                for malformed in PATH_VALUES:
                    sweep.path(method, url_for_rule(rule.rule, ids, malformed))
    assert sweep.sent > 1000 // PARTS  # every route of this part, every value: not a sample
    assert not sweep.problems, f"{len(sweep.problems)} server errors:\n" + "\n".join(sweep.problems[:60])
