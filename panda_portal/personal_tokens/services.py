"""Use cases of personal access tokens: create, list, revoke, check; organizations' rule about them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

from authlib.oauth2.rfc6749.util import list_to_scope
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.oidc.models import API_SCOPES, audiences_of
from panda_portal.organizations.models import Membership, MembershipStatus, Organization
from panda_portal.personal_tokens.models import OrganizationTokenPolicy, PersonalAccessToken
from shared.database import utcnow
from shared.errors import DomainError

PREFIX = "pat_"
TOKEN_SCOPES = tuple(API_SCOPES)
MAX_DAYS = 365
DEFAULT_DAYS = 90
MAX_ACTIVE_TOKENS = 50
MAX_NAME_LENGTH = 100
# The last use is written at most this often per token (an API call must not always write).
LAST_USE_PRECISION = dt.timedelta(minutes=1)
TOKEN_TYPE = "personal_access_token"
# Owners are told this long before a token expires (``panda tokens remind``).
REMINDER_BEFORE = dt.timedelta(days=7)


class PersonalTokenError(DomainError):
    """A personal access token that cannot be made or changed as asked."""


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def looks_like_personal_token(value: str) -> bool:
    return value.startswith(PREFIX)


# -- the person's tokens -------------------------------------------------------------------
def create_token(
    account: Account, *, name: str, scopes: list[str], days: int = DEFAULT_DAYS, actor: Account
) -> tuple[PersonalAccessToken, str]:
    """A new token for ``account``; returns it with its value (shown once, never stored)."""
    from panda_portal.audit.services import record
    from panda_portal.personal_tokens.emails import send_token_created

    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise PersonalTokenError(_("Give the token a name of at most 100 characters."), field="name")
    chosen = [s for s in TOKEN_SCOPES if s in set(scopes or [])]
    if not chosen or len(chosen) != len(set(scopes)):
        raise PersonalTokenError(_("Choose at least one of the listed scopes."), field="scopes")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise PersonalTokenError(_("A token expires after 1 to 365 days."), field="days")
    active = db.session.scalar(
        select(func.count())
        .select_from(PersonalAccessToken)
        .where(
            PersonalAccessToken.account_id == account.id,
            PersonalAccessToken.revoked_at.is_(None),
            PersonalAccessToken.expires_at > utcnow(),
        )
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise PersonalTokenError(_("You have too many tokens: revoke one you no longer use first."))
    value = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = PersonalAccessToken(
        account_id=account.id,
        name=name,
        token_hash=token_hash(value),
        scope=list_to_scope(chosen),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(row)
    db.session.flush()
    record(
        "personal_token.created",
        actor=actor,
        target_type="personal_token",
        target_id=row.id,
        subject_account_id=account.id,
        after={"name": name, "scope": row.scope, "expires_at": row.expires_at.isoformat(timespec="seconds")},
    )
    send_token_created(account, row)
    return row, value


def list_tokens(account: Account) -> list[PersonalAccessToken]:
    """The person's tokens, newest first (revoked and expired ones too, marked as such)."""
    return list(
        db.session.scalars(
            select(PersonalAccessToken)
            .where(PersonalAccessToken.account_id == account.id)
            .order_by(PersonalAccessToken.created_at.desc())
        )
    )


def find_own_token(account: Account, token_id: uuid.UUID) -> PersonalAccessToken | None:
    return db.session.scalars(
        select(PersonalAccessToken).where(
            PersonalAccessToken.id == token_id, PersonalAccessToken.account_id == account.id
        )
    ).one_or_none()


def revoke_token(row: PersonalAccessToken, *, actor: Account) -> bool:
    """Revoke ``row`` (once); False when it was already revoked."""
    from panda_portal.audit.services import record

    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    db.session.flush()
    record(
        "personal_token.revoked",
        actor=actor,
        target_type="personal_token",
        target_id=row.id,
        subject_account_id=row.account_id,
        before={"name": row.name, "scope": row.scope},
    )
    return True


def remind_expiring(*, within: dt.timedelta = REMINDER_BEFORE) -> int:
    """Tell owners which of their live tokens expire within ``within`` (once per token); how many mails."""
    from panda_portal.personal_tokens.emails import send_token_expiring

    now = utcnow()
    due = db.session.scalars(
        select(PersonalAccessToken)
        .where(
            PersonalAccessToken.revoked_at.is_(None),
            PersonalAccessToken.expiry_reminded_at.is_(None),
            PersonalAccessToken.expires_at > now,
            PersonalAccessToken.expires_at <= now + within,
        )
        .order_by(PersonalAccessToken.expires_at)
    ).all()
    sent = 0
    for row in due:
        # Claimed with a conditional UPDATE: two runs at once mail each owner once.
        claimed = db.session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == row.id, PersonalAccessToken.expiry_reminded_at.is_(None))
            .values(expiry_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) == 1 and row.account.is_active:
            send_token_expiring(row.account, row)
            sent += 1
    db.session.flush()
    return sent


# -- checking a presented token ------------------------------------------------------------
def find_active(value: str, *, record_use: bool = True) -> PersonalAccessToken | None:
    """The live token with this value (not revoked, not expired, its person active).

    With ``record_use`` its use is written now, in the caller's transaction; without, the
    caller records it with ``record_use`` once its own work is committed (so that a long
    request holds no lock on the token's row: one token may serve parallel requests).
    """
    if not looks_like_personal_token(value) or len(value) > 100:
        return None
    row = db.session.scalars(
        select(PersonalAccessToken).where(PersonalAccessToken.token_hash == token_hash(value))
    ).one_or_none()
    if row is None or not row.is_active:
        return None
    if record_use:
        note_use(row)
    return row


def use_is_stale(row: PersonalAccessToken) -> bool:
    """Whether the recorded last use is older than the precision it is kept with."""
    return row.last_used_at is None or utcnow() - row.last_used_at >= LAST_USE_PRECISION


def note_use(row: PersonalAccessToken) -> None:
    """Record that the token was used just now (at most once a minute per token)."""
    if not use_is_stale(row):
        return
    now = utcnow()
    db.session.execute(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.id == row.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    row.last_used_at = now


def introspection(row: PersonalAccessToken) -> dict[str, Any]:
    """RFC 7662 answer for a live token."""
    return {
        "active": True,
        "token_type": TOKEN_TYPE,
        "sub": str(row.account_id),
        "scope": row.scope,
        "aud": audiences_of(row.scopes),
        "iat": int(row.created_at.timestamp()),
        "exp": int(row.expires_at.timestamp()),
        "forbidden_orgs": [str(org_id) for org_id in forbidden_org_ids(row.account_id)],
    }


# -- organizations that forbid them --------------------------------------------------------
def forbidden_org_ids(account_id: uuid.UUID) -> list[uuid.UUID]:
    """The person's organizations (active memberships) that forbid personal access tokens."""
    return list(
        db.session.scalars(
            select(OrganizationTokenPolicy.organization_id)
            .join(Membership, Membership.organization_id == OrganizationTokenPolicy.organization_id)
            .where(
                Membership.account_id == account_id,
                Membership.status == MembershipStatus.ACTIVE,
                OrganizationTokenPolicy.forbid_personal_tokens.is_(True),
            )
            .order_by(OrganizationTokenPolicy.organization_id)
        )
    )


def forbidding_organizations() -> Select[Any]:
    """The ids of every organization that forbids personal access tokens (a subquery)."""
    return select(OrganizationTokenPolicy.organization_id).where(
        OrganizationTokenPolicy.forbid_personal_tokens.is_(True)
    )


def forbids_personal_tokens(organization: Organization) -> bool:
    policy = db.session.get(OrganizationTokenPolicy, organization.id)
    return bool(policy and policy.forbid_personal_tokens)


def set_personal_tokens_forbidden(organization: Organization, *, forbid: bool, actor: Account) -> bool:
    """Forbid or allow personal access tokens in ``organization``; False when nothing changed."""
    from panda_portal.audit.services import record

    policy = _locked_policy(organization)
    before = policy.forbid_personal_tokens
    if before == forbid:
        return False
    policy.forbid_personal_tokens = forbid
    policy.updated_at = utcnow()
    policy.updated_by_id = actor.id
    db.session.flush()
    record(
        "organization.personal_tokens_forbidden" if forbid else "organization.personal_tokens_allowed",
        actor=actor,
        target_type="organization",
        target_id=organization.id,
        organization_id=organization.id,
        before={"forbid_personal_tokens": before},
        after={"forbid_personal_tokens": forbid},
    )
    return True


def _locked_policy(organization: Organization) -> OrganizationTokenPolicy:
    """The organization's rule, locked for this transaction (made first if it has none, once under concurrency)."""
    query = (
        select(OrganizationTokenPolicy)
        .where(OrganizationTokenPolicy.organization_id == organization.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    policy = db.session.scalars(query).one_or_none()
    if policy is not None:
        return policy
    try:
        with db.session.begin_nested():
            db.session.add(OrganizationTokenPolicy(organization_id=organization.id, forbid_personal_tokens=False))
    except IntegrityError:
        pass  # another request made it meanwhile: lock theirs
    return db.session.scalars(query).one()
