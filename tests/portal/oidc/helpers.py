"""Helpers of the OpenID Provider tests: a relying party's side of the flows, and checking tokens.

sign_in_as(panda_client, account)                         # a browser signed in to Panda
flow = Flow(panda_client, rp)
code = flow.code()                                        # /authorize → the code (asserts iss, state)
tokens = flow.exchange(code).json                         # /token
claims = verify_jwt(panda_client, tokens["id_token"])     # checked with the JWKS
with counted_statements(engine) as shapes: ...            # ["SELECT oidc_clients", "UPDATE …", …]
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import g
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import event

ISSUER = "http://panda.test"
REDIRECT_URI = "https://rp.example.test/callback"
POST_LOGOUT_URI = "https://rp.example.test/signed-out"
SCOPE = "openid profile email orgs"


@dataclass
class RelyingParty:
    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT_URI

    @property
    def public(self) -> bool:
        return self.secret is None


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def basic_auth(client_id: str, secret: str) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def forget_current_account() -> None:
    """Requests of one test share the app context; a new browser must not see the last one's account."""
    g.pop("current_account", None)


def sign_in_as(client, account, *, auth_time: int | None = None, sid: str | None = None) -> str:
    """Make ``client`` a browser signed in to Panda as ``account``; returns the session's sid."""
    sid = sid or uuid.uuid4().hex
    with client.session_transaction() as session:
        session["account_id"] = str(account.id)
        session["auth_time"] = int(time.time()) if auth_time is None else auth_time
        session["sid"] = sid
    forget_current_account()
    return sid


@dataclass
class Flow:
    """One relying party's authorization code flow against Panda, step by step."""

    browser: object
    rp: RelyingParty
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def params(self, **overrides) -> dict:
        params = {
            "response_type": "code",
            "client_id": self.rp.client_id,
            "redirect_uri": self.rp.redirect_uri,
            "scope": SCOPE,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def authorize(self, **overrides):
        return self.browser.get("/authorize?" + urlencode(self.params(**overrides)))

    def code(self, **overrides) -> str:
        response = self.authorize(**overrides)
        assert response.status_code == 302, response.get_data(as_text=True)
        location = response.headers["Location"]
        assert location.startswith(self.rp.redirect_uri + "?"), location
        params = query_of(location)
        assert params.get("iss") == ISSUER
        assert params.get("state") == self.state
        assert "code" in params, params
        return params["code"]

    def token_request(self, data: dict, *, auth: str = "basic", secret: str | None = None):
        data = dict(data)
        headers = {}
        secret = self.rp.secret if secret is None else secret
        if auth in ("basic", "post"):
            assert secret, "this client has no secret: pass one"
        if auth == "basic":
            headers = basic_auth(self.rp.client_id, secret)
        elif auth == "post":
            data.update(client_id=self.rp.client_id, client_secret=secret)
        elif auth == "none":
            data["client_id"] = self.rp.client_id
        return self.browser.post("/token", data=data, headers=headers)

    def default_auth(self) -> str:
        return "none" if self.rp.public else "basic"

    def exchange(self, code: str, *, auth: str | None = None, secret: str | None = None, **overrides):
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.rp.redirect_uri,
            "code_verifier": self.verifier,
        }
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        return self.token_request(data, auth=auth or self.default_auth(), secret=secret)

    def refresh(self, refresh_token: str, *, auth: str | None = None):
        return self.token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=auth or self.default_auth()
        )

    def tokens(self, **overrides) -> dict:
        response = self.exchange(self.code(**overrides))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json


def jwks_of(client) -> KeySet:
    return KeySet.import_key_set(client.get("/jwks").json)


def verify_jwt(client, token: str) -> jwt.Token:
    """Decode a token with Panda's published JWKS (signature checked, RS256 only)."""
    return jwt.decode(token, jwks_of(client), algorithms=["RS256"])


# -- a client's back-channel endpoint ------------------------------------------------------------
@dataclass
class BackChannel:
    """A client's back-channel endpoint on 127.0.0.1 that keeps what it receives and answers ``status``.

    ``received`` holds ``{"path", "content_type", "body"}`` per request. ``while_receiving``
    is called (with the request) before the answer: what a client would do meanwhile.
    """

    status: int = 202
    received: list[dict] = field(default_factory=list)
    port: int = 0
    while_receiving: object = None

    def start(self) -> BackChannel:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                request = {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "body": self.rfile.read(length).decode(),
                }
                channel.received.append(request)
                if callable(channel.while_receiving):
                    channel.while_receiving(request)
                self.send_response(channel.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/auth/backchannel-logout"

    def access_events(self) -> list[dict]:
        return [r for r in self.received if r["content_type"] == "application/secevent+jwt"]


# -- SQL statements of a request ------------------------------------------------------------------
_STATEMENT_SHAPE = re.compile(
    r"^\s*(?:(?P<select>SELECT)\b.*?\bFROM\s+(?P<from>\w+)|(?P<insert>INSERT)\s+INTO\s+(?P<into>\w+)"
    r"|(?P<update>UPDATE)\s+(?P<table>\w+)|(?P<delete>DELETE)\s+FROM\s+(?P<gone>\w+))",
    re.IGNORECASE | re.DOTALL,
)
# The tests' rollback recipe wraps each request's transaction in a savepoint: not the request's own.
_HARNESS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)


def statement_shape(statement: str) -> str:
    """``"SELECT oidc_clients"``, ``"INSERT oidc_access_tokens"``: what a statement does, and to which table."""
    match = _STATEMENT_SHAPE.match(statement)
    if match is None:
        return " ".join(statement.split())[:40]
    for verb, table in (("select", "from"), ("insert", "into"), ("update", "table"), ("delete", "gone")):
        if match.group(verb):
            return f"{verb.upper()} {match.group(table)}"
    raise AssertionError(statement)


@contextmanager
def counted_statements(engine) -> Iterator[list[str]]:
    """The shapes (``statement_shape``) of the SQL statements run on ``engine`` meanwhile, in order."""
    shapes: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not _HARNESS.match(statement):
            shapes.append(statement_shape(statement))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield shapes
    finally:
        event.remove(engine, "before_cursor_execute", count)
