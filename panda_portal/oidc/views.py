"""HTTP endpoints of the OpenID Provider.

The registered clients are first-party applications of the vendor, so there is
no consent screen: a signed-in person who is sent to ``/authorize`` by a client
goes straight back with a code (``prompt=consent`` is therefore satisfied as is,
and so is ``prompt=select_account``: a browser holds one Panda account).
``prompt=login`` and ``max_age`` send the person to sign in again; the request
they return to carries a signed mark, so a sign-in newer than the mark lets it
proceed instead of asking again. Errors about the client itself (unknown client,
missing or unregistered ``redirect_uri``) are shown on a page and never
redirected (RFC 6749 §4.1.2.1); every other error, and every success, goes back
to the client's exact redirect URI with ``state`` and ``iss`` (RFC 9207).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InsecureTransportError
from authlib.oidc.core.errors import LoginRequiredError
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from panda_portal.accounts.session import auth_time, authentication_methods, current_account
from panda_portal.extensions import db
from panda_portal.mfa.services import two_step
from panda_portal.oidc import keys, services
from panda_portal.oidc.discovery import provider_metadata
from panda_portal.oidc.models import ACR_TWO_STEP
from panda_portal.oidc.server import PandaAuthorizationServer
from shared.access import public
from shared.database import begin_read
from shared.metrics import count_token_grant

bp = Blueprint("oidc", __name__)

# Marks an authorization request that sent the person to sign in again
# (prompt=login, max_age): after a sign-in newer than the mark it proceeds.
LOGIN_TICKET = "login_ticket"
LOGIN_TICKET_MAX_AGE = 3600
PROMPTS = {"none", "login", "consent", "select_account"}
MAX_NONCE_LENGTH = 255


@bp.errorhandler(InsecureTransportError)
def insecure_transport(error: InsecureTransportError) -> ResponseReturnValue:
    # Only reachable outside production (which requires an https issuer).
    return jsonify(error=error.error, error_description=error.description), 400


def _server() -> PandaAuthorizationServer:
    return current_app.extensions["panda_oidc"]


def _issuer() -> str:
    return current_app.config["PANDA_ISSUER"]


def _error_page(title: str, message: str, status: int = 400) -> ResponseReturnValue:
    return render_template("oidc/error.html", title=title, message=message), status


def _json(data: dict, *, cache_seconds: int | None = None) -> Response:
    response = jsonify(data)
    # Public metadata, readable by browser-based clients.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if cache_seconds:
        response.headers["Cache-Control"] = f"public, max-age={cache_seconds}"
    return response


# -- discovery -----------------------------------------------------------------------------
@bp.get("/.well-known/openid-configuration")
@public
def discovery() -> ResponseReturnValue:
    return _json(provider_metadata(), cache_seconds=300)


@bp.get("/jwks")
@public
def jwks() -> ResponseReturnValue:
    data = keys.jwks()
    db.session.commit()  # the first key, when this request created it
    return _json(data, cache_seconds=60)


# -- authorization -------------------------------------------------------------------------
def _ticket_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="oidc-login-ticket")


def _ticket_time(params: MultiDict) -> int | None:
    value = params.get(LOGIN_TICKET)
    if not value:
        return None
    try:
        issued = _ticket_serializer().loads(value, max_age=LOGIN_TICKET_MAX_AGE)
    except BadData:
        return None
    return issued if isinstance(issued, int) else None


def _signed_in_after_ticket(params: MultiDict) -> bool:
    ticket = _ticket_time(params)
    signed_in_at = auth_time()
    return ticket is not None and signed_in_at is not None and signed_in_at >= ticket


def _must_sign_in_again(prompts: set[str], max_age: int | None, params: MultiDict) -> bool:
    if _signed_in_after_ticket(params):
        return False
    if "login" in prompts:
        return True
    signed_in_at = auth_time()
    return max_age is not None and (signed_in_at is None or time.time() - signed_in_at > max_age)


def _sign_in_redirect(params: MultiDict, *, again: bool) -> ResponseReturnValue:
    kept = [(k, v) for k, v in params.items(multi=True) if k != LOGIN_TICKET]
    if again:
        kept.append((LOGIN_TICKET, _ticket_serializer().dumps(int(time.time()))))
    target = url_for("oidc.authorize") + "?" + urlencode(kept)
    return redirect(url_for("accounts.sign_in", next=target))


def _redirect_error(redirect_uri: str, error: str, description: str, state: str | None) -> ResponseReturnValue:
    return _authorization_error(
        OAuth2Error(description=description, error=error, redirect_uri=redirect_uri, state=state)
    )


def _authorization_error(error: OAuth2Error) -> ResponseReturnValue:
    """Send the error back to the client (with ``iss``) or, without a trusted redirect URI, show it."""
    if not error.redirect_uri:
        return _error_page(_("This sign-in request cannot be handled"), error.get_error_description() or error.error)
    params = error.get_body() + [("iss", _issuer())]
    return redirect(add_params_to_uri(error.redirect_uri, params))


def _single(params: MultiDict, name: str) -> str | None:
    values = params.getlist(name)
    return values[0] if len(values) == 1 else None


def _refused_parameters(params: MultiDict) -> tuple[str, str] | None:
    """The error and description for what Panda refuses before Authlib looks at the request."""
    if "request" in params:
        return "request_not_supported", "Request objects are not supported."
    if "request_uri" in params:
        return "request_uri_not_supported", "request_uri is not supported."
    if "openid" not in (params.get("scope") or "").split():
        return "invalid_scope", "The scope must include openid."
    if len(params.get("nonce") or "") > MAX_NONCE_LENGTH:
        return "invalid_request", "The nonce is too long."
    prompts = set((params.get("prompt") or "").split())
    if not prompts <= PROMPTS or ("none" in prompts and len(prompts) > 1):
        return "invalid_request", "Invalid prompt parameter."
    max_age = params.get("max_age")
    if max_age is not None and not (max_age.isascii() and max_age.isdigit() and len(max_age) <= 12):
        return "invalid_request", "Invalid max_age parameter."
    return None


@bp.route("/authorize", methods=["GET", "POST"])
@public
def authorize() -> ResponseReturnValue:
    if request.method == "POST":
        # The same request as a GET, so that the sign-in round trip can come back to it.
        query = urlencode(list(request.form.items(multi=True)))
        return redirect(url_for("oidc.authorize") + "?" + query, code=303)
    params = request.args
    if not session.get("account_id"):
        # No one is signed in here: this request only reads (the client, the nonce) and sends
        # the browser to sign in, so on SQLite it takes no write lock and queues behind no writer.
        begin_read(db.session)
    title = _("This sign-in request cannot be handled")
    client = services.get_client(_single(params, "client_id"))
    if client is None:
        return _error_page(title, _("The application that sent you here is not known to Panda."))
    redirect_uri = _single(params, "redirect_uri")
    if not redirect_uri:
        return _error_page(title, _("The application did not say where to return to."))
    if not client.check_redirect_uri(redirect_uri):
        return _error_page(title, _("The address to return to is not registered for this application."))

    state = params.get("state")
    problem = _refused_parameters(params)
    if problem:
        return _redirect_error(redirect_uri, *problem, state)
    prompts = set((params.get("prompt") or "").split())
    max_age = int(params["max_age"]) if params.get("max_age") is not None else None

    account = current_account()
    sign_in_again = account is not None and _must_sign_in_again(prompts, max_age, params)
    server = _server()
    try:
        grant = server.get_consent_grant(end_user=None if sign_in_again else account)
    except OAuth2Error as error:
        error.state = error.state or state
        return _authorization_error(error)
    if account is None or sign_in_again:
        if "none" in prompts:
            return _authorization_error(LoginRequiredError(redirect_uri=redirect_uri, state=state))
        return _sign_in_redirect(params, again=sign_in_again or "login" in prompts or max_age is not None)

    if _asks_for_two_step(params) and "mfa" not in authentication_methods() and two_step.is_on(account):
        # The client asks for a second factor (``acr_values``) that this session has not seen:
        # the person gives it, then comes back here. Without one set up, the sign-in goes on
        # and its ``acr`` says a password (acr_values is a wish, OpenID Connect Core 3.1.2.1).
        if "none" in prompts:
            return _redirect_error(
                redirect_uri, "interaction_required", "The second factor must be given first.", state
            )
        target = url_for("oidc.authorize") + "?" + urlencode(list(params.items(multi=True)))
        return redirect(url_for("mfa.confirm", next=target))

    response = server.create_authorization_response(grant_user=account, grant=grant)
    db.session.commit()
    return response


def _asks_for_two_step(params: MultiDict) -> bool:
    return ACR_TWO_STEP in (params.get("acr_values") or "").split()


# -- token, userinfo, revocation -----------------------------------------------------------
@bp.post("/token")
@public
def token() -> ResponseReturnValue:
    response = _server().create_token_response()
    # Also on refusals: a reused code or refresh token has just revoked its grant.
    db.session.commit()
    if response.status_code == 200:
        count_token_grant(request.form.get("grant_type", ""))
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@public
def userinfo() -> ResponseReturnValue:
    response = _server().create_endpoint_response("userinfo")
    db.session.commit()  # the list's version, when it changed (access.orgs_snapshot)
    return response


@bp.post("/access")
@public
def access() -> ResponseReturnValue:
    """A confidential client reads a person's ``orgs`` (server to server; see ``server.AccessEndpoint``)."""
    response = _server().create_endpoint_response("access")
    db.session.commit()
    return response


@bp.post("/revoke")
@public
def revoke() -> ResponseReturnValue:
    response = _server().create_endpoint_response("revocation")
    db.session.commit()
    return response


@bp.post("/introspect")
@public
def introspect() -> ResponseReturnValue:
    """RFC 7662: a confidential client asks whether a token is live (``introspection``)."""
    response = _server().create_endpoint_response("introspection")
    db.session.commit()  # a personal access token's last use
    return response


# -- RP-initiated logout -------------------------------------------------------------------
def _end_session(confirmed: bool) -> ResponseReturnValue:
    server = _server()
    title = _("This sign-out request cannot be handled")
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _error_page(title, error.get_error_description() or error.error)
    if request.values.get("post_logout_redirect_uri") and end_request.redirect_uri is None:
        return _error_page(
            title, _("The address to return to after signing out is not registered for this application.")
        )
    if end_request.needs_confirmation and not confirmed and current_account() is not None:
        return render_template(
            "oidc/sign_out.html",
            client=end_request.client,
            fields={
                name: request.values[name]
                for name in ("client_id", "post_logout_redirect_uri", "state")
                if request.values.get(name)
            },
        )
    response = server.create_endpoint_response("end_session", end_request)
    db.session.commit()
    return response or render_template("oidc/signed_out.html")


@bp.route("/end-session", methods=["GET", "POST"])
@public
def end_session() -> ResponseReturnValue:
    return _end_session(confirmed=False)


@bp.post("/end-session/confirm")
@public
def confirm_end_session() -> ResponseReturnValue:
    return _end_session(confirmed=True)


CSRF_EXEMPT = (authorize, token, userinfo, revoke, introspect, access, end_session)
