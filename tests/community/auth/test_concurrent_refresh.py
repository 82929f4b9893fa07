"""Two requests of one browser that both find the access token expired spend the refresh token once.

Panda rotates refresh tokens and treats a second use as theft (it revokes the
whole family), so the community serializes the renewal on the session row.
That needs two real concurrent transactions, hence PostgreSQL and an app whose
requests commit for real (no per-test rollback).
"""

from __future__ import annotations

import threading

import pytest

from tests.community.auth.fake_op import expire_access_token, org, sign_in

pytestmark = pytest.mark.postgres_only


def test_two_concurrent_requests_renew_the_tokens_once(committing_community, fake_panda_server):
    op = fake_panda_server
    user = op.add_user(orgs=[org("Bakkerij Peeters BV")])
    first = committing_community.test_client()
    sign_in(first, op, user)
    cookie = first.get_cookie("community_session").value
    expire_access_token(first)
    second = committing_community.test_client()
    second.set_cookie("community_session", cookie)
    op.delays["token"] = 0.5  # keep the first renewal in flight while the second request arrives

    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda c=c: statuses.append(c.get("/switch").status_code)) for c in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200]
    assert len([r for r in op.token_requests if r["grant_type"] == "refresh_token"]) == 1
