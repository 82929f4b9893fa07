"""Why an organization is missing: Panda holds back the ones that require two-step verification.

Panda leaves out of a person's ``orgs`` every organization that requires two-step
verification the person has not set up, and names them in ``held_back`` (userinfo and
the access read). The community keeps that list with the person's access
(``PersonAccess.held_back``, ``auth.access``) and says, where organizations are listed
(the switcher, the start page, "Switch organization") and on the page of such an
organization, "Organization X requires two-step verification: set it up in Panda",
with a link to Panda's set-up page. It grants nothing: a held-back organization stays
a 404 for everything else.
"""

from __future__ import annotations

import uuid

from flask import current_app, g, render_template, request
from werkzeug.wrappers import Response

from shared.access import access_rule
from support_community.auth.access import held_back_of
from support_community.auth.session import SignedInPerson, current_user

TWO_STEP_REQUIRED = "two_step_required"


def held_back_organizations() -> list[dict[str, str]]:
    """The signed-in person's organizations held back for two-step verification (read once per request)."""
    if "held_back_organizations" not in g:
        user = current_user()
        g.held_back_organizations = (
            [entry for entry in held_back_of(user.sub) if entry["reason"] == TWO_STEP_REQUIRED] if user else []
        )
    return g.held_back_organizations


def two_step_url() -> str:
    """Panda's page where the person sets up two-step verification."""
    return f"{current_app.config['PANDA_ISSUER'].rstrip('/')}/account/two-step/set-up"


def refusal(user: SignedInPerson, org_id: object) -> Response | int:
    """What an organization's page answers when the person may not act for it: 404, with the reason when
    Panda holds the organization back for two-step verification."""
    view = current_app.view_functions.get(request.endpoint or "")
    rule = access_rule(view) if view else None
    if rule is None or rule.kind != "requires":
        return 404  # the API answers its own 404 (a problem document), never a page
    try:
        wanted = str(uuid.UUID(str(org_id)))
    except (ValueError, TypeError, AttributeError):
        return 404
    entry = next((item for item in held_back_organizations() if item["id"] == wanted), None)
    if entry is None or user is None:
        return 404
    page = render_template("auth/held_back_organization.html", organization=entry)
    return current_app.make_response((page, 404))
