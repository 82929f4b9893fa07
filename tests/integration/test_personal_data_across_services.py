"""A person's data across Panda and the community, over real HTTP.

The download holds the community's part, which Panda asks for with a signed request; a
deleted account is erased at the community, also when the community was down at the
moment of the deletion (Panda's outbox sends the event again once it is back). Panda's
outbox worker is stopped for the whole module: what the community learns at once, it
learns from the person's own request; what it learns later, from an outbox run.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import select, update

from tests.integration.test_access_follows_panda import add_client, open_case, signed_in_to_both
from tests.integration.test_single_sign_on import PASSWORD
from tests.live import LiveStack, _ServerThread
from tests.support import TEST_INSTANCE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(smtp_sink):
    from panda_portal.outbox.services import outbox as panda_outbox

    live = LiveStack(smtp_sink, TEST_INSTANCE, name="personaldata").start()
    for thread in live.threads:
        if getattr(thread, "outbox", None) is panda_outbox:
            thread.stop()
    yield live
    live.stop()


def community_person(stack: LiveStack, sub: str):
    from support_community.cases.models import Person
    from support_community.extensions import db

    with stack.community.app_context():
        person = db.session.get(Person, sub)
        return None if person is None else (person.stored_name, person.email, person.erased_at)


def test_the_download_holds_what_the_community_has_about_the_person(stack):
    client = add_client(stack, granted=True)
    jan = signed_in_to_both(stack, client.jan)
    case_url = open_case(stack, jan, client, "Loonfiche ontbreekt")
    number = jan.text.split("CS-", 1)[1][:11]

    jan.get(f"{stack.panda_url}/account/data")
    jan.submit("/account/data", {"password": PASSWORD})

    assert jan.response.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(jan.response.content)) as archive:
        files = {name: json.loads(archive.read(name)) for name in archive.namelist()}
    community = files["applications/support-community.json"]
    assert community["available"] is True
    assert [case["number"] for case in community["data"]["cases_opened"]] == [f"CS-{number}"]
    assert community["data"]["person"]["email"] == client.jan
    assert files["panda/account.json"]["email"] == client.jan
    assert case_url  # the case Jan opened is the one in the archive


def test_a_deletion_while_the_community_is_down_is_erased_there_once_it_is_back(stack):
    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db as panda_db
    from panda_portal.outbox.models import OutboxMessage
    from panda_portal.outbox.services import outbox
    from shared.database import utcnow

    client = add_client(stack, granted=True)
    jan = signed_in_to_both(stack, client.jan)
    open_case(stack, jan, client, "Btw-aangifte weigert te verzenden")
    assert community_person(stack, client.jan_sub)[0] == "Jan Janssens"

    server = next(t for t in stack.threads if isinstance(t, _ServerThread) and t.server.port == stack.community_port)
    server.stop()
    server.server.server_close()  # the community is down
    try:
        jan.get(f"{stack.panda_url}/account/delete")
        jan.submit("/account/delete", {"password": PASSWORD, "understood": "y"})
        assert jan.response.ok and "Your account is deleted" in jan.text, jan.text

        # The deletion stands in Panda, and Jan is signed out there, whatever the community.
        with stack.panda.app_context():
            assert panda_db.session.get(Account, uuid.UUID(client.jan_sub)) is None
            rows = panda_db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "account_event")).all()
            mine = [row for row in rows if row.payload["sub"] == client.jan_sub]
            assert len(mine) == 1 and mine[0].sent_at is None and mine[0].last_error
        jan.get(f"{stack.panda_url}/account")
        assert "/sign-in" in jan.url
    finally:
        restarted = _ServerThread(stack.community, stack.community_port)
        restarted.start()
        stack.threads[stack.threads.index(server)] = restarted
    assert community_person(stack, client.jan_sub)[0] == "Jan Janssens"  # nothing reached it yet

    # Panda's outbox tries again (its back-off made due now): the community erases Jan.
    with stack.panda.app_context():
        panda_db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
            .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
        )
        panda_db.session.commit()
        outbox.deliver_due(stack.panda)
    name, email, erased_at = community_person(stack, client.jan_sub)
    assert (name, email) == ("Former member", "") and erased_at is not None

    # An, the administrator, still sees the organization's case, by a former member.
    from support_community.cases.models import Case
    from support_community.extensions import db as community_db

    with stack.community.app_context():
        cases = community_db.session.scalars(select(Case).where(Case.opened_by_sub == client.jan_sub)).all()
        assert [case.subject for case in cases] == ["Btw-aangifte weigert te verzenden"]
