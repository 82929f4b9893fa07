"""Production behind a proxy that terminates TLS: forms, sign-in and the OpenID flow work over https.

The browser speaks https to the proxy; the proxy speaks plain http to the service and says
so in ``X-Forwarded-Proto``/``-Host``/``-For`` (``PROXY_FIX_HOPS=1``). The test client plays
the browser (cookies marked Secure travel because the browser's URL is https) and the
proxy (the service sees an http request with the forwarded headers).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support import CSRF_INPUT, TEST_INSTANCE, FormClient, base_config, drop_database, make_database

PANDA = "panda.example.com"
COMMUNITY = "community.example.com"
REDIRECT_URI = f"https://{COMMUNITY}/auth/callback"
PASSWORD = "a long passphrase behind the proxy"


class ProxiedBrowser:
    """A browser on https://<host>, reaching the service through a TLS-terminating proxy."""

    def __init__(self, app, host: str) -> None:
        self.client: FormClient = app.test_client()
        self.host = host

    def _send(self, method: str, path: str, *, referer: bool = True, **kwargs):
        headers = kwargs.pop("headers", {})
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": self.host, "X-Forwarded-For": "203.0.113.9"}
        if referer and method == "POST":
            headers.setdefault("Referer", f"https://{self.host}{path}")  # what Referrer-Policy: same-origin sends
        return self.client.open(
            path,
            method=method,
            base_url=f"https://{self.host}",
            environ_overrides={"wsgi.url_scheme": "http", "HTTP_HOST": "app:8000"},
            headers={**proxy, **headers},
            **kwargs,
        )

    def get(self, path: str, **kwargs):
        return self._send("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self._send("POST", path, **kwargs)

    def csrf_token(self, page: str) -> str:
        match = CSRF_INPUT.search(self.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)


def production_app(service: str, smtp_sink):
    module = __import__(service, fromlist=["create_app"])
    url = make_database(f"proxy_{service}", TEST_INSTANCE)
    app = module.create_app(
        base_config(smtp_sink, url)
        | {
            "APP_ENV": "production",
            "TESTING": False,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SESSION_COOKIE_SECURE": True,
            "PROXY_FIX_HOPS": 1,
            "PREFERRED_URL_SCHEME": "https",
            "PANDA_ISSUER": f"https://{PANDA}",
            "COMMUNITY_URL": f"https://{COMMUNITY}",
            "COMMUNITY_CLIENT_SECRET": "community-secret",
            "RATELIMIT_ENABLED": True,
        }
    )
    app.test_client_class = FormClient
    database = __import__(f"{service}.extensions", fromlist=["db"]).db
    with app.app_context():
        database.create_all()
    return app, database, url


@pytest.fixture()
def panda_behind_proxy(smtp_sink):
    app, database, url = production_app("panda_portal", smtp_sink)
    yield app
    database.state(app).engine.dispose()
    drop_database(url)


@pytest.fixture()
def community_behind_proxy(smtp_sink):
    app, database, url = production_app("support_community", smtp_sink)
    yield app
    database.state(app).engine.dispose()
    drop_database(url)


def test_pages_tell_the_browser_to_send_the_referer_to_this_site_only(panda_behind_proxy):
    response = ProxiedBrowser(panda_behind_proxy, PANDA).get("/sign-in")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" in response.headers


def test_signing_in_and_the_authorization_code_flow_work_through_the_proxy(panda_behind_proxy):
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db
    from panda_portal.oidc.services import register_client

    with panda_behind_proxy.app_context():
        create_account("ada@example.com", "Ada Peeters", PASSWORD, verified=True)
        _client, secret = register_client("proxied-rp", [REDIRECT_URI])
        db.session.commit()
    browser = ProxiedBrowser(panda_behind_proxy, PANDA)

    signed_in = browser.post(
        "/sign-in",
        data={"email": "ada@example.com", "password": PASSWORD, "csrf_token": browser.csrf_token("/sign-in")},
    )
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    assert urlsplit(signed_in.headers["Location"]).path == "/"
    assert "Secure" in signed_in.headers["Set-Cookie"]

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    authorized = browser.get(
        "/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": "proxied-rp",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid orgs",
                "state": "s1",
                "nonce": "n1",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    assert authorized.status_code == 302, authorized.get_data(as_text=True)[:500]
    answer = {key: values[0] for key, values in parse_qs(urlsplit(authorized.headers["Location"]).query).items()}
    assert answer["iss"] == f"https://{PANDA}" and answer["state"] == "s1"

    credentials = base64.b64encode(f"proxied-rp:{secret}".encode()).decode()
    tokens = browser.post(
        "/token",
        referer=False,
        headers={"Authorization": f"Basic {credentials}"},
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    userinfo = browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens.json['access_token']}"})
    assert userinfo.status_code == 200 and userinfo.json["sub"]
    discovery = browser.get("/.well-known/openid-configuration").json
    assert discovery["issuer"] == f"https://{PANDA}"
    assert discovery["token_endpoint"] == f"https://{PANDA}/token"


def test_a_form_posted_from_another_site_is_still_refused_over_https(panda_behind_proxy):
    browser = ProxiedBrowser(panda_behind_proxy, PANDA)
    token = browser.csrf_token("/sign-in")
    foreign = browser.post(
        "/sign-in",
        headers={"Referer": "https://evil.example.net/"},
        data={"email": "ada@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert foreign.status_code == 400


def test_a_community_form_works_through_the_proxy(community_behind_proxy):
    browser = ProxiedBrowser(community_behind_proxy, COMMUNITY)
    response = browser.post("/language", data={"language": "fr", "next": "/", "csrf_token": browser.csrf_token("/")})
    assert response.status_code == 302
    assert "lang=fr" in response.headers["Set-Cookie"] and "Secure" in response.headers["Set-Cookie"]
