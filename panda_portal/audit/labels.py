"""How recorded events read: names for the actions, fields, values and actors, in the reader's language.

The audit log stores actions, field names and values as code writes them (in
English, machine-readable); these tables give each its label. Something missing
from a table is shown as recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from panda_portal.audit.models import AuditEvent
from shared.i18n import LANGUAGE_NAMES

# Human-readable names of the recorded actions; an action missing here is shown as recorded.
ACTION_LABELS: dict[str, Any] = {
    "organization.created": _l("Organization added"),
    "organization.two_step_required": _l("Two-step verification required of the members"),
    "organization.two_step_no_longer_required": _l("Two-step verification no longer required of the members"),
    "membership.created": _l("Became administrator of the new organization"),
    "grant.added": _l("Application access granted"),
    "membership.requested": _l("Request to join sent"),
    "membership.request_withdrawn": _l("Request to join withdrawn"),
    "membership.approved": _l("Request to join approved"),
    "membership.rejected": _l("Request to join rejected"),
    "membership.role_changed": _l("Role changed"),
    "membership.access_changed": _l("Application access changed"),
    "membership.removed": _l("Member removed"),
    "membership.left": _l("Left the organization"),
    "membership.stepped_down": _l("Stepped down as administrator"),
    "invitation.created": _l("Invitation sent"),
    "invitation.resent": _l("Invitation sent again"),
    "invitation.revoked": _l("Invitation withdrawn"),
    "invitation.replaced": _l("Invitation replaced by a new one"),
    "invitation.accepted": _l("Invitation accepted"),
    "customers.imported": _l("Customer register imported"),
    "client.registered": _l("OpenID client registered"),
    "client.updated": _l("OpenID client changed"),
    "account.registered": _l("Account registered"),
    "account.email_verified": _l("E-mail address confirmed"),
    "account.password_reset": _l("Password reset"),
    "account.password_changed": _l("Password changed"),
    "account.profile_updated": _l("Name or language changed"),
    "account.created": _l("Account created by an operator"),
    "account.disabled": _l("Account disabled"),
    "account.enabled": _l("Account enabled"),
    "account.support_agent_set": _l("Made a support agent"),
    "account.support_agent_unset": _l("No longer a support agent"),
    "account.two_step_enabled": _l("Two-step verification turned on"),
    "account.two_step_disabled": _l("Two-step verification turned off"),
    "account.recovery_codes_regenerated": _l("New recovery codes made"),
    "account.recovery_code_used": _l("Signed in with a recovery code"),
    "account.remembered_browsers_forgotten": _l("Remembered browsers forgotten"),
    "account.passkey_added": _l("Passkey added"),
    "account.passkey_renamed": _l("Passkey renamed"),
    "account.passkey_removed": _l("Passkey removed"),
    "account.new_browser_signed_in": _l("Signed in from a new browser"),
    "account.session_ended": _l("Another session signed out"),
    "account.other_sessions_ended": _l("Every other session signed out"),
    "account.email_change_requested": _l("Change of e-mail address asked"),
    "account.email_change_refused": _l("Change of e-mail address refused"),
    "account.email_changed": _l("E-mail address changed"),
    "account.email_change_undone": _l("Change of e-mail address undone"),
    "account.personal_data_downloaded": _l("Personal data downloaded"),
    "account.deleted": _l("Account deleted"),
    "personal_token.created": _l("Personal access token made"),
    "personal_token.revoked": _l("Personal access token revoked"),
    "organization.personal_tokens_forbidden": _l("Personal access tokens forbidden"),
    "organization.personal_tokens_allowed": _l("Personal access tokens allowed"),
    "webhook.created": _l("Webhook subscription added"),
    "webhook.updated": _l("Webhook subscription changed"),
    "webhook.secret_rotated": _l("Webhook signing secret renewed"),
    "webhook.paused": _l("Webhook subscription paused"),
    "webhook.resumed": _l("Webhook subscription resumed"),
    "webhook.deleted": _l("Webhook subscription deleted"),
}

FIELD_LABELS: dict[str, Any] = {
    "role": _l("role"),
    "status": _l("status"),
    "applications": _l("application access"),
    "email": _l("e-mail address"),
    "expires_at": _l("valid until"),
    "grants": _l("application access"),
    "application": _l("application access"),
    "message": _l("message"),
    "name": _l("name"),
    "customer_number": _l("customer number"),
    "enterprise_number": _l("enterprise number"),
    "language": _l("language"),
    "verified": _l("e-mail address confirmed"),
    "support_agent": _l("support agent"),
    "method": _l("method"),
    "browsers": _l("browsers"),
    "scope": _l("scopes"),
    "forbid_personal_tokens": _l("personal access tokens forbidden"),
    "reason": _l("reason"),
    "recovery_codes_left": _l("recovery codes left"),
    "requires_two_step": _l("two-step verification required"),
    "device": _l("device"),
    "browser": _l("browser"),
    "address": _l("network address"),
    "sessions": _l("sessions"),
    "old": _l("previous e-mail address"),
    "new": _l("new e-mail address"),
    "restored": _l("e-mail address restored"),
    "dropped": _l("e-mail address dropped"),
    "complete": _l("complete"),
    "url": _l("URL"),
    "events": _l("events"),
    "description": _l("description"),
    "held": _l("held deliveries sent"),
    "failures": _l("failed deliveries in a row"),
}

VALUE_LABELS: dict[str, Any] = {
    "admin": _l("administrator"),
    "member": _l("member"),
    "active": _l("active"),
    "pending": _l("pending"),
    "rejected": _l("rejected"),
    "removed": _l("removed"),
    "open": _l("open"),
    "expired": _l("expired"),
    "revoked": _l("withdrawn"),
    "authenticator_app": _l("authenticator app"),
    "password_changed": _l("password changed"),
    "two_step_disabled": _l("two-step verification turned off"),
    "asked": _l("at the person's request"),
    "accepted": _l("accepted"),
    "address_taken": _l("address already in use"),
    "failing": _l("its deliveries kept failing"),
    "by_hand": _l("by hand"),
    **LANGUAGE_NAMES,
}

# Fields whose values are application keys, shown by the application's name.
APPLICATION_FIELDS = {"applications", "grants", "application"}

# Who acted, when it was not a person signed in to Panda (stored in English, shown in the reader's language).
ACTOR_LABELS: dict[str, Any] = {
    "system": _l("system"),
    "operator (command line)": _l("operator (command line)"),
}


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class EventRow:
    event: AuditEvent
    subject_name: str | None
    organization_name: str | None
    application_names: dict[str, str]

    @property
    def actor_label(self) -> str:
        return str(ACTOR_LABELS.get(self.event.actor_label, self.event.actor_label))

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.event.action, self.event.action))

    @property
    def changes(self) -> list[Change]:
        before, after = self.event.before or {}, self.event.after or {}
        rows = []
        for key in sorted(set(before) | set(after)):
            names = self.application_names if key in APPLICATION_FIELDS else {}
            old, new = display_value(before.get(key), key, names), display_value(after.get(key), key, names)
            if old != new:
                rows.append(Change(str(FIELD_LABELS.get(key, key)), old, new))
        return rows


def display_value(value: Any, key: str = "", names: dict[str, str] | None = None) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        return ", ".join(display_value(item, key, names) for item in value) if value else "–"
    text = str(value)
    if names and text in names:
        return names[text]
    if key.endswith("_at"):
        try:
            return format_datetime(dt.datetime.fromisoformat(text), "short")
        except ValueError:
            return text
    return str(VALUE_LABELS.get(text, text))
