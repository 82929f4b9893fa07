"""Sign-in, callback, sign-out, the back-channel endpoint (logout tokens, access events), the switcher."""

from __future__ import annotations

import logging
import uuid
from typing import cast

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from shared.access import authenticated, public, requires
from shared.metrics import count_sign_in
from shared.web import safe_next
from support_community.auth import access, organizations, personal_data, services, signals
from support_community.auth.provider import ProviderUnavailable
from support_community.auth.session import SignedInPerson, current_user, end_session, session_tokens, signed_in_user
from support_community.auth.tokens import MAX_TOKEN_LENGTH, AccessEventInvalid, LogoutTokenInvalid
from support_community.extensions import db
from support_community.permissions import current_org, has_capability

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

# A non-secret hint that this browser signed in before: worth asking Panda with
# prompt=none first, so a person still signed in there comes back without a page.
SEEN_COOKIE = "community_seen"
SEEN_COOKIE_MAX_AGE = 90 * 24 * 3600

FAILURE_MESSAGES = {
    "access_denied": _l("The sign-in was cancelled or Panda refused access to the Support Community."),
    "login_required": _l("Panda asks you to sign in first."),
    "state": _l("This sign-in attempt has expired or was started in another window."),
    "issuer": _l("The answer did not come from Panda, so it was refused."),
    "code": _l("Panda's answer could not be used: the sign-in code is missing, was used before or was changed."),
    "id_token": _l("Panda's answer could not be verified, so it was refused."),
    "provider_error": _l("Panda could not complete the sign-in."),
}
FAILURE_MESSAGES["token"] = FAILURE_MESSAGES["code"]


def remember_seen(response: Response) -> Response:
    response.set_cookie(
        SEEN_COOKIE,
        "1",
        max_age=SEEN_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def forget_seen(response: Response) -> Response:
    response.delete_cookie(
        SEEN_COOKIE, httponly=True, samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    )
    return response


def seen_before() -> bool:
    return request.cookies.get(SEEN_COOKIE) == "1"


@bp.get("/auth/sign-in")
@public
def sign_in() -> Response:
    target = safe_next(request.args.get("next"), url_for("cases.home"))
    if current_user() is not None:
        return redirect(target)
    return redirect(services.begin_sign_in(next_url=target, silent=seen_before()))


@bp.get("/auth/callback")
@public
def callback() -> Response:
    try:
        next_url = services.complete_sign_in(request.args)
    except services.SilentSignInDeclined as declined:
        if declined.interactive_fallback:
            return redirect(services.begin_sign_in(next_url=declined.next_url, silent=False))
        return forget_seen(redirect(declined.next_url))
    except services.SignInFailed as failure:
        if failure.reason == "state" and current_user() is not None:
            return redirect(url_for("cases.home"))  # a reload of a callback that already signed them in
        log.info("sign-in refused: %s", failure)
        count_sign_in("failed")
        status = 403 if failure.reason == "access_denied" else 400
        page = render_template(
            "auth/sign_in_failed.html",
            reason=failure.reason,
            message=FAILURE_MESSAGES.get(failure.reason, FAILURE_MESSAGES["provider_error"]),
            next_url=failure.next_url,
        )
        return forget_seen(current_app.make_response((page, status)))
    _claims_accepted()
    count_sign_in("ok")
    return remember_seen(redirect(_landing(next_url)))


def _landing(next_url: str) -> str:
    """Where a sign-in ends: the page asked for, or, when none was (the start page), an agent's queue."""
    if next_url == url_for("cases.home") and has_capability(current_user(), "agent.queue"):
        return url_for("agents.queue")
    return next_url


def _claims_accepted() -> None:
    """Let the rest of the community refresh what it keeps about the person (name, language)."""
    user = current_user()
    if user is not None:
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()
        signals.claims_accepted.send(app, user=user)
        db.session.commit()


@bp.post("/auth/sign-out")
@public
def sign_out() -> Response:
    """End the community session, then Panda's (RP-initiated logout) when someone was signed in."""
    signed_in = current_user() is not None
    tokens = session_tokens()
    end_session()
    target = url_for("cases.home")
    if signed_in and tokens is not None:
        services.revoke_refresh_token(tokens.refresh_token)
    if signed_in:
        try:
            target = services.end_session_url(id_token_hint=tokens.id_token if tokens else None) or target
        except ProviderUnavailable as exc:
            log.warning("signed out locally only; Panda unavailable: %s", exc)
    return forget_seen(redirect(target))


SECEVENT_MEDIA_TYPE = "application/secevent+jwt"


@bp.post("/auth/backchannel-logout")
@public
def backchannel_logout() -> Response:
    """Panda's back-channel: a logout token (OpenID Connect Back-Channel Logout 1.0, a form with
    ``logout_token``), or an access event (a body of type ``application/secevent+jwt``, RFC 8935)."""
    if request.mimetype == SECEVENT_MEDIA_TYPE:
        response = _access_event()
    elif request.mimetype == personal_data.PERSONAL_DATA_MEDIA_TYPE:
        response = _personal_data_request()
    else:
        response = _logout()
    response.headers["Cache-Control"] = "no-store"
    return response


def _logout() -> Response:
    try:
        ended = services.accept_backchannel_logout(request.form.get("logout_token", ""))
    except LogoutTokenInvalid as exc:
        db.session.rollback()
        log.info("back-channel logout refused: %s", exc)
        response = jsonify(error="invalid_request")
        response.status_code = 400
    except ProviderUnavailable as exc:
        db.session.rollback()
        log.warning("back-channel logout could not be checked: %s", exc)
        response = jsonify(error="temporarily_unavailable")
        response.status_code = 503
    else:
        db.session.commit()
        log.info("back-channel logout ended %d session(s)", ended)
        response = current_app.make_response(("", 200))
    return response


def _access_event() -> Response:
    """Panda says what someone may do here changed: drop what it withdrew, then read the list (``auth.access``)."""
    if (request.content_length or 0) > MAX_TOKEN_LENGTH:
        return _event_error("invalid_request", "the event is too large", 400)
    token = request.get_data(as_text=True)
    if personal_data.is_account_event(token):
        return _account_event(token)
    try:
        access.accept_access_event(token)
    except (AccessEventInvalid, UnicodeError) as exc:
        db.session.rollback()
        log.info("access event refused: %s", exc)
        return _event_error("invalid_request", str(exc), 400)
    except access.UnknownPerson:
        db.session.commit()  # the jti is remembered; nobody here by that sub, so nothing else changes
        return current_app.make_response(("", 202))
    except ProviderUnavailable as exc:
        # Panda's keys or the list could not be read. What the event withdrew (if it could be
        # checked) is committed already; the list is read again on the person's next request,
        # and Panda sends the event again.
        db.session.rollback()
        log.warning("access event not fully handled, Panda unavailable: %s", exc)
        return _event_error("temporarily_unavailable", "the list could not be read from Panda", 503)
    db.session.commit()
    return current_app.make_response(("", 202))


def _account_event(token: str) -> Response:
    """Panda says the person deleted their account: erase them here (``auth.personal_data``)."""
    try:
        sub = personal_data.accept_account_deleted(token)
    except personal_data.PandaMessageInvalid as exc:
        db.session.rollback()
        log.info("account event refused: %s", exc)
        return _event_error("invalid_request", str(exc), 400)
    except ProviderUnavailable as exc:
        db.session.rollback()
        log.warning("account event not checked, Panda unavailable: %s", exc)
        return _event_error("temporarily_unavailable", "Panda's keys could not be read", 503)
    db.session.commit()
    log.info("person %s erased: their Panda account was deleted", sub)
    return current_app.make_response(("", 202))


def _personal_data_request() -> Response:
    """Panda asks, for the person's download, what the community holds about them."""
    if (request.content_length or 0) > MAX_TOKEN_LENGTH:
        return _event_error("invalid_request", "the request is too large", 400)
    try:
        data = personal_data.accept_data_request(request.get_data(as_text=True))
    except (personal_data.PandaMessageInvalid, UnicodeError) as exc:
        db.session.rollback()
        log.info("personal data request refused: %s", exc)
        return _event_error("invalid_request", str(exc), 400)
    except ProviderUnavailable as exc:
        db.session.rollback()
        log.warning("personal data request not checked, Panda unavailable: %s", exc)
        return _event_error("temporarily_unavailable", "Panda's keys could not be read", 503)
    db.session.commit()  # the request's jti is used up
    return jsonify(data)


def _event_error(error: str, description: str, status: int) -> Response:
    response = jsonify(err=error, description=description)
    response.status_code = status
    return response


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything unreadable is the first page."""
    try:
        return min(max(int(raw or 1), 1), organizations.MAX_PAGE)
    except ValueError:
        return 1


def picker_context(user: SignedInPerson, query: str, page: int) -> dict[str, object]:
    """What the switcher page and the new-case picker show: favourites and recent choices, then one page."""
    total = user.organization_count
    found = organizations.search(user.sub, query, page=page, total=None if query else total)
    first_view = not query and page == 1
    return {
        "query": query,
        "found": found,
        "favourites": organizations.favourites(user.sub) if first_view and total else [],
        "recent": organizations.recent(user.sub) if first_view and total else [],
        "total": total,
    }


@bp.get("/switch")
@authenticated
def switch() -> ResponseReturnValue:
    """The person's organizations: favourites, used recently, then every one by name, a page at a time.

    Opened without a search, the list is read again from Panda first; searching and paging use the list kept.
    """
    query = organizations.normalized_query(request.args.get("q"))
    page = page_number(request.args.get("page"))
    out_of_date = False
    if not query and page == 1:
        try:
            services.reread_claims()
        except ProviderUnavailable as exc:
            log.warning("organization list not refreshed: %s", exc)
            out_of_date = True
        else:
            _claims_accepted()
    return render_template("auth/switch.html", out_of_date=out_of_date, **picker_context(signed_in_user(), query, page))


SEARCH_TARGETS = {"switch": "cases.org_home", "new_case": "cases.new_case"}
MENU_RESULTS = 10


@bp.get("/organizations/search")
@authenticated
def search_organizations() -> ResponseReturnValue:
    """The search-as-you-type results of a switcher (an HTML fragment the script puts under the field)."""
    query = organizations.normalized_query(request.args.get("q"))
    asked = request.args.get("target") or ""
    target = asked if asked in SEARCH_TARGETS else "switch"
    found = organizations.search(signed_in_user().sub, query, per_page=MENU_RESULTS)
    response = current_app.make_response(
        render_template(
            "auth/_search_results.html",
            found=found,
            query=query,
            endpoint=SEARCH_TARGETS[target],
            more_url=url_for("auth.switch" if target == "switch" else "cases.choose_organization", q=query or None),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/orgs/<uuid:org_id>/favourite")
@requires("org.view")
def favourite(org_id: uuid.UUID) -> Response:
    """Pin an organization to the top of the switcher (``favourite=1``), or unpin it (``favourite=0``)."""
    pinned = request.form.get("favourite") == "1"
    organizations.set_favourite(signed_in_user().sub, org_id, favourite=pinned)
    db.session.commit()
    org = current_org()
    name = org.name if org else ""
    flash(
        _("%(org)s is pinned to the top of your list.", org=name)
        if pinned
        else _("%(org)s is no longer pinned.", org=name),
        "success",
    )
    return redirect(safe_next(request.form.get("next"), url_for("auth.switch")))


def unavailable_page(_exc: Exception) -> Response:
    retry = (
        request.full_path.rstrip("?")
        if request.method == "GET" and request.endpoint != "auth.callback"
        else url_for("auth.sign_in")
    )
    page = render_template("auth/unavailable.html", retry_url=safe_next(retry, url_for("cases.home")))
    response = current_app.make_response((page, 503))
    response.headers["Retry-After"] = "30"
    return response


def sign_in_again(_exc: Exception) -> Response:
    """Panda no longer renews the session: forget it here and go through sign-in again."""
    end_session()
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.sign_in", next=safe_next(next_url, url_for("cases.home"))))
