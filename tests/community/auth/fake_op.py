"""A small stand-in for Panda's OpenID Provider, served over real HTTP on a loopback port.

It speaks the contract the community relies on (discovery, JWKS, authorization
code + PKCE S256, RS256 ID tokens, JWT access tokens carrying ``orgs_version`` but
not the list, rotating refresh tokens, userinfo with the list, the access read of a
person's list as the client, revocation, end-session, RFC 9207 ``iss``, logout
tokens and access events) and lets a test bend any part of it: sign with another
key, name another issuer, drop the ``iss`` parameter, refuse refresh tokens, answer
503, answer slowly. Everything it receives is recorded.

Like Panda, it gives each person's list a version that grows whenever the list (or
the roles) differ from the last one it handed out, so a test simply changes
``user.orgs`` and the fake behaves as Panda would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry
from werkzeug.serving import make_server

CLIENT_ID = "support-community"
CLIENT_SECRET = "community-test-secret"
COMMUNITY_URL = "http://community.test"
REDIRECT_URI = COMMUNITY_URL + "/auth/callback"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ACCESS_CHANGED_EVENT = "urn:panda:event:access-changed"


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


# One key pair per test run: generating RSA keys is slow.
SIGNING_KEY = new_key("panda-1")
FORGED_KEY = new_key("panda-1")  # same kid, different key: a forged signature


def org(
    name: str,
    *,
    enterprise_number: str = "0403.170.701",
    customer_number: str = "100234",
    role: str = "member",
    id: str | None = None,
) -> dict:
    return {
        "id": id or str(uuid.uuid4()),
        "name": name,
        "enterprise_number": enterprise_number,
        "customer_number": customer_number,
        "role": role,
    }


@dataclass
class PandaUser:
    sub: str
    name: str
    email: str
    locale: str = "en"
    orgs: list[dict] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    # Organizations Panda holds back ({"id", "name", "reason"}), e.g. for two-step verification.
    held_back: list[dict] = field(default_factory=list)

    def claims(self) -> dict:
        """Profile, ``orgs`` and ``roles``: what userinfo says of the person."""
        claims = {
            "name": self.name,
            "email": self.email,
            "email_verified": True,
            "locale": self.locale,
            "orgs": list(self.orgs),
        }
        if self.roles:
            claims["roles"] = list(self.roles)
        if self.held_back:
            claims["held_back"] = list(self.held_back)
        return claims

    def digest(self) -> str:
        return hashlib.sha256(json.dumps([self.orgs, self.roles], sort_keys=True).encode()).hexdigest()


class FakePanda:
    def __init__(self) -> None:
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reset()

    def start(self) -> FakePanda:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def reset(self) -> None:
        self.users: dict[str, PandaUser] = {}
        self.signed_in: str | None = None  # who has a session at Panda in "the browser"
        self.panda_sid: str | None = None
        self.login_as: str | None = None  # who signs in when Panda shows its sign-in page
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.spent_refresh_tokens: set[str] = set()
        self.keys: list[RSAKey] = [SIGNING_KEY]
        self.signing_key: RSAKey = SIGNING_KEY
        # What a test bends:
        self.id_token_changes: dict[str, Any] = {}
        self.id_token_drop: set[str] = set()
        self.id_token_key: RSAKey | None = None
        self.iss_parameter: str | None = "correct"  # "correct", "wrong" or None (left out)
        self.advertise_iss_parameter = True
        self.deny = False
        self.failures: dict[str, int] = {}  # endpoint name -> HTTP status
        self.delays: dict[str, float] = {}
        self.access_token_lifetime = 300
        self.access_token_has_orgs = False  # Panda's tokens carry orgs_version, not the list
        self.id_token_has_orgs = False
        self.refuse_refresh = False
        self.versions: dict[str, tuple[int, str]] = {}  # sub -> (orgs_version, digest)
        # What it received:
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.userinfo_requests = 0
        self.access_reads: list[str] = []
        self.revocations: list[dict] = []
        self.end_session_requests: list[dict] = []
        self.hits: dict[str, int] = {}
        # Personal access tokens Panda knows (token -> RFC 7662 answer), and the introspections asked.
        self.personal_tokens: dict[str, dict] = {}
        self.introspections: list[str] = []

    # -- people -------------------------------------------------------------------------
    def add_user(
        self,
        sub: str | None = None,
        *,
        name: str = "Ann Accountant",
        email: str = "ann@example.test",
        orgs: list[dict] | None = None,
        roles: list[str] | None = None,
        locale: str = "en",
        held_back: list[dict] | None = None,
    ) -> PandaUser:
        user = PandaUser(
            sub=sub or str(uuid.uuid4()),
            name=name,
            email=email,
            locale=locale,
            orgs=list(orgs or []),
            roles=list(roles or []),
            held_back=list(held_back or []),
        )
        self.users[user.sub] = user
        return user

    def orgs_version(self, user: PandaUser) -> int:
        """The version of the person's list, one higher each time it differs from the last one handed out."""
        version, digest = self.versions.get(user.sub, (0, ""))
        if user.digest() != digest:
            version += 1
            self.versions[user.sub] = (version, user.digest())
        return version

    def sign_in_at_panda(self, user: PandaUser) -> None:
        self.signed_in = user.sub
        self.panda_sid = secrets.token_urlsafe(12)

    # -- tokens -------------------------------------------------------------------------
    def sign(self, claims: dict, *, header: dict | None = None, key: RSAKey | None = None) -> str:
        key = key or self.signing_key
        return jwt.encode({"alg": "RS256", "kid": key.kid, **(header or {})}, claims, key)

    def id_token(self, user: PandaUser, *, nonce: str | None, sid: str, auth_time: int) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": auth_time,
            "sid": sid,
            **user.claims(),
            "roles": list(user.roles),
            "orgs_version": self.orgs_version(user),
        }
        if not self.id_token_has_orgs:
            claims.pop("orgs")
        if nonce:
            claims["nonce"] = nonce
        claims.update(self.id_token_changes)
        for name in self.id_token_drop:
            claims.pop(name, None)
        return self.sign(claims, key=self.id_token_key)

    def access_token(self, user: PandaUser) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": CLIENT_ID,
            "client_id": CLIENT_ID,
            "iat": now,
            "exp": now + self.access_token_lifetime,
            "jti": secrets.token_hex(8),
            "scope": "openid profile email orgs offline_access",
        }
        claims["roles"] = list(user.roles)
        claims["orgs_version"] = self.orgs_version(user)
        if self.access_token_has_orgs:
            claims["orgs"] = list(user.orgs)
        return self.sign(claims, header={"typ": "at+jwt"})

    def logout_token(
        self,
        *,
        sub: str | None = None,
        sid: str | None = None,
        header: dict | None = None,
        key: RSAKey | None = None,
        drop: tuple[str, ...] = (),
        **changes: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_hex(12),
            "events": {BACKCHANNEL_EVENT: {}},
        }
        if sub is not None:
            claims["sub"] = sub
        if sid is not None:
            claims["sid"] = sid
        claims.update(changes)
        for name in drop:
            claims.pop(name, None)
        return self.sign(claims, header={"typ": "logout+jwt", **(header or {})}, key=key)

    def access_event(
        self,
        sub: str,
        *,
        version: int | None = None,
        withdrawn: tuple[str, ...] | list[str] = (),
        header: dict | None = None,
        key: RSAKey | None = None,
        drop: tuple[str, ...] = (),
        **changes: Any,
    ) -> str:
        """An access event about ``sub`` as Panda signs it (``panda_portal.oidc.events``)."""
        now = int(time.time())
        if version is None:
            version = self.orgs_version(self.users[sub]) if sub in self.users else 1
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_hex(12),
            "sub": sub,
            "events": {ACCESS_CHANGED_EVENT: {"orgs_version": version, "withdrawn": list(withdrawn)}},
        }
        claims.update(changes)
        for name in drop:
            claims.pop(name, None)
        return self.sign(claims, header={"typ": "access-event+jwt", **(header or {})}, key=key)

    def _issue(self, user: PandaUser, *, nonce: str | None, sid: str, auth_time: int, family: str) -> dict:
        refresh_token = secrets.token_urlsafe(24)
        self.refresh_tokens[refresh_token] = {"sub": user.sub, "sid": sid, "auth_time": auth_time, "family": family}
        answer = {
            "access_token": self.access_token(user),
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "refresh_token": refresh_token,
            "scope": "openid profile email orgs offline_access",
        }
        if nonce is not None:
            answer["id_token"] = self.id_token(user, nonce=nonce, sid=sid, auth_time=auth_time)
        return answer

    def issue_tokens(self, user: PandaUser) -> dict:
        """What the token endpoint would answer after ``user`` signed in (for tests that skip the redirects)."""
        return self._issue(
            user, nonce="", sid=self.panda_sid or "", auth_time=int(time.time()), family=secrets.token_hex(4)
        )

    def revoke_family_of(self, sub: str) -> None:
        for token, record in list(self.refresh_tokens.items()):
            if record["sub"] == sub:
                self.spent_refresh_tokens.add(token)
                del self.refresh_tokens[token]

    # -- the HTTP side ------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask("fake_panda")
        op = self

        @app.before_request
        def _bend():
            name = request.endpoint or ""
            op.hits[name] = op.hits.get(name, 0) + 1
            if name in op.delays:
                time.sleep(op.delays[name])
            if name in op.failures:
                return "Panda is having a bad day", op.failures[name]
            return None

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                {
                    "issuer": op.issuer,
                    "authorization_endpoint": op.issuer + "/oidc/authorize",
                    "token_endpoint": op.issuer + "/oidc/token",
                    "userinfo_endpoint": op.issuer + "/oidc/userinfo",
                    "jwks_uri": op.issuer + "/oidc/jwks",
                    "end_session_endpoint": op.issuer + "/oidc/end-session",
                    "revocation_endpoint": op.issuer + "/oidc/revoke",
                    "access_endpoint": op.issuer + "/oidc/access",
                    "introspection_endpoint": op.issuer + "/oidc/introspect",
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code", "refresh_token"],
                    "code_challenge_methods_supported": ["S256"],
                    "scopes_supported": ["openid", "profile", "email", "orgs", "offline_access"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "authorization_response_iss_parameter_supported": op.advertise_iss_parameter,
                    "backchannel_logout_supported": True,
                    "backchannel_logout_session_supported": True,
                    "subject_types_supported": ["public"],
                }
            )

        @app.get("/oidc/jwks")
        def jwks():
            return jsonify(KeySet(op.keys).as_dict(private=False))

        @app.get("/oidc/authorize")
        def authorize():
            params = request.args.to_dict()
            op.authorize_requests.append(params)
            if params.get("client_id") != CLIENT_ID or params.get("redirect_uri") != REDIRECT_URI:
                return "unknown client or redirect URI", 400

            def back(**answer: str):
                if op.iss_parameter == "correct":
                    answer["iss"] = op.issuer
                elif op.iss_parameter == "wrong":
                    answer["iss"] = "http://127.0.0.1:1/not-panda"
                return redirect(REDIRECT_URI + "?" + urlencode({**answer, "state": params.get("state", "")}))

            if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
                return back(error="invalid_request", error_description="PKCE S256 is required")
            if op.deny:
                return back(error="access_denied")
            if op.signed_in is None or params.get("prompt") == "login":
                if params.get("prompt") == "none":
                    return back(error="login_required")
                if op.login_as is None:
                    return "<h1>Sign in to Panda</h1>", 200
                op.sign_in_at_panda(op.users[op.login_as])
            code = secrets.token_urlsafe(16)
            op.codes[code] = {
                "sub": op.signed_in,
                "nonce": params.get("nonce"),
                "sid": op.panda_sid,
                "challenge": params["code_challenge"],
                "redirect_uri": params["redirect_uri"],
                "auth_time": int(time.time()),
            }
            return back(code=code)

        def client_authenticated() -> bool:
            auth = request.authorization
            if auth is not None:
                return auth.username == CLIENT_ID and auth.password == CLIENT_SECRET
            return request.form.get("client_id") == CLIENT_ID and request.form.get("client_secret") == CLIENT_SECRET

        def token_error(error: str, status: int = 400):
            return jsonify(error=error), status

        @app.post("/oidc/token")
        def token():
            form = request.form.to_dict()
            op.token_requests.append(form)
            if not client_authenticated():
                return token_error("invalid_client", 401)
            grant = form.get("grant_type")
            if grant == "authorization_code":
                record = op.codes.pop(form.get("code", ""), None)
                if record is None or record["redirect_uri"] != form.get("redirect_uri"):
                    return token_error("invalid_grant")
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge != record["challenge"]:
                    return token_error("invalid_grant")
                user = op.users[record["sub"]]
                return jsonify(
                    op._issue(
                        user,
                        nonce=record["nonce"] or "",
                        sid=record["sid"],
                        auth_time=record["auth_time"],
                        family=secrets.token_hex(4),
                    )
                )
            if grant == "refresh_token":
                presented = form.get("refresh_token", "")
                record = op.refresh_tokens.pop(presented, None)
                if record is None or op.refuse_refresh:
                    return token_error("invalid_grant")
                op.spent_refresh_tokens.add(presented)
                user = op.users[record["sub"]]
                answer = op._issue(
                    user, nonce=None, sid=record["sid"], auth_time=record["auth_time"], family=record["family"]
                )
                return jsonify(answer)
            return token_error("unsupported_grant_type")

        @app.get("/oidc/userinfo")
        def userinfo():
            op.userinfo_requests += 1
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                return "", 401
            try:
                registry = JWSRegistry(algorithms=["RS256"])
                registry.max_payload_length = 4_000_000  # thousands of organizations
                claims = jwt.decode(header[len("Bearer ") :], KeySet(op.keys), registry=registry).claims
            except Exception:
                return "", 401
            if claims.get("exp", 0) < time.time() or claims.get("sub") not in op.users:
                return "", 401
            user = op.users[claims["sub"]]
            return jsonify(
                {"sub": user.sub, **user.claims(), "roles": user.roles, "orgs_version": op.orgs_version(user)}
            )

        @app.post("/oidc/access")
        def access():
            if not client_authenticated():
                return token_error("invalid_client", 401)
            sub = request.form.get("sub", "")
            op.access_reads.append(sub)
            user = op.users.get(sub)
            if user is None:
                return jsonify(error="unknown_subject"), 404
            answer = {
                "sub": sub,
                "orgs": list(user.orgs),
                "roles": list(user.roles),
                "orgs_version": op.orgs_version(user),
            }
            if user.held_back:
                answer["held_back"] = list(user.held_back)
            return jsonify(answer)

        @app.post("/oidc/introspect")
        def introspect():
            """RFC 7662 as Panda answers it (``panda_portal.oidc.introspection``), for personal access tokens."""
            if not client_authenticated():
                return token_error("invalid_client", 401)
            value = request.form.get("token", "")
            op.introspections.append(value)
            answer = op.personal_tokens.get(value)
            if answer is None or answer.get("exp", 0) < time.time():
                return jsonify({"active": False})
            return jsonify({"active": True, "iss": op.issuer, **answer})

        @app.post("/oidc/revoke")
        def revoke():
            if not client_authenticated():
                return token_error("invalid_client", 401)
            form = request.form.to_dict()
            op.revocations.append(form)
            record = op.refresh_tokens.pop(form.get("token", ""), None)
            if record is not None:
                op.spent_refresh_tokens.add(form["token"])
            return jsonify({})

        @app.get("/oidc/end-session")
        def end_session():
            op.end_session_requests.append(request.args.to_dict())
            op.signed_in = None
            return "<h1>You are signed out of Panda</h1>"

        return app


# -- driving a sign-in the way a browser does -------------------------------------------------
def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def visit_panda(url: str) -> requests.Response:
    """The browser follows the community's redirect to Panda (over real HTTP)."""
    return requests.get(url, allow_redirects=False, timeout=5)


def sign_in(client, op: FakePanda, user: PandaUser, *, next_url: str = "/"):
    """Sign ``user`` in to the community through the fake Panda; returns the callback's response."""
    op.sign_in_at_panda(user)
    start = client.get("/auth/sign-in", query_string={"next": next_url})
    assert start.status_code == 302, start.status_code
    answer = visit_panda(start.headers["Location"])
    assert answer.status_code == 302, answer.text
    return client.get(path_of(answer.headers["Location"]))


def login_as(client, op: FakePanda, user: PandaUser) -> None:
    """Put a signed-in session in ``client``'s browser, as a completed sign-in would, without the round trip.

    The tokens are real ones from the fake Panda (refresh and userinfo work), and the
    person's organizations are kept as a sign-in keeps them. Call it inside the test's
    community app context (the ``community`` fixture).
    """
    from support_community.auth.access import store

    op.sign_in_at_panda(user)
    answer = op.issue_tokens(user)
    # What a completed sign-in keeps of the person's organizations (``auth.access``).
    store(
        user.sub,
        orgs=list(user.orgs),
        roles=list(user.roles),
        version=op.orgs_version(user),
        held_back=list(user.held_back),
    )
    with client.session_transaction() as session:
        session.clear()
        session["sub"] = user.sub
        session["sid"] = op.panda_sid
        session["claims"] = {"sub": user.sub, "name": user.name, "email": user.email, "locale": user.locale}
        session["tokens"] = {
            "access_token": answer["access_token"],
            "expires_at": int(time.time()) + answer["expires_in"],
            "refresh_token": answer["refresh_token"],
            "id_token": answer["id_token"],
        }


def push_access_event(client, token: str):
    """Panda's push of an access event to the community's back-channel endpoint (``client``: any test client)."""
    return client.post(
        "/auth/backchannel-logout", data=token.encode(), headers={"Content-Type": "application/secevent+jwt"}
    )


def expire_access_token(client) -> None:
    """Make the access token in ``client``'s session expired: the next request renews it at Panda."""
    with client.session_transaction() as session:
        session["tokens"] = dict(session["tokens"], expires_at=0)
