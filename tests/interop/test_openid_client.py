"""Interoperability: a certified relying-party library (openid-client v6, Node.js) signs in at Panda.

A live Panda (werkzeug's server in a thread, its own fresh database, issuer
``http://127.0.0.1:PORT``) is driven by ``rp.mjs``: discovery, an authorization URL
with PKCE S256, state and nonce, the code exchange with full ID token validation,
userinfo, a refresh (with rotation and reuse detection) and RP-initiated logout.
This test plays the browser in between.

Needs ``node`` and ``npm`` (``npm ci`` fills ``tests/interop/node_modules`` once).
Without them the test is skipped, unless ``CI_REQUIRE_NODE=1``, when it fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from tests.support import drop_database, free_port, make_database

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
CLIENT_ID = "interop-rp"
REDIRECT_URI = "https://rp.interop.test/callback"
POST_LOGOUT_URI = "https://rp.interop.test/signed-out"
SCOPE = "openid profile email orgs"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI_REQUIRE_NODE") == "1":
        pytest.fail(f"{reason} (CI_REQUIRE_NODE=1 requires the interoperability test to run)")
    pytest.skip(f"{reason}: install Node.js 20+ and npm to run the openid-client interoperability test")


@pytest.fixture(scope="module")
def node() -> str:
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if not node_bin or not npm_bin:
        _unavailable("node or npm is not installed")
    installed = HERE / "node_modules" / "openid-client" / "package.json"
    if not installed.exists() or not json.loads(installed.read_text())["version"].startswith("6."):
        command = [npm_bin, "ci" if (HERE / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
        try:
            done = subprocess.run(command, cwd=HERE, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            _unavailable("npm took too long to install openid-client")
        if done.returncode != 0:
            _unavailable(f"npm could not install openid-client: {done.stderr.strip()[-500:]}")
    return node_bin


def run_rp(node_bin: str, command: str, payload: dict) -> dict:
    done = subprocess.run(
        [node_bin, str(HERE / "rp.mjs"), command],
        input=json.dumps(payload),
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"rp.mjs {command} failed:\n{done.stderr}"
    return json.loads(done.stdout)


class LivePanda:
    def __init__(self, smtp) -> None:
        from panda_portal import create_app

        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.database_url = make_database("interop", tempfile.mkdtemp(prefix="panda-interop-"))
        self.app = create_app(
            {
                "TESTING": True,
                "APP_ENV": "testing",
                "DATABASE_URL": self.database_url,
                "SECRET_KEY": secrets.token_urlsafe(32),
                "PANDA_ISSUER": self.issuer,
                "MAIL_SERVER": smtp.host,
                "MAIL_PORT": smtp.port,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def seed(self) -> dict:
        """A client, and a person already signed in to Panda in a browser (a stored session)."""
        from panda_portal.accounts.models import Account, WebSession
        from panda_portal.extensions import db
        from panda_portal.oidc.services import ensure_client
        from shared.database import utcnow

        with self.app.app_context():
            db.create_all()
            account = Account(
                email="interop@example.test",
                name="Interop Person",
                language="fr",
                email_verified_at=utcnow(),
                is_support_agent=True,
            )
            db.session.add(account)
            _, secret = ensure_client(CLIENT_ID, [REDIRECT_URI], post_logout_redirect_uris=[POST_LOGOUT_URI])
            cookie, sid = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            now = utcnow()
            db.session.add(
                WebSession(
                    id=hashlib.sha256(cookie.encode()).hexdigest(),
                    subject=str(account.id),
                    sid=sid,
                    data={"account_id": str(account.id), "auth_time": int(time.time()), "sid": sid},
                    created_at=now,
                    updated_at=now,
                    expires_at=now + dt.timedelta(hours=1),
                )
            )
            db.session.commit()
            return {"account_id": str(account.id), "secret": secret, "cookie": cookie, "sid": sid}

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        from panda_portal.extensions import db

        self.server.shutdown()
        db.state(self.app).engine.dispose()
        drop_database(self.database_url)


@pytest.fixture(scope="module")
def live_panda(smtp_sink):
    panda = LivePanda(smtp_sink)
    panda.seeded = panda.seed()
    panda.start()
    yield panda
    panda.stop()


def test_openid_client_signs_in_refreshes_and_signs_out_at_panda(node, live_panda):
    seeded = live_panda.seeded
    settings = {
        "issuer": live_panda.issuer,
        "clientId": CLIENT_ID,
        "clientSecret": seeded["secret"],
        "redirectUri": REDIRECT_URI,
        "scope": SCOPE,
    }
    started = run_rp(node, "start", settings)

    browser = requests.Session()
    browser.headers["Cookie"] = f"panda_session={seeded['cookie']}"
    authorize = browser.get(started["url"], allow_redirects=False, timeout=10)
    assert authorize.status_code == 302, authorize.text
    callback = authorize.headers["Location"]
    assert callback.startswith(REDIRECT_URI + "?")

    result = run_rp(
        node,
        "finish",
        settings
        | {
            "callbackUrl": callback,
            "codeVerifier": started["codeVerifier"],
            "state": started["state"],
            "nonce": started["nonce"],
            "postLogoutRedirectUri": POST_LOGOUT_URI,
        },
    )

    claims = result["claims"]
    assert claims["iss"] == live_panda.issuer
    assert claims["aud"] == CLIENT_ID
    assert claims["sub"] == seeded["account_id"]
    assert claims["nonce"] == started["nonce"]
    assert claims["sid"] == seeded["sid"]
    assert isinstance(claims["auth_time"], int)
    # The ID token carries the list's version, not the list (it travels in headers and URLs).
    assert "orgs" not in claims and isinstance(claims["orgs_version"], int)
    assert claims["roles"] == ["support_agent"]
    assert claims["locale"] == "fr" and claims["email"] == "interop@example.test"
    assert result["userinfo"]["sub"] == seeded["account_id"]
    assert result["userinfo"]["roles"] == ["support_agent"] and result["userinfo"]["orgs"] == []
    assert result["hasRefreshToken"] and 0 < result["expiresIn"] <= 300
    assert result["refreshed"]["rotated"]
    assert result["refreshed"]["claims"]["sub"] == seeded["account_id"]
    assert result["refreshed"]["userinfo"]["name"] == "Interop Person"
    assert result["reusedRefreshTokenError"] == "invalid_grant"

    signed_out = browser.get(result["endSessionUrl"], allow_redirects=False, timeout=10)
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == POST_LOGOUT_URI + "?state=interop-logout"
