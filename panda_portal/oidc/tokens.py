"""Codes and tokens: how they are issued, stored, consumed and refused.

* An authorization code is single use. Presenting it again revokes everything it
  was exchanged for (RFC 6749 §4.1.2, RFC 9700 §4.5).
* A code exchange starts a ``TokenFamily``. Refresh tokens rotate: each use
  returns a new one, and presenting a rotated one again revokes the whole family
  (RFC 9700 §4.14.2). Both checks are single ``UPDATE … WHERE used IS NULL``
  statements, so two concurrent requests cannot both win.
* Refresh tokens are issued to clients whose grant types include
  ``refresh_token``; each lives ``REFRESH_TOKEN_DAYS`` from its issue (sliding).
* Access tokens are RS256 JWTs (RFC 9068, ``typ`` ``at+jwt``) valid
  ``ACCESS_TOKEN_SECONDS``; their ``jti`` is recorded so they can be revoked.
  Their ``aud`` is the client, or, when they carry API scopes (``models.API_SCOPES``),
  the audiences of those APIs; a ``resource`` parameter (RFC 8707) narrows them, and the
  scopes with them.
* ``client_credentials`` (a client registered for it, acting for itself): a token whose
  ``sub`` is the ``client_id``, for the API scopes registered for the client, without a
  refresh token; it is recorded in a grant without a person, so it can be revoked too.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from flask import current_app, g, has_request_context
from flask import request as flask_request
from sqlalchemy import CursorResult, Table, bindparam, insert, select, update

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc import keys
from panda_portal.oidc.claims import Person, user_claims
from panda_portal.oidc.models import (
    API_AUDIENCES,
    API_SCOPES,
    CLIENT_CREDENTIALS,
    AccessToken,
    AuthorizationCode,
    OidcClient,
    RefreshToken,
    TokenFamily,
    audiences_of,
)
from panda_portal.oidc.services import revoke_families, token_hash
from shared.database import new_uuid, utcnow

ACCESS_TOKEN_TYPE = "at+jwt"
_NONCES = "_oidc_nonces"  # ``g``: nonces looked up in this context (before its code is stored)


def issuer() -> str:
    return current_app.config["PANDA_ISSUER"]


@dataclass
class Issued:
    jti: str
    expires_at: dt.datetime
    scope: str
    refresh_token: str | None


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: a ``resource`` that is not one of Panda's APIs, or none the scopes reach."""

    error = "invalid_target"


@dataclass(frozen=True)
class Grant:
    """What a token family (the grant tokens rest on) says about the tokens issued from it."""

    id: uuid.UUID
    client_pk: uuid.UUID
    scope: str
    auth_time: int
    amr: str | None
    sid: str | None

    @classmethod
    def of(cls, family: TokenFamily) -> Grant:
        return cls(family.id, family.client_pk, family.scope, family.auth_time, family.amr, family.sid)


@dataclass
class Grantee:
    """The person tokens are issued to, with the grant they rest on (Authlib's "user")."""

    account: Person
    family: Grant
    issued: list[Issued] = field(default_factory=list)
    # The person's claims per (client, scope), built once for the access token and the ID token.
    _claims: dict[tuple[uuid.UUID, str], dict[str, Any]] = field(default_factory=dict)

    def claims(self, client: OidcClient, scope: str) -> dict[str, Any]:
        """The person's claims for ``client`` and ``scope`` (a copy, to extend)."""
        key = (client.id, scope)
        if key not in self._claims:
            self._claims[key] = user_claims(self.account, client, scope)
        return dict(self._claims[key])

    def get_user_id(self) -> str:
        return str(self.account.id)

    @property
    def auth_time(self) -> int:
        return self.family.auth_time

    @property
    def amr(self) -> list[str]:
        return (self.family.amr or "pwd").split()

    @property
    def sid(self) -> str | None:
        return self.family.sid


# -- authorization codes -------------------------------------------------------------------
def store_code(
    code: str,
    *,
    client: OidcClient,
    account: Account,
    redirect_uri: str,
    scope: str,
    nonce: str | None,
    code_challenge: str,
    code_challenge_method: str,
    auth_time: int,
    sid: str | None,
    amr: list[str] | None = None,
) -> AuthorizationCode:
    now = utcnow()
    row = AuthorizationCode(
        code_hash=token_hash(code),
        client_pk=client.id,
        account_id=account.id,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        auth_time=auth_time,
        amr=" ".join(amr or ["pwd"]),
        sid=sid,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=int(current_app.config["AUTHORIZATION_CODE_SECONDS"])),
    )
    db.session.add(row)
    db.session.flush()
    if nonce:
        g.setdefault(_NONCES, {})[(client.client_id, nonce)] = True
    return row


def nonce_was_used(client_id: str | None, nonce: str) -> bool:
    """Whether a code was issued with ``nonce`` to the client (asked twice per authorization: read once)."""
    asked: dict[tuple[str | None, str], bool] = g.setdefault(_NONCES, {})
    if (client_id, nonce) not in asked:
        asked[(client_id, nonce)] = (
            db.session.execute(
                select(AuthorizationCode.id)
                .join(OidcClient)
                .where(OidcClient.client_id == client_id, AuthorizationCode.nonce == nonce)
                .limit(1)
            ).first()
            is not None
        )
    return asked[(client_id, nonce)]


def _code_family(code_id: uuid.UUID) -> uuid.UUID | None:
    return db.session.execute(select(AuthorizationCode.family_id).where(AuthorizationCode.id == code_id)).scalar()


def find_code(code: str, client: OidcClient) -> AuthorizationCode | None:
    """The unused, unexpired code issued to ``client``; a code used before revokes its tokens."""
    row = db.session.execute(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == token_hash(code))
    ).scalar_one_or_none()
    if row is None or row.client_pk != client.id:
        return None
    if row.used_at is not None:
        family_id = _code_family(row.id)
        revoke_families([family_id] if family_id else [], "code_reused")
        raise InvalidGrantError("The authorization code was already used; what it gave is revoked.")
    if row.is_expired:
        return None
    return row


def consume_code(row: AuthorizationCode) -> Grantee:
    """Mark the code used (once, even under concurrency) and start its token family."""
    claimed = cast(
        CursorResult,
        db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        family_id = _code_family(row.id)
        revoke_families([family_id] if family_id else [], "code_reused")
        raise InvalidGrantError("The authorization code was already used; what it gave is revoked.")
    account = db.session.get(Account, row.account_id)
    if account is None or not account.is_active:
        raise InvalidGrantError("The account can no longer sign in.")
    family = TokenFamily(
        client_pk=row.client_pk,
        account_id=account.id,
        scope=row.scope,
        sid=row.sid,
        auth_time=row.auth_time,
        amr=row.amr,
        created_at=utcnow(),
    )
    db.session.add(family)
    db.session.flush()
    db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == row.id)
        .values(family_id=family.id)
        .execution_options(synchronize_session=False)
    )
    return Grantee(account=account, family=Grant.of(family))


# -- refresh tokens ------------------------------------------------------------------------
# A refresh runs on columns, through statements built once (their compiled form is cached):
# no ORM objects to load, track or flush, no statement to build per request.
_REFRESH = cast(Table, RefreshToken.__table__)
_FAMILY = cast(Table, TokenFamily.__table__)
_ACCOUNT = cast(Table, Account.__table__)
_ACCESS = cast(Table, AccessToken.__table__)

_REFRESH_GRANT = (
    select(
        _REFRESH.c.id,
        _REFRESH.c.expires_at,
        _REFRESH.c.rotated_at,
        _FAMILY.c.id,
        _FAMILY.c.client_pk,
        _FAMILY.c.scope,
        _FAMILY.c.auth_time,
        _FAMILY.c.amr,
        _FAMILY.c.sid,
        _FAMILY.c.revoked_at,
        _ACCOUNT.c.id,
        _ACCOUNT.c.email,
        _ACCOUNT.c.name,
        _ACCOUNT.c.language,
        _ACCOUNT.c.email_verified_at,
        _ACCOUNT.c.is_support_agent,
        _ACCOUNT.c.disabled_at,
    )
    .select_from(
        _REFRESH.join(_FAMILY, _FAMILY.c.id == _REFRESH.c.family_id).outerjoin(
            _ACCOUNT, _ACCOUNT.c.id == _FAMILY.c.account_id
        )
    )
    .where(_REFRESH.c.token_hash == bindparam("presented"))
)
# Used once, even under concurrency: of two requests presenting it, one changes the row.
_ROTATE = (
    update(_REFRESH)
    .where(_REFRESH.c.id == bindparam("token_id"), _REFRESH.c.rotated_at.is_(None))
    .values(rotated_at=bindparam("now"))
)
_INSERT_ACCESS = insert(_ACCESS)
_INSERT_REFRESH = insert(_REFRESH)


@dataclass(frozen=True)
class PersonRow:
    """The account columns the tokens of a refresh need (``claims.Person``), read with the refresh token."""

    id: uuid.UUID
    email: str
    name: str
    language: str
    email_verified_at: dt.datetime | None
    is_support_agent: bool
    disabled_at: dt.datetime | None

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.email_verified_at is not None


@dataclass(frozen=True)
class PresentedRefreshToken:
    """A refresh token presented to the token endpoint, with its grant and person (Authlib's token)."""

    id: uuid.UUID
    expires_at: dt.datetime
    grant: Grant
    person: PersonRow | None

    def check_client(self, client: OidcClient) -> bool:
        return self.grant.client_pk == client.id

    def get_scope(self) -> str:
        return self.grant.scope


def find_refresh_token(value: str) -> PresentedRefreshToken | None:
    """A usable refresh token (one statement); a rotated one presented again revokes its family."""
    found = db.session.connection().execute(_REFRESH_GRANT, {"presented": token_hash(value)}).first()
    if found is None:
        return None
    (token_id, expires_at, rotated_at, family_id, client_pk, scope, auth_time, amr, sid, revoked_at, *person) = found
    if rotated_at is not None:
        revoke_families([family_id], "refresh_token_reused")
        raise InvalidGrantError("The refresh token was already used; its grant is revoked.")
    if expires_at <= utcnow() or revoked_at is not None:
        return None
    return PresentedRefreshToken(
        id=token_id,
        expires_at=expires_at,
        grant=Grant(family_id, client_pk, scope, auth_time, amr, sid),
        person=PersonRow(*person) if person[0] is not None else None,
    )


def lookup_refresh_token(value: str) -> RefreshToken | None:
    """The refresh token with this value, used or not (for revocation)."""
    return db.session.execute(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(value))
    ).scalar_one_or_none()


def rotate_refresh_token(presented: PresentedRefreshToken) -> Grantee:
    """Mark the token used (once: a second request presenting it revokes the family) and name its person."""
    claimed = db.session.connection().execute(_ROTATE, {"token_id": presented.id, "now": utcnow()}).rowcount
    if claimed != 1:
        revoke_families([presented.grant.id], "refresh_token_reused")
        raise InvalidGrantError("The refresh token was already used; its grant is revoked.")
    person = presented.person
    if person is None or not person.is_active:
        revoke_families([presented.grant.id], "account_inactive")
        raise InvalidGrantError("The account can no longer sign in.")
    return Grantee(account=person, family=presented.grant)


# -- issuing -------------------------------------------------------------------------------
def requested_resources() -> list[str]:
    """The ``resource`` parameters (RFC 8707) of the token request, if any."""
    if not has_request_context():
        return []
    return [value for value in flask_request.form.getlist("resource") if value]


def check_resources() -> None:
    """Refuse unknown ``resource`` parameters before anything is used up (a code, a refresh token)."""
    unknown = [r for r in requested_resources() if r not in API_AUDIENCES]
    if unknown:
        raise InvalidTargetError(f"Unknown resource: {unknown[0]}")


def narrowed(scope: str, resources: list[str]) -> tuple[str, str | list[str] | None]:
    """``scope`` narrowed to the APIs named in ``resources``, and the audiences of what remains.

    Without ``resources`` every API scope stays. The audience is None when no API scope
    remains (the token is then for the client alone, as before API scopes existed).
    """
    scopes = scope_to_list(scope) or []
    if resources:
        unknown = [r for r in resources if r not in API_AUDIENCES]
        if unknown:
            raise InvalidTargetError(f"Unknown resource: {unknown[0]}")
        scopes = [s for s in scopes if s not in API_SCOPES or API_SCOPES[s] in resources]
        if not audiences_of(scopes):
            raise InvalidTargetError("None of the granted scopes is for the requested resource.")
    audiences = audiences_of(scopes)
    if not audiences:
        return list_to_scope(scopes), None
    return list_to_scope(scopes), audiences[0] if len(audiences) == 1 else audiences


def access_token_claims(
    grantee: Grantee, client: OidcClient, scope: str, jti: str, now: int, lifetime: int, audience: Any = None
) -> dict[str, Any]:
    claims = grantee.claims(client, scope)
    claims.update(
        {
            "iss": issuer(),
            "sub": str(grantee.account.id),
            "aud": audience or client.client_id,
            "client_id": client.client_id,
            "iat": now,
            "exp": now + lifetime,
            "jti": jti,
            "scope": scope,
            "auth_time": grantee.auth_time,
        }
    )
    return claims


def generate_token(
    grant_type: str,
    client: OidcClient,
    user: Grantee | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """Authlib's token generator: a JWT access token and, when allowed, a refresh token."""
    if grant_type == CLIENT_CREDENTIALS:
        return client_credentials_token(client, scope)
    if user is None:
        raise InvalidGrantError("Tokens are only issued for a person.")
    # What the client may still be granted: an API scope taken from it since stops at the next refresh.
    scope, audience = narrowed(client.get_allowed_scope(scope or user.family.scope), requested_resources())
    lifetime = int(current_app.config["ACCESS_TOKEN_SECONDS"])
    now = int(time.time())
    jti = secrets.token_urlsafe(24)
    access_token = keys.sign(
        access_token_claims(user, client, scope, jti, now, lifetime, audience), typ=ACCESS_TOKEN_TYPE
    )
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": access_token,
        "expires_in": lifetime,
        "scope": scope,
    }
    refresh_token = None
    if include_refresh_token and client.check_grant_type("refresh_token"):
        refresh_token = secrets.token_urlsafe(32)
        token["refresh_token"] = refresh_token
    user.issued.append(
        Issued(
            jti=jti,
            expires_at=dt.datetime.fromtimestamp(now + lifetime, dt.UTC),
            scope=scope,
            refresh_token=refresh_token,
        )
    )
    return token


def save_issued(grantee: Grantee) -> None:
    """Record what ``generate_token`` issued (Authlib's ``save_token``)."""
    days = int(current_app.config["REFRESH_TOKEN_DAYS"])
    # Statements built once, on the connection: nothing reads these rows back in this
    # request, and the session's unit of work would cost more than the statements themselves.
    connection = db.session.connection()
    for issued in grantee.issued:
        now = utcnow()
        connection.execute(
            _INSERT_ACCESS,
            {
                "jti": issued.jti,
                "family_id": grantee.family.id,
                "scope": issued.scope,
                "created_at": now,
                "expires_at": issued.expires_at,
            },
        )
        if issued.refresh_token:
            connection.execute(
                _INSERT_REFRESH,
                {
                    "id": new_uuid(),
                    "family_id": grantee.family.id,
                    "token_hash": token_hash(issued.refresh_token),
                    "created_at": now,
                    "expires_at": now + dt.timedelta(days=days),
                },
            )
    grantee.issued.clear()


def client_credentials_scope(client: OidcClient, scope: str | None) -> str:
    """The API scopes a client asks for itself: all registered for it when it names none."""
    allowed = client.api_scopes
    requested = list(dict.fromkeys(scope_to_list(scope) or [])) or allowed
    if not requested or any(s not in allowed for s in requested):
        raise InvalidScopeError("The client may only ask for the API scopes registered for it.")
    return list_to_scope(requested)


def client_credentials_token(client: OidcClient, scope: str | None) -> dict[str, Any]:
    """A token for the client itself (``sub`` = ``client_id``), recorded in a grant without a person."""
    scope, audience = narrowed(client_credentials_scope(client, scope), requested_resources())
    lifetime = int(current_app.config["ACCESS_TOKEN_SECONDS"])
    now = int(time.time())
    jti = secrets.token_urlsafe(24)
    claims = {
        "iss": issuer(),
        "sub": client.client_id,
        "aud": audience,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti,
        "scope": scope,
    }
    family = TokenFamily(client_pk=client.id, account_id=None, scope=scope, auth_time=now, amr="", created_at=utcnow())
    db.session.add(family)
    db.session.flush()
    db.session.add(
        AccessToken(
            jti=jti,
            family_id=family.id,
            scope=scope,
            created_at=utcnow(),
            expires_at=dt.datetime.fromtimestamp(now + lifetime, dt.UTC),
        )
    )
    db.session.flush()
    return {
        "token_type": "Bearer",
        "access_token": keys.sign(claims, typ=ACCESS_TOKEN_TYPE),
        "expires_in": lifetime,
        "scope": scope,
    }


# -- checking access tokens ----------------------------------------------------------------
def verified_access_token_claims(value: str) -> dict[str, Any] | None:
    """The claims of an unexpired access token Panda signed, or None."""
    try:
        decoded = keys.decode(value, typ=ACCESS_TOKEN_TYPE)
    except keys.InvalidToken:
        return None
    claims = dict(decoded.claims)
    if claims.get("iss") != issuer() or not isinstance(claims.get("jti"), str):
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= time.time():
        return None
    return claims


def find_access_token(value: str) -> AccessToken | None:
    """The recorded access token behind a JWT Panda signed, or None."""
    claims = verified_access_token_claims(value)
    if claims is None:
        return None
    return db.session.get(AccessToken, claims["jti"])


def revoke_access_token(row: AccessToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
