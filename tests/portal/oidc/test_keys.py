"""Signing keys: created on first use, rotated, published while their tokens live."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.portal.oidc.helpers import Flow, verify_jwt


def published_kids(client) -> list[str]:
    return [key["kid"] for key in client.get("/jwks").json["keys"]]


def test_the_first_key_is_created_once_even_when_two_processes_try_at_once(panda, panda_db):
    from panda_portal.oidc import keys
    from panda_portal.oidc.models import SigningKey

    winner = keys._insert_generation(1)
    assert winner is not None
    # The second creator loses on the unique generation and uses the winner's key.
    assert keys._insert_generation(1) is None
    assert keys.active_key().kid == winner.kid
    assert panda_db.session.execute(select(func.count()).select_from(SigningKey)).scalar_one() == 1


def test_rotation_makes_a_new_key_sign_and_keeps_the_old_one_published(flow, panda_client, panda_db):
    from panda_portal.oidc import keys

    old_tokens = flow.tokens()
    old_kid = verify_jwt(panda_client, old_tokens["id_token"]).header["kid"]
    new = keys.rotate()
    panda_db.session.commit()

    assert published_kids(panda_client) == [new.kid, old_kid]
    new_tokens = Flow(flow.browser, flow.rp).tokens()
    for name in ("id_token", "access_token"):
        assert verify_jwt(panda_client, new_tokens[name]).header["kid"] == new.kid
    # What the old key signed still verifies against the published JWKS.
    assert verify_jwt(panda_client, old_tokens["access_token"]).claims["sub"]


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(panda, panda_client, panda_db):
    from panda_portal.oidc import keys

    first = keys.active_key()
    keys.rotate()
    panda_db.session.commit()
    assert keys.key_status(first) == "retiring"
    first.retired_at = first.retired_at - keys.retirement_grace() - dt.timedelta(seconds=1)
    panda_db.session.commit()
    assert first.kid not in published_kids(panda_client)
    assert keys.key_status(first) == "retired"


def test_the_retirement_period_covers_the_longest_token_lifetime(panda):
    from panda_portal.oidc import keys

    longest = max(panda.config["ACCESS_TOKEN_SECONDS"], panda.config["ID_TOKEN_SECONDS"], keys.LOGOUT_TOKEN_SECONDS)
    assert keys.retirement_grace() >= dt.timedelta(seconds=longest)


def test_private_keys_are_kept_in_the_database(panda, panda_db):
    from panda_portal.oidc import keys

    row = keys.active_key()
    assert row.private_jwk["kty"] == "RSA" and "d" in row.private_jwk
    assert row.alg == "RS256"


def test_a_token_signed_by_an_unknown_key_is_refused(panda):
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from panda_portal.oidc import keys

    keys.active_key()
    stranger = RSAKey.generate_key(2048, private=True, parameters={"kid": "stranger"})
    forged = jwt.encode({"alg": "RS256", "kid": "stranger", "typ": "at+jwt"}, {"sub": "x"}, stranger)
    try:
        keys.decode(forged, typ="at+jwt")
    except keys.InvalidToken:
        pass
    else:
        raise AssertionError("a foreign key was accepted")
