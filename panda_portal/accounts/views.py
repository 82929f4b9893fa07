"""Accounts over HTTP: register, confirm, sign in and out, reset and change the password, profile."""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests

from panda_portal.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    EmailForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    SignInForm,
)
from panda_portal.accounts.models import AccountToken, normalize_email
from panda_portal.accounts.services import passwords as password_service
from panda_portal.accounts.services import profile as profile_service
from panda_portal.accounts.services import registration as registration_service
from panda_portal.accounts.services import sign_in as sign_in_service
from panda_portal.accounts.services.errors import (
    AccountError,
    DisabledAccountError,
    InvalidLinkError,
    UnverifiedAccountError,
    WrongPasswordError,
)
from panda_portal.accounts.services.links import check_link
from panda_portal.accounts.session import current_account, end_all_sessions, session_sid, signed_in_account
from panda_portal.accounts.session import sign_out as end_session
from panda_portal.extensions import db, limiter
from panda_portal.mfa.pending import continue_sign_in, finish_sign_in
from panda_portal.mfa.step_up import step_up_first
from shared.access import authenticated, public
from shared.errors import report_error
from shared.i18n import LANGUAGE_COOKIE, current_language
from shared.metrics import count_sign_in
from shared.web import safe_next

bp = Blueprint("accounts", __name__)


@bp.before_app_request
def _forget_previous_request() -> None:
    # ``g`` lives as long as the application context, which several requests can share
    # (the test client reuses an outer one): nothing learnt about one request's session
    # (who is signed in, Flask-WTF's cached CSRF token) may carry over to the next.
    g.pop("current_account", None)
    g.pop("password_check_failed", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


# -- throttling ----------------------------------------------------------------------------
# Failed sign-ins are counted per client, and per account *from that client*. Wrong
# passwords typed for an account from one place stop that place from trying that account,
# never the owner signing in from anywhere else: the limits cannot lock an account for
# everyone. Guesses at one account from many places are each bounded by the limit of
# their own client, and a client by its limit across all accounts.
#
# A client is its IP address, or the /64 network of an IPv6 address: one machine usually
# holds a whole /64, and its addresses must not count as that many clients.
#
# The account is the address as typed, hashed with the client: throttling treats unknown
# and known addresses alike, and the rate-limit store holds no e-mail addresses.
def _client() -> str:
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _typed_account_from_client_key() -> str:
    address = normalize_email(request.form.get("email", "") or "")
    return "account-from-client:" + hashlib.sha256(f"{address}\n{_client()}".encode()).hexdigest()


def _signed_in_account_key() -> str:
    return "account-id:" + str(session.get("account_id") or "")


def _client_key() -> str:
    return "address:" + _client()


def _failed(_response: Response) -> bool:
    """Only failed password checks count (a right password or a throttled attempt does not)."""
    return bool(g.get("password_check_failed"))


def _config_value(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


def _note_failure() -> None:
    g.password_check_failed = True


sign_in_limit_per_account = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ACCOUNT"),
    key_func=_typed_account_from_client_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="account",
)
sign_in_limit_per_address = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ADDRESS"),
    key_func=_client_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="address",
)
# Every post that can send a mail counts: these are the forms a spammer would use.
mail_limit_per_address = limiter.shared_limit(
    _config_value("EMAIL_LIMIT_PER_ADDRESS"), scope="accounts-mail", key_func=_client_key, methods=["POST"]
)
password_check_limit = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ACCOUNT"),
    key_func=_signed_in_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="account",
)


@bp.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests) -> ResponseReturnValue:
    if request.endpoint == "accounts.sign_in":
        count_sign_in("throttled")
        form = SignInForm()
        form.next.data = _next_from_request()
        return throttled(lambda message: render_template("accounts/sign_in.html", form=form, problem=message))
    return throttled()


def throttled(page: Callable[[str], str] | None = None) -> ResponseReturnValue:
    """The answer to a form sent too often: 429, ``Retry-After`` when the limit tells, and ``page`` made
    with the message (by default a page saying only that)."""
    message = _("Too many attempts. Please wait a few minutes and try again.")
    retry_after = _retry_after()
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    body = page(message) if page else render_template("accounts/too_many_requests.html", message=message)
    return body, 429, headers


def _retry_after() -> int | None:
    limit = limiter.current_limit
    if limit is None:
        return None
    return max(1, int(limit.reset_at - time.time()))


# -- helpers -------------------------------------------------------------------------------
def _next_from_request() -> str:
    """The same-site page to return to, from the form or the query string ('' when none)."""
    return safe_next(request.form.get("next") or request.args.get("next"), "")


def _fresh_session_id() -> None:
    """What is left of the session (a flash message) continues under a new identifier."""
    regenerate = getattr(session, "regenerate", None)
    if regenerate:
        regenerate()


def _check_email_page(kind: str, email: str) -> ResponseReturnValue:
    return render_template("accounts/check_email.html", kind=kind, email=normalize_email(email))


# -- sign in and out -----------------------------------------------------------------------
@bp.route("/sign-in", methods=["GET", "POST"])
@public
@sign_in_limit_per_account
@sign_in_limit_per_address
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    form.next.data = _next_from_request()
    if request.method == "GET":
        return render_template("accounts/sign_in.html", form=form)
    if not form.validate():
        return render_template("accounts/sign_in.html", form=form), 400
    try:
        account = sign_in_service.authenticate(form.email.data, form.password.data)
    except UnverifiedAccountError as error:
        db.session.commit()  # a rehashed password is kept
        resend = EmailForm(formdata=None, email=error.account.email, next=form.next.data)
        return render_template(
            "accounts/sign_in.html", form=form, problem=error.message, unverified=True, resend_form=resend
        )
    except DisabledAccountError as error:
        db.session.commit()
        return render_template("accounts/sign_in.html", form=form, problem=error.message), 403
    if account is None:
        _note_failure()
        count_sign_in("failed")
        return render_template(
            "accounts/sign_in.html", form=form, problem=_("The e-mail address or the password is not correct.")
        )
    second_step = continue_sign_in(account, next_path=form.next.data or "")
    if second_step is not None:  # two-step verification: no session before the second factor
        db.session.commit()  # a rehashed password is kept
        return second_step
    response = finish_sign_in(account, methods=("pwd",), next_path=form.next.data or "")
    db.session.commit()
    count_sign_in("ok")
    return response


@bp.post("/sign-out")
@public
def sign_out() -> ResponseReturnValue:
    account = current_account()
    if account is not None:
        sign_in_service.announce_sign_out(account, sid=session_sid())
    end_session()
    _fresh_session_id()
    db.session.commit()
    flash(_("You are signed out."), "success")
    return redirect(url_for("accounts.sign_in"))


# -- registration and confirmation -----------------------------------------------------------
@bp.route("/register", methods=["GET", "POST"])
@public
@mail_limit_per_address
def register() -> ResponseReturnValue:
    form = RegisterForm()
    form.next.data = _next_from_request()
    if request.method == "GET":
        form.language.data = current_language()
        return render_template("accounts/register.html", form=form)
    if form.validate():
        try:
            registration_service.register(
                form.email.data, form.name.data, form.password.data, form.language.data, next_path=form.next.data
            )
        except AccountError as error:
            report_error(error, form)
        else:
            db.session.commit()
            return _check_email_page("register", form.email.data)
    return render_template("accounts/register.html", form=form), 400


@bp.route("/verify/<token>", methods=["GET", "POST"])
@public
def verify(token: str) -> ResponseReturnValue:
    form = ConfirmForm()
    try:
        if request.method == "GET":
            check_link(token, AccountToken.VERIFY)
            return render_template("accounts/verify.html", form=form)
        if not form.validate():
            return render_template("accounts/verify.html", form=form), 400
        used = registration_service.verify_email(token)
    except InvalidLinkError as error:
        return _invalid_link(error)
    db.session.commit()
    flash(_("Your e-mail address is confirmed. You can sign in now."), "success")
    return redirect(url_for("accounts.sign_in", next=used.next_path) if used.next_path else url_for("accounts.sign_in"))


def _invalid_link(error: InvalidLinkError) -> ResponseReturnValue:
    form = EmailForm(formdata=None)
    action = url_for(
        "accounts.forgot_password" if error.purpose == AccountToken.RESET else "accounts.resend_verification"
    )
    status = 404 if error.reason == InvalidLinkError.UNKNOWN else 410
    return render_template(
        "accounts/invalid_link.html", error=error, form=form, action=action, purpose=error.purpose
    ), status


@bp.route("/resend-verification", methods=["GET", "POST"])
@public
@mail_limit_per_address
def resend_verification() -> ResponseReturnValue:
    form = EmailForm()
    form.next.data = _next_from_request()
    if request.method == "GET":
        return render_template("accounts/resend_verification.html", form=form)
    if not form.validate():
        return render_template("accounts/resend_verification.html", form=form), 400
    registration_service.resend_verification(form.email.data, locale=current_language(), next_path=form.next.data)
    db.session.commit()
    return _check_email_page("verify", form.email.data)


# -- passwords -----------------------------------------------------------------------------
@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@mail_limit_per_address
def forgot_password() -> ResponseReturnValue:
    form = EmailForm()
    if request.method == "GET":
        return render_template("accounts/forgot_password.html", form=form)
    if not form.validate():
        return render_template("accounts/forgot_password.html", form=form), 400
    password_service.request_password_reset(form.email.data, locale=current_language())
    db.session.commit()
    return _check_email_page("reset", form.email.data)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    form = ResetPasswordForm()
    try:
        link = check_link(token, AccountToken.RESET)
        if request.method == "GET" or not form.validate():
            status = 400 if request.method == "POST" else 200
            return render_template("accounts/reset_password.html", form=form, account=link.account), status
        account = password_service.reset_password(token, form.password.data)
    except InvalidLinkError as error:
        return _invalid_link(error)
    except AccountError as error:
        report_error(error, form)
        return render_template("accounts/reset_password.html", form=form, account=link.account), 400
    signed_in_here = current_account()
    if signed_in_here is not None and signed_in_here.id == account.id:
        # This browser's session ended with the others.
        end_session()
        _fresh_session_id()
    db.session.commit()
    flash(_("Your password has been changed. Please sign in with your new password."), "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
@password_check_limit
def change_password() -> ResponseReturnValue:
    account = signed_in_account()
    asked = step_up_first(account, url_for("accounts.change_password"))
    if asked is not None:
        return asked
    form = ChangePasswordForm()
    if request.method == "POST" and form.validate():
        try:
            password_service.change_password(account, form.current_password.data, form.new_password.data, actor=account)
        except AccountError as error:
            if isinstance(error, WrongPasswordError):
                _note_failure()
            report_error(error, form)
        else:
            end_all_sessions(account, keep_current=True)
            db.session.commit()
            flash(_("Your password has been changed. You were signed out everywhere else."), "success")
            return redirect(url_for("accounts.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/change_password.html", form=form), status


# -- profile -------------------------------------------------------------------------------
@bp.route("/account", methods=["GET", "POST"])
@authenticated
def profile() -> ResponseReturnValue:
    account = signed_in_account()
    form = ProfileForm(obj=account)
    if request.method == "POST" and form.validate():
        language_before = account.language
        try:
            profile_service.update_profile(account, form.name.data, form.language.data, actor=account)
        except AccountError as error:
            report_error(error, form)
        else:
            db.session.commit()
            response = redirect(url_for("accounts.profile"))
            if account.language == language_before:
                flash(_("Your details have been saved."), "success")
                return response
            # The language just chosen for the account outranks an earlier choice in the menu:
            # the next page, and this message on it, are in the account's new language.
            response.delete_cookie(LANGUAGE_COOKIE)
            with force_locale(account.language):
                flash(_("Your details have been saved."), "success")
            return response
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/profile.html", form=form, account=account), status


# The person's sessions, change of address, data download and deletion (same blueprint).
from panda_portal.accounts import security_views  # noqa: E402,F401
