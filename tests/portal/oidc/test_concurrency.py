"""Two token requests at the same moment, in real concurrent transactions (PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import secrets
import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc import services
from panda_portal.oidc.models import (AccessToken, AuthorizationCode, OidcClient, RefreshToken, SigningKey,
                                      TokenFamily)
from shared.database import utcnow
from tests.portal.oidc.conftest import REDIRECT_URI, basic_auth, s256
from tests.support import is_postgres

pytestmark = pytest.mark.postgres_only


@pytest.fixture()
def real_engine(panda):
    if not is_postgres():
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): two real concurrent transactions")
    engine = db.state(panda).engine
    with Session(engine) as before:
        had_keys = before.execute(select(func.count()).select_from(SigningKey)).scalar_one() > 0
    yield engine
    # These transactions were really committed: take everything they wrote away again.
    with Session(engine) as cleanup:
        cleanup.execute(delete(AccessToken))
        cleanup.execute(delete(RefreshToken))
        cleanup.execute(delete(AuthorizationCode))
        cleanup.execute(delete(TokenFamily))
        cleanup.execute(delete(OidcClient).where(OidcClient.client_id.like("race-%")))
        cleanup.execute(delete(Account).where(Account.email.like("%@race.example")))
        if not had_keys:
            cleanup.execute(delete(SigningKey))
        cleanup.commit()


@pytest.fixture()
def committed(real_engine):
    """A client, a person and a fresh authorization code, really committed."""
    secret = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    code = secrets.token_urlsafe(32)
    with Session(real_engine, expire_on_commit=False) as setup:
        account = Account(email=f"{uuid.uuid4().hex[:8]}@race.example", name="Racer", language="en",
                          email_verified_at=utcnow())
        client = OidcClient(client_id=f"race-{uuid.uuid4().hex[:8]}", secret_hash=services.hash_secret(secret),
                            redirect_uris=[REDIRECT_URI], post_logout_redirect_uris=[], is_public=False,
                            created_at=utcnow())
        setup.add_all([account, client])
        setup.flush()
        setup.add(AuthorizationCode(
            code_hash=services.token_hash(code), client_pk=client.id, account_id=account.id,
            redirect_uri=REDIRECT_URI, scope="openid profile", nonce=None, code_challenge=s256(verifier),
            code_challenge_method="S256", auth_time=1_700_000_000, sid="race-sid", created_at=utcnow(),
            expires_at=utcnow() + dt.timedelta(minutes=1)))
        setup.commit()
    return {"client_id": client.client_id, "secret": secret, "code": code, "verifier": verifier}


@contextmanager
def real_transactions(app, engine):
    """Requests commit for real, each on its own connection (not the test's rolled-back one)."""
    state = db.state(app)
    original = state.sessionmaker
    state.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        yield
    finally:
        state.sessionmaker = original


def _post_token(app, engine, data, headers, results, barrier):
    """One token request in its own app context, on its own connection."""
    barrier.wait(timeout=10)
    response = app.test_client().post("/token", data=data, headers=headers)
    results.append((response.status_code, response.get_json()))


def _race(app, engine, data, headers) -> list[tuple[int, dict]]:
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_post_token, args=(app, engine, data, headers, results, barrier))
               for _ in range(2)]
    with real_transactions(app, engine):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    return sorted(results, key=lambda item: item[0])


def _family_revoked(engine) -> list[bool]:
    with Session(engine) as check:
        return [f.revoked_at is not None for f in check.execute(select(TokenFamily)).scalars()]


def test_one_code_exchanged_twice_at_once_gives_tokens_once_and_then_revokes_them(panda, real_engine, committed):
    data = {"grant_type": "authorization_code", "code": committed["code"], "redirect_uri": REDIRECT_URI,
            "code_verifier": committed["verifier"]}
    results = _race(panda, real_engine, data, basic_auth(committed["client_id"], committed["secret"]))
    assert [status for status, _ in results] == [200, 400]
    assert results[1][1]["error"] == "invalid_grant"
    assert _family_revoked(real_engine) == [True]
    # Two first-time signers agreed on one key.
    with Session(real_engine) as check:
        assert check.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 1


def test_one_refresh_token_used_twice_at_once_is_rotated_once_and_revokes_the_family(panda, real_engine,
                                                                                    committed):
    auth = basic_auth(committed["client_id"], committed["secret"])
    with real_transactions(panda, real_engine):
        tokens = panda.test_client().post("/token", headers=auth, data={
            "grant_type": "authorization_code", "code": committed["code"], "redirect_uri": REDIRECT_URI,
            "code_verifier": committed["verifier"]}).get_json()
    results = _race(panda, real_engine, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                    auth)
    assert [status for status, _ in results] == [200, 400]
    assert results[1][1]["error"] == "invalid_grant"
    assert _family_revoked(real_engine) == [True]
