"""The audit log as people read it: an organization's log for its administrators, and one's own activity."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from panda_portal.accounts.session import signed_in_account
from panda_portal.audit import services
from panda_portal.organizations.permissions import current_organization
from shared.access import authenticated, requires
from shared.i18n import current_language

bp = Blueprint("audit", __name__)

MAX_PAGE = 10_000


def _page_number() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


@bp.get("/orgs/<org_id>/audit")
@requires("org.audit.view")
def organization_log(org_id: str) -> ResponseReturnValue:
    organization = current_organization()
    page = _page_number()
    found = services.organization_events(organization.id, page=page, language=current_language())
    return render_template(
        "audit/organization_log.html",
        organization=organization,
        events=found.events,
        page=page,
        has_older=found.has_older,
    )


@bp.get("/account/activity")
@authenticated
def my_activity() -> ResponseReturnValue:
    page = _page_number()
    found = services.account_activity(signed_in_account().id, page=page, language=current_language())
    return render_template("audit/my_activity.html", events=found.events, page=page, has_older=found.has_older)
