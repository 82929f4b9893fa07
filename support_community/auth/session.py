"""Who is signed in to the community: what Panda's tokens said, kept server-side.

The session holds ``sub``, ``sid`` (Panda's session id, for back-channel logout),
``claims`` (name, email, locale) and ``tokens`` (access token and its expiry,
refresh token, ID token for the logout hint), never in a cookie: the cookie holds
only the session's random identifier (see ``shared.sessions``).

Which organizations the person may act for, and their roles, are not in the session:
they are the person's rows of ``auth.access``, so a change Panda announces reaches
every open session of the person at once. A request reads the person's roles and,
for an organization in its URL, that one row (``auth.organizations``): never the whole
list, which for an accountant holds thousands of organizations.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from flask import abort, g, has_app_context, session
from sqlalchemy import select

from shared.database import Database
from shared.sessions import WebSessionMixin, stored_session_id

# The claims the session keeps; ``orgs`` and ``roles`` are kept per person (``auth.access``).
KEPT_CLAIMS = ("sub", "name", "email", "locale")


@dataclass(frozen=True)
class OrganizationClaim:
    """One entry of the token's ``orgs`` claim: an organization the person may act for, and their role there.

    What Panda said; the community keeps the person's list as ``PersonOrganization`` rows (``auth.organizations``).
    """

    id: str
    name: str
    enterprise_number: str
    customer_number: str
    role: str


def _normalized_id(org_id: object) -> str | None:
    try:
        return str(org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id)))
    except (ValueError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class SignedInPerson:
    """Who is signed in, as the claims of Panda's tokens describe them (a snapshot, not the ``Person`` row)."""

    sub: str
    name: str
    email: str
    locale: str | None
    roles: tuple[str, ...] = ()
    orgs: tuple[OrganizationClaim, ...] = field(default_factory=tuple)
    # True for the signed-in person of a request: the organizations are the rows kept in the
    # database (looked up one at a time), not ``orgs``, which stays empty.
    kept: bool = False

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> SignedInPerson:
        """The person the claims describe; ``orgs`` entries that cannot be read are left out."""
        orgs = []
        for item in claims.get("orgs") or []:
            try:
                orgs.append(
                    OrganizationClaim(
                        id=str(item["id"]),
                        name=str(item["name"]),
                        enterprise_number=str(item.get("enterprise_number", "")),
                        customer_number=str(item.get("customer_number", "")),
                        role=str(item.get("role", "member")),
                    )
                )
            except (KeyError, TypeError, AttributeError):
                continue
        return cls(
            sub=str(claims["sub"]),
            name=str(claims.get("name") or claims.get("email") or claims["sub"]),
            email=str(claims.get("email") or ""),
            locale=claims.get("locale"),
            roles=tuple(str(r) for r in (claims.get("roles") or [])),
            orgs=tuple(sorted(orgs, key=lambda o: o.name.lower())),
        )

    @property
    def is_support_agent(self) -> bool:
        return "support_agent" in self.roles

    @property
    def organization_count(self) -> int:
        """How many organizations the person may act for (counted once per request)."""
        if not self.kept:
            return len(self.orgs)
        if "organization_count" not in g:
            from support_community.auth.organizations import count

            g.organization_count = count(self.sub)
        return int(g.organization_count)

    @property
    def has_organizations(self) -> bool:
        return self.organization_count > 0

    def organization(self, org_id: object) -> OrganizationClaim | None:
        """The organization ``org_id`` (any spelling of its UUID) as the token lists it, or None."""
        wanted = _normalized_id(org_id)
        if wanted is None:
            return None
        if self.kept:
            cache = g.setdefault("organizations_found", {})
            if wanted not in cache:
                from support_community.auth.organizations import find

                cache[wanted] = find(self.sub, wanted)
            return cache[wanted]
        for org in self.orgs:
            if _normalized_id(org.id) == wanted:
                return org
        return None


def current_user() -> SignedInPerson | None:
    """The signed-in person of this request (None for a visitor), with the roles ``auth.access`` keeps for them.

    Their organizations are looked up one at a time (``SignedInPerson.organization``).
    """
    if "current_user" in g:
        return g.current_user
    from support_community.auth.access import roles_of

    user = None
    claims = session.get("claims")
    sub = session.get("sub")
    if claims and sub:
        try:
            profile = SignedInPerson.from_claims({**claims, "sub": sub, "orgs": [], "roles": []})
        except (KeyError, TypeError):
            profile = None
        if profile is not None:
            user = replace(profile, roles=roles_of(str(sub)), kept=True)
    forget_lookups()
    g.current_user = user
    return user


def signed_in_user() -> SignedInPerson:
    """The signed-in person, in a view whose access rule keeps visitors out (401 should one get through)."""
    user = current_user()
    if user is None:
        abort(401)
    return user


# -- tokens --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionTokens:
    access_token: str
    expires_at: int
    refresh_token: str | None = None
    id_token: str | None = None

    def expired(self, *, margin: int = 0) -> bool:
        return self.expires_at <= time.time() + margin

    @classmethod
    def from_dict(cls, data: dict | None) -> SessionTokens | None:
        if not isinstance(data, dict) or not data.get("access_token"):
            return None
        try:
            return cls(
                access_token=str(data["access_token"]),
                expires_at=int(data.get("expires_at") or 0),
                refresh_token=data.get("refresh_token"),
                id_token=data.get("id_token"),
            )
        except (TypeError, ValueError):
            return None


def kept_claims(claims: dict) -> dict:
    return {name: claims[name] for name in KEPT_CLAIMS if name in claims}


def start_session(*, sub: str, sid: str | None, claims: dict, tokens: SessionTokens) -> None:
    """Sign the person in with a fresh session identifier (defeats session fixation)."""
    session.clear()
    regenerate = getattr(session, "regenerate", None)
    if regenerate:
        regenerate()
    session["sub"] = sub
    if sid:
        session["sid"] = sid
    session["claims"] = kept_claims(claims) | {"sub": sub}
    session["tokens"] = asdict(tokens)
    _forget_person()


def forget_lookups() -> None:
    """Forget the organizations this request looked up (the person's list was just written)."""
    if has_app_context():
        g.pop("organizations_found", None)
        g.pop("organization_count", None)


def _forget_person() -> None:
    g.pop("current_user", None)
    forget_lookups()


def session_tokens() -> SessionTokens | None:
    return SessionTokens.from_dict(session.get("tokens"))


def session_subject() -> str | None:
    return session.get("sub")


def has_session() -> bool:
    """Whether this browser has a signed-in session (valid or not: its tokens may need renewing)."""
    return bool(session.get("sub"))


def update_session(*, tokens: SessionTokens | None = None, claims: dict | None = None) -> None:
    if tokens is not None:
        session["tokens"] = asdict(tokens)
    if claims is not None:
        session["claims"] = kept_claims(claims) | {"sub": session.get("sub")}
    _forget_person()


def end_session() -> None:
    """Forget the person in this browser (the stored row and the cookie go at the end of the request)."""
    session.clear()
    _forget_person()


@contextmanager
def locked_session_row(db: Database, model: type[WebSessionMixin]) -> Iterator[dict | None]:
    """Hold this browser's stored session row for update while tokens are rotated.

    Yields the row's stored data (or None when the row is gone: ended by a
    back-channel logout meanwhile). Changes to the yielded dict are written back.
    Two requests of the same browser thus never spend the same refresh token: the
    second waits, then finds the tokens the first one stored.
    """
    token = getattr(session, "token", None)
    if not token:
        yield None
        return
    with db.state().sessionmaker() as s:
        query = select(model).where(model.id == stored_session_id(token)).with_for_update()
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            s.rollback()
            yield None
            return
        data = dict(row.data or {})
        yield data
        row.data = data
        s.commit()
