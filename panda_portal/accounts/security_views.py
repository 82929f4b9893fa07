"""The person's signed-in browsers, change of e-mail address, data download and account deletion.

Routes of the ``accounts`` blueprint (``accounts.views.bp``). A change of address, the
download of the person's data and a deletion are confirmed with a recent second factor
(``mfa.step_up``) by people who have two-step verification, and with the password by everyone else.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.models import Account
from panda_portal.accounts.security_forms import (
    ChangeEmailForm,
    DeleteAccountForm,
    DownloadForm,
    LinkForm,
    SignOutOthersForm,
    SignOutSessionForm,
)
from panda_portal.accounts.services import email_change as email_change_service
from panda_portal.accounts.services import personal_data as personal_data_service
from panda_portal.accounts.services import sessions as sessions_service
from panda_portal.accounts.services.errors import AccountError, InvalidLinkError, WrongPasswordError
from panda_portal.accounts.services.hashing import password_matches
from panda_portal.accounts.session import sign_out as end_session
from panda_portal.accounts.session import signed_in_account
from panda_portal.accounts.views import (
    _fresh_session_id,
    _note_failure,
    bp,
    mail_limit_per_address,
    password_check_limit,
)
from panda_portal.extensions import db
from panda_portal.mfa.services import two_step
from panda_portal.mfa.step_up import step_up_first
from shared.access import authenticated, public
from shared.errors import report_error
from shared.i18n import current_language


def _current_token() -> str | None:
    return getattr(session, "token", None)


def _confirm_identity(account: Account, form: ChangeEmailForm | DeleteAccountForm | DownloadForm) -> bool:
    """People without two-step verification type their password (the others gave a recent second factor)."""
    if two_step.is_on(account):
        return True
    if password_matches(account.password_hash, form.password.data or ""):
        return True
    _note_failure()
    report_error(WrongPasswordError(_("Your password is not correct."), field="password"), form)
    return False


# -- sessions --------------------------------------------------------------------------------------
@bp.get("/account/sessions")
@authenticated
def sessions() -> ResponseReturnValue:
    account = signed_in_account()
    browsers = sessions_service.signed_in_browsers(account, current_token=_current_token(), language=current_language())
    return render_template(
        "accounts/sessions.html",
        browsers=browsers,
        form=SignOutSessionForm(formdata=None),
        others_form=SignOutOthersForm(formdata=None),
    )


@bp.post("/account/sessions/sign-out")
@authenticated
def sign_out_session() -> ResponseReturnValue:
    account = signed_in_account()
    form = SignOutSessionForm()
    if not form.validate():
        flash(_("This session has already ended."), "error")
        return redirect(url_for("accounts.sessions"))
    try:
        sessions_service.sign_out_session(account, form.session.data, current_token=_current_token(), actor=account)
    except AccountError as error:
        db.session.rollback()
        report_error(error)
    else:
        db.session.commit()
        flash(_("That session is signed out."), "success")
    return redirect(url_for("accounts.sessions"))


@bp.post("/account/sessions/sign-out-others")
@authenticated
def sign_out_other_sessions() -> ResponseReturnValue:
    account = signed_in_account()
    form = SignOutOthersForm()
    if form.validate():
        ended = sessions_service.sign_out_other_sessions(account, current_token=_current_token(), actor=account)
        db.session.commit()
        if ended:
            flash(_("Every other session is signed out."), "success")
        else:
            flash(_("You were not signed in anywhere else."), "success")
    return redirect(url_for("accounts.sessions"))


# -- change of e-mail address -----------------------------------------------------------------------
@bp.route("/account/email", methods=["GET", "POST"])
@authenticated
@password_check_limit
@mail_limit_per_address
def change_email() -> ResponseReturnValue:
    account = signed_in_account()
    asked = step_up_first(account, url_for("accounts.change_email"))
    if asked is not None:
        return asked
    form = ChangeEmailForm()
    ask_password = not two_step.is_on(account)
    if request.method == "POST" and form.validate() and _confirm_identity(account, form):
        try:
            email_change_service.request_change(account, form.email.data, actor=account)
        except AccountError as error:
            report_error(error, form)
        else:
            db.session.commit()
            return render_template("accounts/email_change_sent.html", email=form.email.data.strip().lower())
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/change_email.html", form=form, account=account, ask_password=ask_password), status


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email_change(token: str) -> ResponseReturnValue:
    form = LinkForm()
    try:
        if request.method == "GET" or not form.validate():
            change = email_change_service.check_confirmation(token)
            return render_template("accounts/confirm_email_change.html", form=form, change=change)
        email_change_service.confirm_change(token)
    except InvalidLinkError as error:
        db.session.rollback()
        return render_template("accounts/email_link_invalid.html", error=error), (
            404 if error.reason == InvalidLinkError.UNKNOWN else 410
        )
    except AccountError as error:
        db.session.rollback()
        report_error(error)
        return redirect(url_for("accounts.profile"))
    db.session.commit()
    flash(_("Your new e-mail address is confirmed."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/account/email/undo/<token>", methods=["GET", "POST"])
@public
def undo_email_change(token: str) -> ResponseReturnValue:
    form = LinkForm()
    try:
        if request.method == "GET" or not form.validate():
            change = email_change_service.check_undo(token)
            return render_template("accounts/undo_email_change.html", form=form, change=change)
        account = email_change_service.undo_change(token)
    except InvalidLinkError as error:
        db.session.rollback()
        return render_template("accounts/email_link_invalid.html", error=error), (
            404 if error.reason == InvalidLinkError.UNKNOWN else 410
        )
    except AccountError as error:
        db.session.rollback()
        return render_template("accounts/email_link_invalid.html", error=error), 409
    if session.get("account_id") == str(account.id):
        end_session()  # this browser's session ended with the others
        _fresh_session_id()
    db.session.commit()
    return render_template("accounts/email_change_undone.html", email=account.email)


# -- your data -----------------------------------------------------------------------------------
@bp.route("/account/data", methods=["GET", "POST"])
@authenticated
@password_check_limit
def personal_data() -> ResponseReturnValue:
    account = signed_in_account()
    asked = step_up_first(account, url_for("accounts.personal_data"))
    if asked is not None:
        return asked
    form = DownloadForm()
    if request.method == "POST" and form.validate() and _confirm_identity(account, form):
        archive = personal_data_service.export_archive(account, actor=account)
        db.session.commit()
        response = Response(archive, mimetype="application/zip")
        response.headers["Content-Disposition"] = 'attachment; filename="panda-personal-data.zip"'
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template(
        "accounts/personal_data.html",
        form=form,
        account=account,
        ask_password=not two_step.is_on(account),
        last_administrator_of=personal_data_service.last_administrator_of(account),
    ), 400 if request.method == "POST" else 200


@bp.route("/account/delete", methods=["GET", "POST"])
@authenticated
@password_check_limit
def delete_account() -> ResponseReturnValue:
    account = signed_in_account()
    asked = step_up_first(account, url_for("accounts.delete_account"))
    if asked is not None:
        return asked
    form = DeleteAccountForm()
    blocking = personal_data_service.last_administrator_of(account)
    if request.method == "POST" and form.validate() and _confirm_identity(account, form):
        try:
            personal_data_service.delete_account(account, actor=account)
        except personal_data_service.LastAdministratorError as error:
            db.session.rollback()
            blocking = error.organizations
            report_error(error)
        else:
            end_session()
            _fresh_session_id()
            db.session.commit()
            return render_template("accounts/account_deleted.html")
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accounts/delete_account.html",
        form=form,
        blocking=blocking,
        ask_password=not two_step.is_on(account),
    ), status
