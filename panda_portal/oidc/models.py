"""Tables of the OpenID Provider: clients, signing keys, codes and tokens.

Everything a token request needs lives here, so any number of Panda processes can
serve: nothing is kept in process memory. Authorization codes and refresh tokens
are stored only as SHA-256 hashes (they are random 256-bit values, so a fast hash
is enough and a copy of the table yields nothing usable).

A ``TokenFamily`` is one grant: what one authorization code was exchanged for,
and every refresh token and access token rotated from it. Revoking the family
ends all of them at once (code reuse, refresh token reuse, sign-out).
"""

from __future__ import annotations

import datetime as dt
import uuid

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panda_portal.accounts.models import Account
from panda_portal.extensions import Base
from shared.database import UTCDateTime, new_uuid, utcnow

__all__ = [
    "OidcClient",
    "SigningKey",
    "AuthorizationCode",
    "TokenFamily",
    "RefreshToken",
    "AccessToken",
    "OrgsVersion",
]

SUPPORTED_SCOPES = ("openid", "profile", "email", "orgs", "offline_access")
# The APIs' scopes and the audience (RFC 8707 resource) each belongs to. A client is granted
# only those registered for it (``allowed_scopes``); an access token carrying them names their
# audiences in ``aud``. Personal access tokens are scoped from the same list.
PANDA_API_AUDIENCE = "urn:panda:api"
COMMUNITY_API_AUDIENCE = "urn:support-community:api"
API_SCOPES: dict[str, str] = {
    "orgs:read": PANDA_API_AUDIENCE,
    "orgs:admin": PANDA_API_AUDIENCE,
    "cases:read": COMMUNITY_API_AUDIENCE,
    "cases:write": COMMUNITY_API_AUDIENCE,
    "agent": COMMUNITY_API_AUDIENCE,
}
API_AUDIENCES = (PANDA_API_AUDIENCE, COMMUNITY_API_AUDIENCE)
ALL_SCOPES = SUPPORTED_SCOPES + tuple(API_SCOPES)
CLIENT_CREDENTIALS = "client_credentials"


def audiences_of(scopes: list[str]) -> list[str]:
    """The APIs ``scopes`` give access to, in the order of ``API_AUDIENCES``."""
    wanted = {API_SCOPES[s] for s in scopes if s in API_SCOPES}
    return [audience for audience in API_AUDIENCES if audience in wanted]


# Authentication context classes (``acr``): a password alone, or a password and a second
# factor (an authenticator app's code, a recovery code or a passkey).
ACR_PASSWORD = "urn:panda:acr:password"
ACR_TWO_STEP = "urn:panda:acr:two-step"
ACR_VALUES = (ACR_PASSWORD, ACR_TWO_STEP)


def acr_of(amr: list[str]) -> str:
    """The ``acr`` of a sign-in made with the methods ``amr``."""
    return ACR_TWO_STEP if "mfa" in amr else ACR_PASSWORD


CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class OidcClient(ClientMixin, Base):
    """A registered relying party. Panda's clients are first-party applications."""

    __tablename__ = "oidc_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    # "sha256:<hex>" of a Panda-generated secret; None for public clients.
    secret_hash: Mapped[str | None] = mapped_column(String(100))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    # The application grant (e.g. "support_community") an organization must give a
    # member before it appears in this client's ``orgs`` claim; None: every membership.
    # The application (organizations.Application) whose grant a membership needs to be listed
    # in this client's ``orgs`` claim; None lists every active membership.
    required_grant: Mapped[str | None] = mapped_column(ForeignKey("applications.key", ondelete="RESTRICT"))
    allowed_scopes: Mapped[str] = mapped_column(String(500), default=" ".join(SUPPORTED_SCOPES))
    grant_types: Mapped[list] = mapped_column(JSON, default=lambda: ["authorization_code", "refresh_token"])
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40), default="client_secret_basic")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OidcClient {self.client_id}>"

    # -- Authlib's ClientMixin -------------------------------------------------------------
    @property
    def client_metadata(self) -> dict:
        return {
            "client_id": self.client_id,
            "redirect_uris": list(self.redirect_uris or []),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris or []),
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "backchannel_logout_session_required": bool(self.backchannel_logout_uri),
            "grant_types": list(self.grant_types or []),
            "response_types": ["code"],
            "scope": self.allowed_scopes,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
        }

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # A redirect URI must always be given and match exactly: no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(scope_to_list(self.allowed_scopes))
        requested = dict.fromkeys(scope_to_list(scope))  # in order, without repeats
        return list_to_scope([s for s in requested if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        from panda_portal.oidc.services import secret_matches

        return secret_matches(self.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.grant_types or [])

    @property
    def api_scopes(self) -> list[str]:
        """The API scopes registered for this client (in ``allowed_scopes``)."""
        return [s for s in scope_to_list(self.allowed_scopes) or [] if s in API_SCOPES]


class SigningKey(Base):
    """An RS256 key. The newest generation signs; older ones stay published a while."""

    __tablename__ = "oidc_signing_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    # Unique: two processes creating the first key, or rotating at once, cannot both win.
    generation: Mapped[int] = mapped_column(Integer, unique=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10), default="RS256")
    private_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SigningKey {self.generation} {self.kid}>"


class TokenFamily(Base):
    """One grant: the tokens issued for one authorization code, and their rotations.

    A ``client_credentials`` grant has no person (``account_id`` is None): the client acts for itself.
    """

    __tablename__ = "oidc_token_families"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(500))
    # The Panda session (``sid``) in which the person authorized; ends with it.
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    auth_time: Mapped[int] = mapped_column(BigInteger)
    # How the person signed in (``amr``, RFC 8176, space-separated): ``pwd``, ``pwd otp mfa``…
    amr: Mapped[str] = mapped_column(String(60), default="pwd", server_default="pwd")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))

    client: Mapped[OidcClient] = relationship(lazy="joined")
    account: Mapped[Account | None] = relationship(lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_offline(self) -> bool:
        return "offline_access" in scope_to_list(self.scope)


class AuthorizationCode(Base):
    __tablename__ = "oidc_authorization_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(255), index=True)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[int] = mapped_column(BigInteger)
    amr: Mapped[str] = mapped_column(String(60), default="pwd", server_default="pwd")
    sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # What the code was exchanged for: revoked if the code is presented again.
    family_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("oidc_token_families.id", ondelete="SET NULL"))

    client: Mapped[OidcClient] = relationship(lazy="joined")

    # -- Authlib's AuthorizationCodeMixin (OpenID flavour) ---------------------------------
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return acr_of(self.amr.split())

    def get_amr(self) -> list[str]:
        return self.amr.split()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class RefreshToken(Base):
    __tablename__ = "oidc_refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    family_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_token_families.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # Set when exchanged for a new one; presenting it again means it leaked.
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    family: Mapped[TokenFamily] = relationship(lazy="joined")

    # -- Authlib's TokenMixin ------------------------------------------------------------
    def check_client(self, client: OidcClient) -> bool:
        return self.family.client_pk == client.id

    def get_scope(self) -> str:
        return self.family.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.family.is_revoked

    def get_user(self) -> Account | None:
        return self.family.account

    def get_client(self) -> OidcClient:
        return self.family.client


class AccessToken(Base):
    """The record of an issued JWT access token, so it can be revoked."""

    __tablename__ = "oidc_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_token_families.id", ondelete="CASCADE"), index=True)
    # May be narrower than the family's when the client asked less at a refresh.
    scope: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    family: Mapped[TokenFamily] = relationship(lazy="joined")

    # -- Authlib's TokenMixin (used by the userinfo and revocation endpoints) --------------
    def check_client(self, client: OidcClient) -> bool:
        return self.family.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or self.family.is_revoked

    def get_user(self) -> Account | None:
        return self.family.account

    def get_client(self) -> OidcClient:
        return self.family.client


class OrgsVersion(Base):
    """What Panda last told a client about a person's ``orgs`` and ``roles``, as a number that only grows.

    Every time Panda builds the list for a client (userinfo, the access read, an access
    event, and a token when the list may have changed), it compares the list's digest with
    the one stored here and adds one to ``version`` when they differ, under a lock of this
    row. So a higher version always describes a list read later, whatever changed it, and
    the client keeps the highest (``access.orgs_snapshot``, ``access.orgs_version``).
    """

    __tablename__ = "oidc_orgs_versions"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # SHA-256 (hex) of the canonical JSON of the list and the roles; empty when an announced
    # change means the list must be read again (``access.mark_changed``).
    digest: Mapped[str] = mapped_column(String(64), default="")
    # When the list was last read and compared with the digest (changed or not): a token's
    # ``orgs_version`` is taken from this row without reading the list for ``access.RECHECK_SECONDS``.
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
