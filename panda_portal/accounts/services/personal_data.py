"""A person's own data: download all of it, or delete the account.

**Download** (``export_archive``): one zip of JSON files, made while the person waits:
``panda/account.json`` (the account and its two-step verification, never a secret or a
hash), ``panda/organizations.json``, ``panda/sessions.json``, ``panda/activity.json``
(the audit entries about them or by them), ``panda/email_changes.json``, and one
``applications/<client>.json`` per client application, which Panda asks server to server
(``accounts.signals.personal_data_requested``, answered by the OpenID Provider with a
signed request to each client). A client that cannot be reached is named in its file as
unavailable (``"available": false``), and ``README.json`` says so too: the person can
download again later.

**Deletion** (``delete_account``): refused while the person is the last active
administrator of an organization (those organizations are named: hand administration
over first). Otherwise, in one transaction: the clients are told (``account_deleting``:
the OpenID Provider ends the grants, queues back-channel logout and the signed
``urn:panda:event:account-deleted`` event, retried by the outbox until the client
accepts it), every session ends, the audit entries about the person keep a pseudonym
instead of their name, address and browser, and the account row is deleted (memberships,
second factors, links and grants go with it). A last mail goes to the address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from panda_portal.accounts import signals
from panda_portal.accounts.emails import security as mails
from panda_portal.accounts.models import Account, EmailChange, KnownBrowser, WebSession
from panda_portal.accounts.services.errors import AccountError
from panda_portal.accounts.session import end_all_sessions
from panda_portal.audit.models import AuditEvent
from panda_portal.audit.services import record
from panda_portal.extensions import db
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role
from shared.database import utcnow


class LastAdministratorError(AccountError):
    """The person is the last administrator of ``organizations``: the account cannot be deleted yet."""

    def __init__(self, organizations: list[Organization]) -> None:
        super().__init__(
            _(
                "You are the last administrator of an organization. Make someone else its administrator "
                "before you delete your account."
            )
        )
        self.organizations = organizations


def pseudonym(account_id: uuid.UUID) -> str:
    """What the audit log says instead of a deleted person's name and address."""
    return "former member " + hashlib.sha256(f"panda-account:{account_id}".encode()).hexdigest()[:12]


# -- deletion ------------------------------------------------------------------------------------
def last_administrator_of(account: Account, *, lock: bool = False) -> list[Organization]:
    """The organizations where ``account`` is the only active administrator (locked when ``lock``)."""
    administered = select(Membership.organization_id).where(
        Membership.account_id == account.id,
        Membership.status == MembershipStatus.ACTIVE,
        Membership.role == Role.ADMIN,
    )
    query = select(Organization).where(Organization.id.in_(administered)).order_by(Organization.name)
    if lock:
        # The same lock the organization's own changes take (a co-administrator stepping down).
        query = query.with_for_update()
    organizations = list(db.session.execute(query).scalars())
    last = []
    for organization in organizations:
        administrators = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.organization_id == organization.id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role == Role.ADMIN,
            )
        )
        if (administrators or 0) <= 1:
            last.append(organization)
    return last


def _scrub(value: Any, secrets_: list[str], replacement: str) -> Any:
    if isinstance(value, str):
        for secret in secrets_:
            if secret and secret in value:
                value = value.replace(secret, replacement)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, secrets_, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets_, replacement) for item in value]
    return value


def _pseudonymise_audit(account: Account) -> None:
    name = pseudonym(account.id)
    addresses = {account.email}
    addresses.update(
        db.session.execute(select(EmailChange.old_email).where(EmailChange.account_id == account.id)).scalars()
    )
    addresses.update(
        db.session.execute(select(EmailChange.new_email).where(EmailChange.account_id == account.id)).scalars()
    )
    # Longest first: "Ann Peeters <ann@example.org>" before the bare address, the address before the name.
    secrets_ = sorted({f"{account.name} <{account.email}>", *addresses, account.name}, key=len, reverse=True)
    events = db.session.execute(
        select(AuditEvent).where(or_(AuditEvent.actor_id == account.id, AuditEvent.subject_account_id == account.id))
    ).scalars()
    for event in events:
        if event.actor_id == account.id:
            event.actor_label = name
            event.ip_address = None
            event.user_agent = None
        else:
            event.actor_label = _scrub(event.actor_label, secrets_, name)
        event.before = _scrub(event.before, secrets_, name)
        event.after = _scrub(event.after, secrets_, name)


def delete_account(account: Account, *, actor: Account) -> None:
    """Delete ``account`` at the person's request (``LastAdministratorError`` while it holds an organization)."""
    last = last_administrator_of(account, lock=True)
    if last:
        raise LastAdministratorError(last)
    email, name, language = account.email, account.name, account.language
    signals.announce(signals.account_deleting, account=account)
    end_all_sessions(account)
    _pseudonymise_audit(account)
    record(
        "account.deleted",
        actor=None,
        actor_label=pseudonym(account.id),
        target_type="account",
        target_id=account.id,
    )
    db.session.delete(account)
    db.session.flush()
    mails.send_account_deleted(email, name, language)


# -- download ------------------------------------------------------------------------------------
def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _account_part(account: Account) -> dict[str, Any]:
    from panda_portal.mfa.models import Passkey, RecoveryCode, RememberedBrowser, TotpAuthenticator

    totp = db.session.execute(
        select(TotpAuthenticator).where(TotpAuthenticator.account_id == account.id)
    ).scalar_one_or_none()
    unused_codes = db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
    )
    remembered = db.session.execute(
        select(RememberedBrowser).where(RememberedBrowser.account_id == account.id)
    ).scalars()
    two_step: dict[str, Any] = {
        "authenticator_app": {"added_at": _when(totp.created_at), "last_used_at": _when(totp.last_used_at)}
        if totp
        else None,
        "unused_recovery_codes": unused_codes or 0,
        "remembered_browsers": [
            {
                "user_agent": browser.user_agent,
                "remembered_at": _when(browser.created_at),
                "expires_at": _when(browser.expires_at),
                "last_used_at": _when(browser.last_used_at),
            }
            for browser in remembered
        ],
    }
    two_step["passkeys"] = [
        {"name": key.name, "added_at": _when(key.created_at), "last_used_at": _when(key.last_used_at)}
        for key in db.session.execute(select(Passkey).where(Passkey.account_id == account.id)).scalars()
    ]
    return {
        "id": str(account.id),
        "email": account.email,
        "name": account.name,
        "language": account.language,
        "created_at": _when(account.created_at),
        "email_verified_at": _when(account.email_verified_at),
        "password_changed_at": _when(account.password_changed_at),
        "is_support_agent": account.is_support_agent,
        "two_step_verification": two_step,
        "known_browsers": [
            {"first_seen_at": _when(row.first_seen_at), "last_seen_at": _when(row.last_seen_at)}
            for row in db.session.execute(
                select(KnownBrowser).where(KnownBrowser.account_id == account.id).order_by(KnownBrowser.first_seen_at)
            ).scalars()
        ],
    }


def _organizations_part(account: Account) -> list[dict[str, Any]]:
    memberships = db.session.execute(
        select(Membership).where(Membership.account_id == account.id).order_by(Membership.created_at)
    ).scalars()
    return [
        {
            "organization": {
                "id": str(membership.organization_id),
                "name": membership.organization.name,
                "enterprise_number": membership.organization.enterprise_number,
                "customer_number": membership.organization.customer_number,
            },
            "role": membership.role.value,
            "status": membership.status.value,
            "requested_at": _when(membership.requested_at),
            "request_message": membership.request_message,
            "active_since": _when(membership.active_since),
            "applications": sorted(membership.granted_keys),
            "pinned": membership.pinned_at is not None,
        }
        for membership in memberships
    ]


def _sessions_part(account: Account) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(WebSession).where(WebSession.subject == str(account.id)).order_by(WebSession.created_at)
    ).scalars()
    return [
        {
            "signed_in_at": _when(row.created_at),
            "last_used_at": _when(row.updated_at),
            "user_agent": (row.data or {}).get("ua"),
            "address": (row.data or {}).get("ip"),
            "methods": (row.data or {}).get("amr") or ["pwd"],
        }
        for row in rows
    ]


def _activity_part(account: Account) -> list[dict[str, Any]]:
    events = db.session.execute(
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id == account.id, AuditEvent.subject_account_id == account.id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).scalars()
    return [
        {
            "at": _when(event.occurred_at),
            "action": event.action,
            "by": event.actor_label,
            "organization_id": str(event.organization_id) if event.organization_id else None,
            "before": event.before,
            "after": event.after,
            "address": event.ip_address,
            "user_agent": event.user_agent,
        }
        for event in events
    ]


def _email_changes_part(account: Account) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(EmailChange).where(EmailChange.account_id == account.id).order_by(EmailChange.requested_at)
    ).scalars()
    return [
        {
            "from": row.old_email,
            "to": row.new_email,
            "requested_at": _when(row.requested_at),
            "confirmed_at": _when(row.confirmed_at),
            "undone_at": _when(row.undone_at),
        }
        for row in rows
    ]


def export_archive(account: Account, *, actor: Account) -> bytes:
    """The zip of everything Panda and its client applications hold about ``account``."""
    files: dict[str, Any] = {
        "panda/account.json": _account_part(account),
        "panda/organizations.json": _organizations_part(account),
        "panda/sessions.json": _sessions_part(account),
        "panda/email_changes.json": _email_changes_part(account),
        "panda/activity.json": _activity_part(account),
    }
    unavailable = []
    for _receiver, parts in signals.personal_data_requested.send(_app(), account=account):
        for name, part in (parts or {}).items():
            files[name] = part
            if isinstance(part, dict) and part.get("available") is False:
                unavailable.append(part.get("application"))
    files["README.json"] = {
        "created_at": utcnow().isoformat(),
        "account": str(account.id),
        "files": sorted(files),
        "complete": not unavailable,
        "applications_unavailable": unavailable,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False, default=str))
    record(
        "account.personal_data_downloaded",
        actor=actor,
        target_type="account",
        target_id=account.id,
        subject_account_id=account.id,
        after={"complete": not unavailable},
    )
    return buffer.getvalue()


def _app() -> Any:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined]
