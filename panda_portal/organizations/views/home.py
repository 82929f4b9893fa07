"""The home page, each organization's page and "Switch organization"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.routing import BuildError

from panda_portal.accounts.session import current_account, signed_in_account
from panda_portal.extensions import db
from panda_portal.mfa.services.two_step import is_on as two_step_is_on
from panda_portal.organizations.forms.switching import FavouriteForm
from panda_portal.organizations.permissions import current_membership, current_organization
from panda_portal.organizations.services import joining as joining_service
from panda_portal.organizations.services import requests_to_join as requests_service
from panda_portal.organizations.services import switching as service
from panda_portal.organizations.views import bp
from shared.access import authenticated, requires
from shared.i18n import current_language


@dataclass
class Switcher:
    """What the menu at the top right shows: favourites, the organizations used last, waiting requests."""

    recent: service.OrganizationList
    favourites: service.OrganizationList
    waiting_requests: int

    @property
    def entries(self) -> list[service.OrganizationEntry]:
        return self.recent.entries

    @property
    def total(self) -> int:
        return self.recent.total

    @property
    def has_more(self) -> bool:
        return self.recent.total > len(self.recent.entries)


@bp.before_app_request
def _forget_previous_request() -> None:
    # ``g`` lives as long as the application context, which several requests can share
    # (the test client reuses an outer one): the organization resolved from one
    # request's URL, and the menu read for it, must not carry over to the next.
    for name in ("org_context", "organization_switcher", "register_lookup_failed"):
        g.pop(name, None)


@bp.app_context_processor
def _switcher_context() -> dict:
    def organization_switcher() -> Switcher | None:
        """Read only when a page's menu is rendered, and once per request (three statements)."""
        if "organization_switcher" not in g:
            account = current_account()
            g.organization_switcher = (
                Switcher(
                    service.switcher_menu(account, service.RECENT_SIZE),
                    service.favourites(account, service.MENU_SIZE),
                    requests_service.waiting_count(account),
                )
                if account
                else None
            )
        return g.organization_switcher

    def current_organization_id() -> uuid.UUID | None:
        context = g.get("org_context")
        return context[0].id if context else None

    return {"organization_switcher": organization_switcher, "current_organization_id": current_organization_id}


@bp.get("/")
@authenticated
def home() -> ResponseReturnValue:
    overview = service.home_overview(signed_in_account())
    return render_template(
        "organizations/home.html", overview=overview, application_names=service.application_names(current_language())
    )


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, str(default)))
    except ValueError:
        value = default
    return min(max(value, low), high)


@bp.get("/orgs")
@authenticated
def organizations() -> ResponseReturnValue:
    """Your organizations: search, filter by role and by application access, sort by name or last use."""
    role = request.args.get("role", "")
    role = role if role in service.ROLE_FILTERS else ""
    names = service.application_names(current_language())
    without = request.args.get("without", "")
    without = without if without in names else ""
    sort = request.args.get("sort", "name")
    sort = sort if sort in service.SORTS else "name"
    per_page = _int_arg("per_page", service.PAGE_SIZE, 10, service.PAGE_SIZE_MAX)
    result = service.search_organizations(
        signed_in_account(),
        request.args.get("q", ""),
        _int_arg("page", 1, 1, 10**6),
        per_page,
        role=role or None,
        without_application=without or None,
        sort=sort,
    )
    filters: dict[str, object] = {"q": result.query or None, "role": role or None, "without": without or None}
    if sort != "name":
        filters["sort"] = sort
    if per_page != service.PAGE_SIZE:
        filters["per_page"] = per_page
    return render_template(
        "organizations/organizations.html",
        result=result,
        application_names=names,
        filters=filters,
        role=role,
        without=without,
        sort=sort,
        favourite_form=FavouriteForm(),
    )


@bp.get("/orgs/switch")
@authenticated
def switch() -> ResponseReturnValue:
    """Switch organization: search as you type (or search, then pick), favourites and the five used last.

    With ``fragment=1`` only the results are sent: the switcher's script asks for them
    as the person types; without script the same form reloads the page.
    """
    account = signed_in_account()
    query = request.args.get("q", "")
    result = service.search_organizations(
        account, query, _int_arg("page", 1, 1, 10**6), service.SEARCH_SIZE, with_application_keys=False
    )
    context = {"result": result, "favourite_form": FavouriteForm()}
    if request.args.get("fragment") == "1":
        return render_template("organizations/switch_results.html", **context)
    if not result.query:
        context["favourites"] = service.favourites(account)
        context["recent"] = service.switcher_menu(account, service.RECENT_SIZE)
    return render_template("organizations/switch.html", **context)


@bp.post("/orgs/<org_id>/favourite")
@requires("org.view")
def favourite(org_id: str) -> ResponseReturnValue:
    form = FavouriteForm()
    if not form.validate_on_submit():
        abort(400)
    service.set_favourite(current_membership(), form.pinned.data == "1")
    db.session.commit()
    back = form.back.data or ""
    # Only a page of this site: a path, never another host.
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for(".switch")
    return redirect(back)


@bp.get("/orgs/<org_id>/")
@requires("org.view")
def organization_home(org_id: str) -> ResponseReturnValue:
    organization, membership = current_organization(), current_membership()
    service.note_organization_used(membership)
    db.session.commit()
    needs_two_step = organization.requires_two_step and not two_step_is_on(membership.account)
    administers = membership.is_admin and not needs_two_step
    requests = joining_service.pending_requests(organization) if administers else []
    return render_template(
        "organizations/org_home.html",
        organization=organization,
        membership=membership,
        application_names=service.application_names(current_language()),
        application_links=service.application_links(membership, current_language()),
        requests=requests,
        members_url=_url_if_built("organizations.members", org_id=organization.id),
        needs_two_step=needs_two_step,
        favourite_form=FavouriteForm(),
    )


def _url_if_built(endpoint: str, **values) -> str | None:
    """The members pages are optional to this page: link to them only where they exist."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
