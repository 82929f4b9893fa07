"""What the README's "Try the API" does, against both services set up as `make run` sets them up.

Panda is prepared by the demo (``panda demo``: it registers the community's client and the
demo integration and leaves their credentials in the instance folder); the community
finds its client there, as in development. Both are served over real HTTP on free
loopback ports (never the fixed ports of `make run`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.live import Browser, LiveStack, _ServerThread, _WorkerThread
from tests.support import TEST_INSTANCE, make_database

pytestmark = pytest.mark.integration


class DemoStack(LiveStack):
    """``LiveStack``, but Panda's clients come from ``panda demo``; the community reads its own from the file."""

    def start(self) -> DemoStack:
        from panda_portal import create_app as create_panda
        from panda_portal.demo import load_demo_data
        from panda_portal.extensions import db as panda_db
        from panda_portal.outbox.services import outbox as panda_outbox
        from support_community import create_app as create_community
        from support_community.extensions import db as community_db
        from support_community.outbox.services import outbox as community_outbox

        self.databases = [make_database(f"{self.name}panda", self.tmp_dir)]
        self.databases.append(make_database(f"{self.name}community", self.tmp_dir))
        self.panda = create_panda(self._common(self.databases[0]) | {"SECRET_KEY": "demo-panda-secret"})
        with self.panda.app_context():
            panda_db.create_all()
            load_demo_data()
            panda_db.session.commit()
        # No COMMUNITY_CLIENT_ID/SECRET: the community reads <INSTANCE_PATH>/community-client.json.
        self.community = create_community(self._common(self.databases[1]) | {"SECRET_KEY": "demo-community-secret"})
        assert self.community.config["COMMUNITY_CLIENT_ID"] == "support-community"
        with self.community.app_context():
            community_db.create_all()
            from support_community.cases.services.demo_data import load_demo

            load_demo()
            community_db.session.commit()
        for thread in (
            _ServerThread(self.panda, self.panda_port),
            _ServerThread(self.community, self.community_port),
            _WorkerThread(self.panda, panda_outbox),
            _WorkerThread(self.community, community_outbox),
        ):
            thread.start()
            self.threads.append(thread)
        return self


@pytest.fixture(scope="module")
def stack(smtp_sink):
    live = DemoStack(smtp_sink, TEST_INSTANCE, name="demoapi").start()
    yield live
    live.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_personal_access_token_from_the_profile_reads_the_organizations_of_both_apis(stack):
    from panda_portal.demo import DEMO_PASSWORD

    jan = Browser()
    jan.get(f"{stack.panda_url}/sign-in")
    jan.submit("/sign-in", {"email": "jan.janssens@example.be", "password": DEMO_PASSWORD})
    jan.get(f"{stack.panda_url}/account/tokens")
    jan.submit("/account/tokens", {"name": "My script", "scopes": ["orgs:read", "cases:read"], "days": "30"})
    token = re.search(r'<code id="new-token">(pat_[^<]+)</code>', jan.text).group(1)

    community = requests.get(f"{stack.community_url}/api/v1/orgs", headers=bearer(token), timeout=20)
    assert community.status_code == 200, community.text
    assert [org["name"] for org in community.json()["items"]] == ["Bakkerij Peeters BV"]
    panda = requests.get(f"{stack.panda_url}/api/v1/orgs", headers=bearer(token), timeout=20)
    assert panda.status_code == 200, panda.text
    assert {org["name"] for org in panda.json()["items"]} == {"Bakkerij Peeters BV", "Garage Dubois SRL"}

    refused = requests.get(f"{stack.community_url}/api/v1/orgs", headers=bearer(token + "x"), timeout=20)
    assert refused.status_code == 401


def test_the_demo_integration_gets_a_token_for_itself_and_works_the_agents_queue(stack):
    from panda_portal.demo import INTEGRATION_CLIENT_FILE

    credentials = json.loads((Path(TEST_INSTANCE) / INTEGRATION_CLIENT_FILE).read_text())
    answer = requests.post(
        f"{stack.panda_url}/token",
        data={"grant_type": "client_credentials", "scope": "agent orgs:read"},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert set(answer.json()["scope"].split()) == {"agent", "orgs:read"}

    queue = requests.get(f"{stack.community_url}/api/v1/agent/cases", headers=bearer(token), timeout=20)
    assert queue.status_code == 200, queue.text
    me = requests.get(f"{stack.panda_url}/api/v1/me", headers=bearer(token), timeout=20)
    assert me.status_code == 200 and me.json()["sub"] == "demo-integration", me.text

    wrong = requests.post(
        f"{stack.panda_url}/token",
        data={"grant_type": "client_credentials", "scope": "orgs:admin"},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=20,
    )
    assert wrong.status_code == 400  # only the scopes it was registered with
