"""Who is signed in to the community: what Panda's tokens said, kept server-side.

The session holds ``sub``, ``sid`` (Panda's session id, for back-channel logout),
``claims`` (name, email, locale, roles, and ``orgs``, the only truth about which
organizations the person may act for) and the tokens, never in a cookie.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, session


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    enterprise_number: str
    customer_number: str
    role: str


@dataclass(frozen=True)
class User:
    sub: str
    name: str
    email: str
    locale: str | None
    roles: tuple[str, ...] = ()
    orgs: tuple[Organization, ...] = field(default_factory=tuple)

    @property
    def is_support_agent(self) -> bool:
        return "support_agent" in self.roles

    def organization(self, org_id: str) -> Organization | None:
        for org in self.orgs:
            if org.id == org_id:
                return org
        return None


def user_from_claims(claims: dict) -> User:
    orgs = []
    for item in claims.get("orgs") or []:
        try:
            orgs.append(Organization(
                id=str(item["id"]), name=str(item["name"]),
                enterprise_number=str(item.get("enterprise_number", "")),
                customer_number=str(item.get("customer_number", "")),
                role=str(item.get("role", "member")),
            ))
        except (KeyError, TypeError):
            continue
    return User(
        sub=str(claims["sub"]),
        name=str(claims.get("name") or claims.get("email") or claims["sub"]),
        email=str(claims.get("email") or ""),
        locale=claims.get("locale"),
        roles=tuple(str(r) for r in (claims.get("roles") or [])),
        orgs=tuple(sorted(orgs, key=lambda o: o.name.lower())),
    )


def current_user() -> User | None:
    if "current_user" in g:
        return g.current_user
    user = None
    claims = session.get("claims")
    if claims and session.get("sub"):
        try:
            user = user_from_claims(claims)
        except (KeyError, TypeError):
            user = None
    g.current_user = user
    return user
