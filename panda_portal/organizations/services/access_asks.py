"""A member asks the administrators for an application's access ("ask for access").

The community links here (``/ask-for-access?application=support_community``) when a
person is a member of an organization in Panda but lacks the application's grant: the
``orgs`` claim keeps listing granted organizations only. The administrators are mailed
(through the outbox, each in their language) a link to the member's detail screen,
where they tick the access. Asking again for the same membership within a day mails
nobody again.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.emails import access_asks as mails
from panda_portal.organizations.models import AccessAsk, Application, Membership, MembershipStatus
from panda_portal.organizations.services.joining import active_administrators
from shared.database import utcnow
from shared.errors import DomainError

# Within this time the same ask mails nobody again.
QUIET_PERIOD = dt.timedelta(days=1)


class AccessAskError(DomainError):
    """The ask cannot be made; ``message`` says why."""


class AlreadyGrantedError(AccessAskError):
    category = "success"

    def __init__(self, application: Application, language: str) -> None:
        super().__init__(_("You already have access to %(application)s here.", application=application.name(language)))


class AlreadyAskedError(AccessAskError):
    category = "warning"

    def __init__(self) -> None:
        super().__init__(
            _("You asked for this access less than a day ago; the administrators have your request in their mail.")
        )


def ask_for_access(membership: Membership, application: Application, *, actor: Account) -> list[Account]:
    """Mail every active administrator of the membership's organization; returns them."""
    if membership.account_id != actor.id or membership.status != MembershipStatus.ACTIVE:
        raise AccessAskError(_("You are not a member of this organization."))
    if application.key in membership.granted_keys:
        raise AlreadyGrantedError(application, actor.language)
    now = utcnow()
    ask = db.session.get(AccessAsk, (membership.id, application.key), with_for_update=True)
    if ask is not None and ask.asked_at > now - QUIET_PERIOD:
        raise AlreadyAskedError()
    if ask is None:
        db.session.add(AccessAsk(membership_id=membership.id, application_key=application.key, asked_at=now))
    else:
        ask.asked_at = now
    administrators = active_administrators(membership.organization_id)
    mails.send_access_ask(membership, application, administrators)
    db.session.flush()
    return administrators
