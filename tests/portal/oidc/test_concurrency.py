"""Two token requests at the same moment, in real concurrent transactions (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import uuid

import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc import services
from panda_portal.oidc.models import AuthorizationCode, OidcClient, SigningKey, TokenFamily
from shared.database import utcnow
from tests.portal.oidc.helpers import REDIRECT_URI, basic_auth, s256

pytestmark = pytest.mark.postgres_only


@pytest.fixture()
def committed(concurrent_app):
    """A client, a person and a fresh authorization code, really committed."""
    secret = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    code = secrets.token_urlsafe(32)
    with concurrent_app.app_context():
        account = Account(
            email=f"{uuid.uuid4().hex[:8]}@race.example", name="Racer", language="en", email_verified_at=utcnow()
        )
        client = OidcClient(
            client_id=f"race-{uuid.uuid4().hex[:8]}",
            secret_hash=services.hash_secret(secret),
            redirect_uris=[REDIRECT_URI],
            post_logout_redirect_uris=[],
            is_public=False,
            created_at=utcnow(),
        )
        db.session.add_all([account, client])
        db.session.flush()
        db.session.add(
            AuthorizationCode(
                code_hash=services.token_hash(code),
                client_pk=client.id,
                account_id=account.id,
                redirect_uri=REDIRECT_URI,
                scope="openid profile",
                nonce=None,
                code_challenge=s256(verifier),
                code_challenge_method="S256",
                auth_time=1_700_000_000,
                sid="race-sid",
                created_at=utcnow(),
                expires_at=utcnow() + dt.timedelta(minutes=1),
            )
        )
        db.session.commit()
        client_id = client.client_id
    return {"client_id": client_id, "secret": secret, "code": code, "verifier": verifier}


def _post_token(app, data, headers, results, barrier):
    """One token request in its own app context, on its own connection."""
    barrier.wait(timeout=10)
    response = app.test_client().post("/token", data=data, headers=headers)
    results.append((response.status_code, response.get_json()))


def _race(app, data, headers) -> list[tuple[int, dict]]:
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_post_token, args=(app, data, headers, results, barrier)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results, key=lambda item: item[0])


def _family_revoked(app) -> list[bool]:
    with app.app_context():
        return [f.revoked_at is not None for f in db.session.execute(select(TokenFamily)).scalars()]


def _signing_keys(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SigningKey)) or 0


def test_one_code_exchanged_twice_at_once_gives_tokens_once_and_then_revokes_them(concurrent_app, committed):
    data = {
        "grant_type": "authorization_code",
        "code": committed["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": committed["verifier"],
    }
    results = _race(concurrent_app, data, basic_auth(committed["client_id"], committed["secret"]))
    assert [status for status, _ in results] == [200, 400]
    assert results[1][1]["error"] == "invalid_grant"
    assert _family_revoked(concurrent_app) == [True]
    # Two first-time signers agreed on one key.
    assert _signing_keys(concurrent_app) == 1


def test_one_refresh_token_used_twice_at_once_is_rotated_once_and_revokes_the_family(concurrent_app, committed):
    auth = basic_auth(committed["client_id"], committed["secret"])
    tokens = (
        concurrent_app.test_client()
        .post(
            "/token",
            headers=auth,
            data={
                "grant_type": "authorization_code",
                "code": committed["code"],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": committed["verifier"],
            },
        )
        .get_json()
    )
    results = _race(concurrent_app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, auth)
    assert [status for status, _ in results] == [200, 400]
    assert results[1][1]["error"] == "invalid_grant"
    assert _family_revoked(concurrent_app) == [True]
