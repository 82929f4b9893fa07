"""Every Panda route, given malformed input by a visitor and by an administrator, answers without a 5xx."""

from __future__ import annotations

import pytest

from panda_portal.organizations.models import BulkAddBatch, BulkAddStatus, Role
from tests.malformed import PATH_VALUES, Sweep, in_sweep_order, url_for_rule
from tests.portal.factories import sign_in_client

STATIC = {"/static/<path:filename>", "/shared-static/<path:filename>", "/mfa-static/<path:filename>"}

# The routes are swept in parts, each in a transaction of its own: one test sending thousands of
# writes (each in its own savepoint) would fill PostgreSQL's lock table.
PARTS = 4


@pytest.fixture()
def values(panda_db, make_account, make_org, make_membership):
    admin = make_account()
    org = make_org()
    make_membership(admin, org, role=Role.ADMIN, grants=["support_community"])
    member = make_membership(make_account(), org)
    # A list of clients of the administrator's, previewed: its pages get malformed input too.
    batch = BulkAddBatch(account_id=admin.id, status=BulkAddStatus.PREVIEW, total_rows=0, work_rows=0)
    panda_db.session.add(batch)
    panda_db.session.commit()
    return admin, {"org_id": org.id, "membership_id": member.id, "token": "not-a-token", "batch_id": batch.id}


@pytest.mark.parametrize("who", ["visitor", "administrator"])
@pytest.mark.parametrize("part", range(PARTS))
def test_no_route_answers_malformed_input_with_a_server_error(part, panda, values, who):
    admin, ids = values
    client = panda.test_client()
    if who == "administrator":
        sign_in_client(client, admin)
    sweep = Sweep(client, lambda: client.csrf_token("/sign-in"))
    for index, rule in enumerate(in_sweep_order(panda.url_map.iter_rules())):
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
