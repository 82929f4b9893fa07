"""Two-step verification over HTTP: the person's settings, the second step of signing in, the step-up page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import current_account, record_second_factor, signed_in_account
from panda_portal.accounts.views import (
    _client_key,
    _config_value,
    _failed,
    _note_failure,
    _signed_in_account_key,
    throttled,
)
from panda_portal.extensions import db, limiter
from panda_portal.mfa import pending
from panda_portal.mfa.errors import TwoStepError, WrongCodeError
from panda_portal.mfa.forms import ConfirmForm, SecondFactorForm, SetUpForm
from panda_portal.mfa.services import passkeys, recovery_codes, remembered, totp, two_step
from panda_portal.mfa.step_up import step_up_first
from shared.access import authenticated, public
from shared.errors import report_error
from shared.metrics import count_sign_in
from shared.web import safe_next

bp = Blueprint("mfa", __name__, static_folder="static", static_url_path="/mfa-static")

# The secret being set up, kept in the server-side session until the first code confirms it.
SETUP_SECRET = "mfa_setup_secret"
# The challenge of the passkey ceremony on the step-up page, used once.
CONFIRM_CHALLENGE = "mfa_passkey_confirm_challenge"


def ceremony() -> passkeys.Ceremony:
    """The relying party as the browser sees it: this site's host name and origin."""
    return passkeys.Ceremony(
        rp_id=urlsplit(request.host_url).hostname or "",
        origin=request.host_url.rstrip("/"),
        rp_name=str(current_app.config["SERVICE_NAME"]),
    )


@bp.app_template_global()
def two_step_is_on() -> bool:
    """Whether the signed-in person has two-step verification on (the profile page says so)."""
    account = current_account()
    return account is not None and two_step.is_on(account)


# -- throttling: wrong codes count like wrong passwords -------------------------------------
def _pending_account_key() -> str:
    return "pending-account:" + pending.pending_account_key()


second_step_limit_per_account = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ACCOUNT"),
    key_func=_pending_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="second-factor",
)
second_step_limit_per_address = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ADDRESS"),
    key_func=_client_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="second-factor-address",
)
code_check_limit = limiter.limit(
    _config_value("SIGN_IN_LIMIT_PER_ACCOUNT"),
    key_func=_signed_in_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="second-factor",
)


@bp.errorhandler(TooManyRequests)
def too_many_requests(_error: TooManyRequests) -> ResponseReturnValue:
    if request.endpoint in ("mfa.second_step", "mfa.passkey_sign_in"):
        count_sign_in("throttled")
    return throttled()


def _next() -> str:
    return safe_next(request.form.get("next") or request.args.get("next"), "")


# -- the second step of signing in ----------------------------------------------------------
@bp.route("/sign-in/two-step", methods=["GET", "POST"])
@public
@second_step_limit_per_account
@second_step_limit_per_address
def second_step() -> ResponseReturnValue:
    waiting = pending.pending_sign_in()
    next_path = _next()
    if waiting is None:
        flash(_("Your sign-in has expired. Please sign in again."), "warning")
        return redirect(url_for("accounts.sign_in", next=next_path) if next_path else url_for("accounts.sign_in"))
    form = SecondFactorForm()
    form.next.data = next_path
    account = waiting.account
    if request.method == "GET":
        return _second_step_page(form, account)
    if not form.validate():
        return _second_step_page(form, account, 400)
    try:
        if form.passkey_response.data:
            method = passkeys.use(
                account,
                form.passkey_response.data,
                challenge=pending.passkey_challenge(account),
                ceremony=ceremony(),
            )
        else:
            method = two_step.verify(account, code=form.code.data, recovery_code=form.recovery_code.data)
    except WrongCodeError as error:
        _note_failure()
        count_sign_in("failed")
        report_error(error, form)
        return _second_step_page(form, account)
    response = pending.finish_sign_in(
        account, methods=("pwd", method), next_path=next_path, remember=bool(form.remember.data)
    )
    db.session.commit()
    count_sign_in("ok")
    return response


def _second_step_page(form: SecondFactorForm, account: Account, status: int = 200) -> ResponseReturnValue:
    """The page, with a fresh passkey challenge (kept in a signed cookie) when the person has passkeys."""
    options = passkeys.authentication_options(account, ceremony())
    response = make_response(
        render_template("mfa/second_step.html", form=form, passkey_options=options[0] if options else None), status
    )
    if options:
        pending.keep_passkey_challenge(response, account, options[1])
    return response


# -- step-up: the second factor again, before a sensitive change -------------------------------
@bp.route("/account/two-step/confirm", methods=["GET", "POST"])
@authenticated
@code_check_limit
def confirm() -> ResponseReturnValue:
    account = signed_in_account()
    next_path = _next() or url_for("mfa.settings")
    if not two_step.is_on(account):
        return redirect(next_path)
    form = SecondFactorForm()
    form.next.data = next_path
    if request.method == "POST" and form.validate():
        try:
            if form.passkey_response.data:
                challenge = session.pop(CONFIRM_CHALLENGE, None)
                method = passkeys.use(account, form.passkey_response.data, challenge=challenge, ceremony=ceremony())
            else:
                method = two_step.verify(account, code=form.code.data, recovery_code=form.recovery_code.data)
        except WrongCodeError as error:
            _note_failure()
            report_error(error, form)
            return _confirm_page(form, account)
        record_second_factor(method)
        db.session.commit()
        return redirect(next_path)
    return _confirm_page(form, account, 400 if request.method == "POST" else 200)


def _confirm_page(form: SecondFactorForm, account: Account, status: int = 200) -> ResponseReturnValue:
    options = passkeys.authentication_options(account, ceremony())
    if options:
        session[CONFIRM_CHALLENGE] = options[1]
    return render_template("mfa/confirm.html", form=form, passkey_options=options[0] if options else None), status


# -- the person's settings ------------------------------------------------------------------
@bp.get("/account/two-step")
@authenticated
def settings() -> ResponseReturnValue:
    account = signed_in_account()
    on = two_step.is_on(account)
    return render_template(
        "mfa/settings.html",
        on=on,
        codes_left=recovery_codes.unused_count(account) if on else 0,
        passkey_count=len(passkeys.passkeys_of(account)) if on else 0,
        browsers=remembered.count(account),
        forget_form=ConfirmForm(),
    )


@bp.route("/account/two-step/set-up", methods=["GET", "POST"])
@authenticated
@code_check_limit
def set_up() -> ResponseReturnValue:
    account = signed_in_account()
    if two_step.is_on(account):
        flash(_("Two-step verification is already on for your account."), "warning")
        return redirect(url_for("mfa.settings"))
    kept = session.get(SETUP_SECRET)
    if totp.is_secret(kept):
        secret = str(kept)
    elif request.method == "POST":
        return redirect(url_for("mfa.set_up"))
    else:
        # Kept until confirmed, so reloading the page shows the key the app has already read.
        secret = session[SETUP_SECRET] = totp.new_secret()
    form = SetUpForm()
    if request.method == "POST" and form.validate():
        try:
            codes = two_step.turn_on(account, secret, form.code.data, actor=account)
        except TwoStepError as error:
            if isinstance(error, WrongCodeError):
                _note_failure()
            report_error(error, form)
        else:
            session.pop(SETUP_SECRET, None)
            record_second_factor(two_step.OTP)  # the code just given proves the app is at hand
            db.session.commit()
            return _show_recovery_codes(codes, first_time=True, next_path=_next())
    uri = totp.provisioning_uri(secret, account, issuer=_issuer_name())
    status = 400 if request.method == "POST" else 200
    return render_template(
        "mfa/set_up.html",
        form=form,
        qr_code=totp.qr_code_data_uri(uri),
        secret=totp.secret_for_reading(secret),
        next_path=_next(),
    ), status


def _issuer_name() -> str:
    return str(current_app.config["SERVICE_NAME"])


def _show_recovery_codes(codes: list[str], *, first_time: bool, next_path: str = "") -> ResponseReturnValue:
    return render_template("mfa/recovery_codes.html", codes=codes, first_time=first_time, next_path=next_path)


@bp.route("/account/two-step/turn-off", methods=["GET", "POST"])
@authenticated
def turn_off() -> ResponseReturnValue:
    account = signed_in_account()
    if not two_step.is_on(account):
        return redirect(url_for("mfa.settings"))
    asked = step_up_first(account, url_for("mfa.turn_off"))
    if asked is not None:
        return asked
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        two_step.turn_off(account, actor=account)
        db.session.commit()
        flash(_("Two-step verification is off. Signing in asks only for your password."), "success")
        response = redirect(url_for("mfa.settings"))
        pending.forget_here(response)
        return response
    status = 400 if request.method == "POST" else 200
    return render_template("mfa/turn_off.html", form=form), status


@bp.route("/account/two-step/recovery-codes", methods=["GET", "POST"])
@authenticated
def new_recovery_codes() -> ResponseReturnValue:
    account = signed_in_account()
    if not two_step.is_on(account):
        return redirect(url_for("mfa.settings"))
    asked = step_up_first(account, url_for("mfa.new_recovery_codes"))
    if asked is not None:
        return asked
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        codes = two_step.regenerate_recovery_codes(account, actor=account)
        db.session.commit()
        return _show_recovery_codes(codes, first_time=False)
    status = 400 if request.method == "POST" else 200
    return render_template("mfa/new_recovery_codes.html", form=form), status


@bp.post("/account/two-step/forget-browsers")
@authenticated
def forget_browsers() -> ResponseReturnValue:
    account = signed_in_account()
    form = ConfirmForm()
    if not form.validate():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("mfa.settings"))
    remembered.forget_all(account, actor=account, reason="asked")
    db.session.commit()
    flash(_("Every browser now asks for the second step again when you sign in."), "success")
    response = redirect(url_for("mfa.settings"))
    pending.forget_here(response)
    return response
