"""Signing keys: created on first use, rotated, published while their tokens live."""

from __future__ import annotations

import datetime as dt

from joserfc import jwt
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


def test_a_token_is_signed_exactly_as_joserfc_signs_it(panda):
    """Panda makes its JWTs itself (header encoded once per key): a client's JOSE library must read
    exactly what joserfc would have made, unusual characters and nested claims included."""
    from joserfc import jwt

    from panda_portal.oidc import keys

    row = keys.active_key()
    claims = {"iss": "https://panda.example", "sub": "ü-€-\u2028", "aud": ["a", "b"], "exp": 2, "x": {"y": None}}
    for typ in ("JWT", "at+jwt", "logout+jwt"):
        made = keys.sign(dict(claims), typ=typ)
        expected = jwt.encode({"alg": "RS256", "kid": row.kid, "typ": typ}, dict(claims), keys._key(row))
        assert made == expected
        decoded = keys.decode(made, typ=typ)
        assert decoded.claims == claims and decoded.header == {"typ": typ, "alg": "RS256", "kid": row.kid}


# -- the keys a process keeps --------------------------------------------------------------------
def _key_made_by_another_process(panda_db, generation: int):
    """A new key written as another Panda process's ``panda keys rotate`` would: this one is not told."""
    from joserfc.jwk import RSAKey

    from panda_portal.oidc.models import SigningKey
    from shared.database import utcnow

    private = RSAKey.generate_key(2048, private=True)
    kid = private.thumbprint()
    jwk = private.as_dict(private=True) | {"kid": kid, "use": "sig", "alg": "RS256"}
    row = SigningKey(generation=generation, kid=kid, alg="RS256", private_jwk=jwk, created_at=utcnow())
    panda_db.session.add(row)
    panda_db.session.commit()
    return row, private


def test_a_key_rotated_by_another_process_signs_here_once_the_kept_keys_are_read_again(panda, panda_db, monkeypatch):
    import time

    from panda_portal.oidc import keys

    first = keys.active_key()
    assert jwt.decode(keys.sign({"sub": "x"}, typ="JWT"), keys.public_key(first)).header["kid"] == first.kid
    newer, _private = _key_made_by_another_process(panda_db, first.generation + 1)

    # Within KEY_CHECK_SECONDS the process still signs with the key it read (which stays
    # published for that much longer: retirement_grace)...
    assert jwt.decode(keys.sign({"sub": "x"}, typ="JWT"), keys.public_key(first)).header["kid"] == first.kid
    later = time.monotonic() + keys.KEY_CHECK_SECONDS + 1
    monkeypatch.setattr(keys.time, "monotonic", lambda: later)
    # ...then it reads the keys again and the newest signs.
    assert jwt.decode(keys.sign({"sub": "x"}, typ="JWT"), keys.public_key(newer)).header["kid"] == newer.kid


def test_a_token_signed_by_a_key_this_process_has_not_read_yet_is_verified(panda, panda_db):
    from panda_portal.oidc import keys

    first = keys.active_key()
    keys.sign({"sub": "x"}, typ="JWT")  # the process keeps the keys it read
    newer, private = _key_made_by_another_process(panda_db, first.generation + 1)
    token = jwt.encode({"alg": "RS256", "kid": newer.kid, "typ": "at+jwt"}, {"sub": "x"}, private)

    assert keys.decode(token, typ="at+jwt").claims["sub"] == "x"
