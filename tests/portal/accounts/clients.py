"""Client applications for the accounts tests: registered as the OpenID Provider's tests register them."""

from __future__ import annotations

import itertools

from tests.portal.oidc.helpers import REDIRECT_URI, RelyingParty

_counter = itertools.count(1)


def register_rp(panda_db, *, backchannel_logout_uri: str | None = None) -> RelyingParty:
    from panda_portal.oidc.services import register_client

    client_id = f"accounts-rp-{next(_counter)}"
    _client, secret = register_client(client_id, [REDIRECT_URI], backchannel_logout_uri=backchannel_logout_uri)
    panda_db.session.commit()
    return RelyingParty(client_id, secret, redirect_uri=REDIRECT_URI)
