"""Two requests of one browser that both find the access token expired spend the refresh token once.

Panda rotates refresh tokens and treats a second use as theft (it revokes the
whole family), so the community serializes the renewal on the session row.
That needs two real concurrent transactions, hence PostgreSQL and an app whose
requests commit for real (no per-test rollback).
"""
from __future__ import annotations

import threading

import pytest

from tests.community.auth.fake_op import CLIENT_ID, CLIENT_SECRET, COMMUNITY_URL, org, sign_in
from tests.conftest import _TMP, _base_config
from tests.support import FormClient, drop_database, is_postgres, make_database

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def committing_community(smtp_sink, fake_panda_server):
    if not is_postgres():
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no row locks")
    from support_community import create_app
    from support_community.extensions import db

    url = make_database("community_concurrency", _TMP)
    app = create_app(_base_config(smtp_sink, url) | {
        "PANDA_ISSUER": fake_panda_server.issuer, "COMMUNITY_URL": COMMUNITY_URL,
        "COMMUNITY_CLIENT_ID": CLIENT_ID, "COMMUNITY_CLIENT_SECRET": CLIENT_SECRET,
    })
    app.test_client_class = FormClient
    with app.app_context():
        db.create_all()
    yield app
    db.state(app).engine.dispose()
    drop_database(url)


def test_two_concurrent_requests_renew_the_tokens_once(committing_community, fake_panda_server):
    op = fake_panda_server
    user = op.add_user(orgs=[org("Bakkerij Peeters BV")])
    first = committing_community.test_client()
    sign_in(first, op, user)
    cookie = first.get_cookie("community_session").value
    with first.session_transaction() as session:
        session["tokens"] = dict(session["tokens"], expires_at=0)
    second = committing_community.test_client()
    second.set_cookie("community_session", cookie)
    op.delays["token"] = 0.5  # keep the first renewal in flight while the second request arrives

    statuses: list[int] = []
    threads = [threading.Thread(target=lambda c=c: statuses.append(c.get("/switch").status_code))
               for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200]
    assert len([r for r in op.token_requests if r["grant_type"] == "refresh_token"]) == 1
