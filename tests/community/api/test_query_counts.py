"""The API's lists and a case's file run the same number of SQL statements for 2 or 20 rows (no N+1)."""

from __future__ import annotations

import io

from tests.community.api.support import access_token
from tests.community.auth.fake_op import org
from tests.community.cases.test_query_counts import counted_statements
from tests.community.factories import acting_as, open_case
from tests.community.files import PDF

PEETERS = org("Bakkerij Peeters BV")


def test_lists_and_files_cost_the_same_for_few_or_many_rows(api, community, fake_panda, demo_catalog, store):
    ann = fake_panda.add_user(orgs=[PEETERS])
    sam = fake_panda.add_user(name="Sam Support", roles=["support_agent"])
    person = acting_as(ann)
    acting_as(sam)
    member, agent = access_token(fake_panda, ann.sub), access_token(fake_panda, sam.sub, scope="agent")
    case = open_case(PEETERS, person)
    cases = f"/orgs/{PEETERS['id']}/cases"

    def costs() -> list[int]:
        counts = []
        for path, token in (
            (cases + "?limit=100", member),
            (f"{cases}/{case.id}", member),
            ("/agent/cases?limit=100", agent),
            (f"/agent/cases/{case.id}", agent),
        ):
            with counted_statements(community) as statements:
                assert api.get(path, token).status_code == 200
            counts.append(len(statements))
        return counts

    open_case(PEETERS, person)
    few = costs()
    for n in range(18):
        open_case(PEETERS, person, subject=f"Question {n}")
    for n in range(5):
        api.post(f"{cases}/{case.id}/replies", member, json={"body": f"Reply {n}"})
        api.post(
            f"{cases}/{case.id}/attachments",
            member,
            data={"files": (io.BytesIO(PDF), f"page-{n}.pdf")},
            content_type="multipart/form-data",
        )
        api.post(f"/agent/cases/{case.id}/notes", agent, json={"body": f"Note {n}"})
    assert costs() == few
