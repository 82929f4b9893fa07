"""Fixtures of the OpenID Provider tests (the helpers they use: ``helpers``).

account                                                   # a confirmed, active person (in Dutch)
rp = make_rp()                                            # a confidential client + its secret
browser                                                   # a browser signed in to Panda as ``account``
flow                                                      # ``Flow(browser, rp)``
"""

from __future__ import annotations

import itertools

import pytest

from tests.portal.oidc.helpers import POST_LOGOUT_URI, REDIRECT_URI, Flow, RelyingParty, sign_in_as

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def _rsa_key_pool():
    from joserfc.jwk import RSAKey

    return [RSAKey.generate_key(2048, private=True) for _ in range(3)]


@pytest.fixture(autouse=True)
def _reuse_generated_keys(_rsa_key_pool, monkeypatch):
    """Generating RSA keys is slow; each test gets the same few (every test starts without keys)."""
    from panda_portal.oidc import keys

    pool = iter(_rsa_key_pool)
    monkeypatch.setattr(keys, "_generate_private_key", lambda: next(pool))


@pytest.fixture()
def make_rp(panda_db):
    from panda_portal.oidc.services import register_client

    def make(
        *,
        public: bool = False,
        post_logout_redirect_uris=(POST_LOGOUT_URI,),
        backchannel_logout_uri: str | None = None,
        requires_grant: str | None = None,
        redirect_uris=(REDIRECT_URI,),
    ) -> RelyingParty:
        client_id = f"rp-{next(_counter)}"
        client, secret = register_client(
            client_id,
            list(redirect_uris),
            post_logout_redirect_uris=post_logout_redirect_uris,
            backchannel_logout_uri=backchannel_logout_uri,
            requires_grant=requires_grant,
            public=public,
        )
        panda_db.session.commit()
        return RelyingParty(client_id, secret, redirect_uri=list(redirect_uris)[0])

    return make


@pytest.fixture()
def account(make_account):
    """A confirmed, active person who reads Panda in Dutch."""
    return make_account(language="nl")


@pytest.fixture()
def rp(make_rp) -> RelyingParty:
    return make_rp()


@pytest.fixture()
def browser(panda_client, account):
    """A browser signed in to Panda as ``account``."""
    sign_in_as(panda_client, account)
    return panda_client


@pytest.fixture()
def flow(browser, rp) -> Flow:
    return Flow(browser, rp)


@pytest.fixture(autouse=True)
def _applications(panda_db):
    """The applications a client can require (``support_community``), as the demo data has them."""
    from panda_portal.organizations.demo_data import ensure_applications

    ensure_applications()
    panda_db.session.commit()
