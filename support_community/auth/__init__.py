"""Sign-in through Panda, the server-side session, the back-channel endpoint (logout tokens, access events)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Flask, after_this_request, current_app, g, redirect, request, request_started
from werkzeug.wrappers import Response

from shared.access import access_rule
from support_community.auth import access, held_back, organizations, services, signals
from support_community.auth.provider import ProviderUnavailable, init_provider
from support_community.auth.session import current_user, forget_lookups, has_session, session_subject
from support_community.auth.views import (
    backchannel_logout,
    bp,
    forget_seen,
    seen_before,
    sign_in_again,
    unavailable_page,
)
from support_community.extensions import csrf, db

log = logging.getLogger(__name__)

# The community's name among Panda's applications (the grant its clients need).
APPLICATION = "support_community"

__all__ = ["bp", "init_auth"]

# Requests that must not renew tokens or start a sign-in of their own.
_PASSIVE_ENDPOINTS = frozenset(
    {
        "auth.sign_in",
        "auth.callback",
        "auth.sign_out",
        "auth.backchannel_logout",
        "health.healthz",
        "health.readyz",
        "language.choose_language",
    }
)


def _passive(endpoint: str | None) -> bool:
    return endpoint is None or endpoint in _PASSIVE_ENDPOINTS or endpoint == "static" or endpoint.endswith(".static")


def _forget_previous_request(_sender: Flask, **_extra: object) -> None:
    # ``g`` belongs to the app context, which outlives a request when one was pushed
    # beforehand (tests, scripts): each request must work out its own person.
    g.pop("current_user", None)
    g.pop("current_org", None)
    g.pop("switcher_menu", None)
    g.pop("held_back_organizations", None)
    forget_lookups()


def _keep_session_fresh() -> None:
    """Before the view runs: an expired access token is renewed, and the person's list of organizations
    is read again when Panda said it changed but it could not be read then (``auth.access``).

    So the list a request uses is never older than the access token, and usually as new as Panda's.
    """
    if _passive(request.endpoint) or not has_session():
        return
    if services.refresh_session():  # SessionRevoked / ProviderUnavailable: see the error handlers
        # Renewed claims may carry a new name or address (changed in Panda): case mails follow them.
        g.pop("current_user", None)
        user = current_user()
        if user is not None:
            signals.claims_accepted.send(current_app._get_current_object(), user=user)  # type: ignore[attr-defined]
    sub = session_subject()
    if sub:
        access.refresh_if_needed(sub)
    db.session.commit()  # what was read from Panda is kept, whatever the view does


def _try_silent_sign_in() -> Response | None:
    """A browser that signed in before but has no session asks Panda with prompt=none first.

    That is how someone whose session ended by a back-channel logout comes back
    with Panda's current list of organizations, without a page in between. For a
    public page, Panda's "login required" just shows the page signed out.
    """
    endpoint = request.endpoint
    if endpoint is None or request.method != "GET" or _passive(endpoint) or has_session() or not seen_before():
        return None
    view = current_app.view_functions.get(endpoint)
    rule = access_rule(view) if view else None
    public_page = rule is not None and rule.kind == "public"
    try:
        url = services.begin_sign_in(
            next_url=request.full_path.rstrip("?"), silent=True, interactive_fallback=not public_page
        )
    except ProviderUnavailable as exc:
        if not public_page:
            raise
        log.warning("silent sign-in skipped: %s", exc)
        after_this_request(forget_seen)  # do not wait for Panda again on every page
        return None
    return redirect(url)


def init_auth(app: Flask) -> None:
    init_provider(app)
    app.register_blueprint(bp)
    request_started.connect(_forget_previous_request, app)
    csrf.exempt(backchannel_logout)  # Panda posts it server to server; the signed token is the proof
    app.before_request(_keep_session_fresh)
    app.before_request(_try_silent_sign_in)
    app.register_error_handler(ProviderUnavailable, unavailable_page)
    app.register_error_handler(services.SessionRevoked, sign_in_again)
    # Why an organization is missing (two-step verification): templates and imported macros alike.
    app.jinja_env.globals["held_back_organizations"] = held_back.held_back_organizations
    app.jinja_env.globals["two_step_url"] = held_back.two_step_url

    @app.context_processor
    def _auth_context() -> dict[str, object]:
        from support_community.permissions import current_org

        return {
            "current_org": current_org(),
            "switcher_limit": app.config["SWITCHER_MENU_LIMIT"],
            "switcher_menu": _switcher_menu,
            "ask_access_url": ask_access_url(),
        }


def ask_access_url() -> str:
    """Panda's page where a member asks an organization's administrators for access to the community."""
    return f"{current_app.config['PANDA_ISSUER'].rstrip('/')}/ask-for-access?{urlencode({'application': APPLICATION})}"


def _switcher_menu() -> organizations.MenuLists | None:
    """The menu's lists, worked out once per request and only on pages that show the menu."""
    from support_community.auth.session import current_user

    user = current_user()
    if user is None:
        return None
    if "switcher_menu" not in g:
        g.switcher_menu = organizations.menu(
            user.sub, limit=int(current_app.config["SWITCHER_MENU_LIMIT"]), total=user.organization_count
        )
    return g.switcher_menu
