"""Tokens for the community's API as Panda issues them: JWTs the fake Panda signs, personal access tokens it knows."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from tests.community.auth.fake_op import FakePanda, PandaUser

AUDIENCE = "urn:support-community:api"
TOOL = "accounting-tool"


def access_token(
    op: FakePanda,
    sub: str,
    *,
    scope: str = "cases:read cases:write",
    client_id: str = TOOL,
    header: dict | None = None,
    key=None,
    **changes,
) -> str:
    """A JWT access token for the API as Panda issues one (RFC 9068), bent by ``changes``."""
    now = int(time.time())
    claims = {
        "iss": op.issuer,
        "sub": sub,
        "aud": AUDIENCE,
        "client_id": client_id,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(8),
        "scope": scope,
    }
    claims.update(changes)
    return op.sign(
        {k: v for k, v in claims.items() if v is not None}, header={"typ": "at+jwt", **(header or {})}, key=key
    )


def personal_token(op: FakePanda, user: PandaUser, *, scope: str = "cases:read cases:write", forbidden=()) -> str:
    """A personal access token Panda knows, with the answer its introspection gives."""
    token = "pat_" + secrets.token_urlsafe(32)
    now = int(time.time())
    op.personal_tokens[token] = {
        "token_type": "personal_access_token",
        "sub": user.sub,
        "scope": scope,
        "aud": [AUDIENCE],
        "iat": now,
        "exp": now + 3600,
        "forbidden_orgs": list(forbidden),
    }
    return token


def declared(app, method: str, path: str, response) -> None:
    """Fail unless the OpenAPI document declares this answer (status and content type) for the operation."""
    from werkzeug.exceptions import HTTPException

    from support_community.api.blueprint import api

    adapter = app.url_map.bind("community.test")
    try:
        rule, _args = adapter.match(path.split("?", 1)[0], method=method, return_rule=True)
    except HTTPException:
        return  # no operation here (unknown address, method not allowed): only the problem shape applies
    with app.app_context():
        document = api.document(app)
    template = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule[len(api.url_prefix) :])
    operation = document["paths"][template][method.lower()]
    answers = operation["responses"]
    assert str(response.status_code) in answers, f"{method} {template} answered {response.status_code}, undeclared"
    content = answers[str(response.status_code)].get("content", {})
    if response.status_code in (204, 304):
        return
    assert response.mimetype in content or "*/*" in content, (
        f"{method} {template} {response.status_code} answered {response.mimetype}, declared {list(content)}"
    )


@dataclass
class Api:
    """``api.get(path, token)``: the API's client, JSON in and out; every answer must be one the document declares."""

    client: object

    def headers(self, token: str | None, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return {**headers, **(extra or {})}

    def open(self, method: str, path: str, token: str | None, **kw):
        path = path if path.startswith("/api/") else "/api/v1" + path
        response = self.client.open(path, method=method, headers=self.headers(token, kw.pop("headers", None)), **kw)
        declared(self.client.application, method, path, response)
        return response

    def get(self, path: str, token: str | None, **kw):
        return self.open("GET", path, token, **kw)

    def post(self, path: str, token: str | None, **kw):
        return self.open("POST", path, token, **kw)

    def patch(self, path: str, token: str | None, **kw):
        return self.open("PATCH", path, token, **kw)
