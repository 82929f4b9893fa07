"""The API against the real Panda over real HTTP: its personal access tokens, its introspection, its client credentials.

Both services run on loopback ports (``tests.live``); people, organizations and tokens are
made through Panda's own services, and the community learns everything from Panda's
endpoints (introspection, JWKS, access read), as in production.
"""

from __future__ import annotations

import io
import time
import uuid

import pytest
import requests

from tests.community.files import PDF
from tests.integration.test_access_follows_panda import add_client
from tests.live import LiveStack
from tests.support import TEST_INSTANCE

pytestmark = pytest.mark.integration

TOOL = "vendor-crm"


@pytest.fixture(scope="module")
def stack(smtp_sink):
    live = LiveStack(smtp_sink, TEST_INSTANCE, name="capi").start()
    live.community.config["COMMUNITY_API_INTROSPECTION_SECONDS"] = 1
    yield live
    live.stop()


def personal_token(stack: LiveStack, email: str, scopes: list[str]) -> tuple[str, str]:
    from sqlalchemy import select

    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.personal_tokens.services import create_token

    with stack.panda.app_context():
        account = db.session.scalars(select(Account).where(Account.email == email)).one()
        row, value = create_token(account, name="Practice script", scopes=scopes, days=30, actor=account)
        db.session.commit()
        return str(row.id), value


def revoke(stack: LiveStack, token_id: str) -> None:
    from panda_portal.extensions import db
    from panda_portal.personal_tokens.models import PersonalAccessToken
    from panda_portal.personal_tokens.services import revoke_token

    with stack.panda.app_context():
        row = db.session.get(PersonalAccessToken, uuid.UUID(token_id))
        revoke_token(row, actor=row.account)
        db.session.commit()


def forbid_personal_tokens(stack: LiveStack, org_id: str, admin_email: str, *, forbid: bool) -> None:
    from sqlalchemy import select

    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.organizations.models import Organization
    from panda_portal.personal_tokens.services import set_personal_tokens_forbidden

    with stack.panda.app_context():
        admin = db.session.scalars(select(Account).where(Account.email == admin_email)).one()
        organization = db.session.get(Organization, uuid.UUID(org_id))
        set_personal_tokens_forbidden(organization, forbid=forbid, actor=admin)
        db.session.commit()


def client_token(stack: LiveStack, scope: str) -> str:
    """A client-credentials access token of the vendor's integration, from Panda's token endpoint."""
    from panda_portal.extensions import db
    from panda_portal.oidc.services import get_client, register_client

    with stack.panda.app_context():
        if get_client(TOOL) is None:
            _client, secret = register_client(
                TOOL, [], grant_types=["client_credentials"], api_scopes=["agent", "cases:read"]
            )
            db.session.commit()
            stack.tool_secret = secret  # type: ignore[attr-defined]
    discovery = requests.get(f"{stack.panda_url}/.well-known/openid-configuration", timeout=10).json()
    answer = requests.post(
        discovery["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(TOOL, stack.tool_secret),  # type: ignore[attr-defined]
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def first_category(stack: LiveStack, product: str) -> int | None:
    from sqlalchemy import select

    from support_community.cases.models import Category
    from support_community.extensions import db

    with stack.community.app_context():
        return db.session.scalars(select(Category.id).where(Category.product_key == product)).first()


def call(stack: LiveStack, method: str, path: str, token: str, **kwargs) -> requests.Response:
    return requests.request(
        method,
        f"{stack.community_url}/api/v1{path}",
        headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})},
        timeout=20,
        **kwargs,
    )


def wait_for(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.2)


def test_an_accountants_personal_token_and_the_vendors_integration_against_panda(stack):
    client = add_client(stack, granted=True)
    stranger = add_client(stack, granted=True)  # an organization Jan is no member of
    token_id, pat = personal_token(stack, client.jan, ["cases:read", "cases:write"])
    cases = f"/orgs/{client.org_id}/cases"

    # The script: the organizations, a new case, the open cases, a reply, a file.
    orgs = call(stack, "GET", "/orgs", pat)
    assert orgs.status_code == 200, orgs.text
    assert client.org_id in [item["id"] for item in orgs.json()["items"]]
    new_case = {
        "product": "accounting",
        "category_id": first_category(stack, "accounting"),
        "severity": "high",
        "subject": "Btw-aangifte weigert te verzenden",
        "description": "Foutcode 42.",
    }
    opened = call(stack, "POST", cases, pat, json=new_case, headers={"Idempotency-Key": "run-1"})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    listed = call(stack, "GET", f"{cases}?status=open", pat).json()["items"]
    assert [item["id"] for item in listed] == [case_id]
    assert call(stack, "POST", f"{cases}/{case_id}/replies", pat, json={"body": "Nog een vraag"}).status_code == 201
    upload = call(
        stack, "POST", f"{cases}/{case_id}/attachments", pat, files={"files": ("aangifte.pdf", io.BytesIO(PDF))}
    )
    assert upload.status_code == 201, upload.text

    # Another client's organization does not exist for Jan.
    assert call(stack, "GET", f"/orgs/{stranger.org_id}/cases", pat).status_code == 404

    # The integration (client credentials, agent scope) sees the case in the queue.
    jwt = client_token(stack, "agent")
    queue = call(stack, "GET", "/agent/cases", jwt)
    assert queue.status_code == 200, queue.text
    assert case_id in [item["id"] for item in queue.json()["items"]]
    assert call(stack, "GET", cases, jwt).status_code == 403  # no cases:read scope asked for
    read_jwt = client_token(stack, "agent cases:read")
    assert call(stack, "GET", cases, read_jwt).status_code == 404  # it acts for no organization

    # The organization forbids personal access tokens at Panda: within the cache time, the token cannot use it.
    forbid_personal_tokens(stack, client.org_id, client.an, forbid=True)
    wait_for(lambda: call(stack, "GET", cases, pat).status_code == 404)
    assert client.org_id not in [item["id"] for item in call(stack, "GET", "/orgs", pat).json()["items"]]
    forbid_personal_tokens(stack, client.org_id, client.an, forbid=False)
    wait_for(lambda: call(stack, "GET", cases, pat).status_code == 200)

    # Revoked at Panda: refused within the cache time.
    revoke(stack, token_id)
    wait_for(lambda: call(stack, "GET", cases, pat).status_code == 401)

    # Panda down: a personal token cannot be checked (503), the JWT still works (keys kept).
    _new_id, fresh = personal_token(stack, client.jan, ["cases:read"])
    panda_server = stack.threads[0]
    panda_server.stop()
    down = call(stack, "GET", cases, fresh)
    assert down.status_code == 503 and down.headers["Content-Type"] == "application/problem+json"
    assert call(stack, "GET", "/agent/cases", jwt).status_code == 200
