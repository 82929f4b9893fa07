"""Fixtures of Panda's API tests.

token = make_pat(account, scopes=["orgs:read", "orgs:admin"])   # a personal access token's value
call(token).get("/api/v1/orgs")                                  # requests with ``Authorization: Bearer``
client_token(scopes="orgs:admin")                                 # the vendor's integration (client credentials)
"""

from __future__ import annotations

import base64

import pytest


@pytest.fixture()
def make_pat(panda, panda_db):
    from panda_portal.personal_tokens.services import create_token

    def make(account, *, scopes=("orgs:read", "orgs:admin"), days: int = 90, name: str = "script") -> str:
        with panda.test_request_context("/"):
            _row, value = create_token(account, name=name, scopes=list(scopes), days=days, actor=account)
        panda_db.session.commit()
        return value

    return make


class Caller:
    """A script: every request carries the bearer token and no cookie."""

    def __init__(self, app, token: str | None) -> None:
        self.client = app.test_client(use_cookies=False)
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        merged = dict(headers or {})
        if self.token is not None:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def open(self, method: str, url: str, *, json=None, headers: dict | None = None, **kwargs):
        from tests.portal.factories import forget_request_state

        forget_request_state()
        return self.client.open(url, method=method, json=json, headers=self._headers(headers), **kwargs)

    def get(self, url, **kwargs):
        return self.open("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.open("POST", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.open("PATCH", url, **kwargs)

    def put(self, url, **kwargs):
        return self.open("PUT", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.open("DELETE", url, **kwargs)


@pytest.fixture()
def call(panda, panda_db):
    def make(token: str | None) -> Caller:
        panda_db.session.commit()
        return Caller(panda, token)

    return make


@pytest.fixture()
def integration(panda_db):
    """The vendor's integration: a client registered for client credentials with explicit scopes."""
    from panda_portal.oidc.services import register_client

    _client, secret = register_client(
        "vendor-sync", [], grant_types=["client_credentials"], api_scopes=["orgs:read", "orgs:admin"]
    )
    panda_db.session.commit()
    return "vendor-sync", secret


@pytest.fixture()
def client_token(panda, panda_db, integration):
    def get(scope: str | None = None) -> str:
        client_id, secret = integration
        raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        response = panda.test_client().post("/token", data=data, headers={"Authorization": f"Basic {raw}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        panda_db.session.commit()
        return response.json["access_token"]

    return get
