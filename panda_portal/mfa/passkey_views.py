"""The person's passkeys over HTTP: list, add (with the browser's WebAuthn), rename, remove.

Each is a change of the second factor, so each asks for a recent second factor first
(``step_up``). The ceremony needs JavaScript (``static/passkeys.js``); the rest of the
two-step pages do not.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from panda_portal.accounts.models import Account
from panda_portal.accounts.session import signed_in_account
from panda_portal.extensions import db
from panda_portal.mfa.errors import TwoStepError
from panda_portal.mfa.forms import AddPasskeyForm, ConfirmForm, RenamePasskeyForm
from panda_portal.mfa.services import passkeys, two_step
from panda_portal.mfa.step_up import step_up_first
from panda_portal.mfa.views import bp, ceremony
from shared.access import authenticated
from shared.errors import report_error

# The challenge of the registration ceremony on the passkeys page, used once.
REGISTER_CHALLENGE = "mfa_passkey_register_challenge"


def _refusal(account: Account) -> ResponseReturnValue | None:
    """Where to go instead: the settings (two-step verification off), or the step-up page."""
    if not two_step.is_on(account):
        return redirect(url_for("mfa.settings"))
    return step_up_first(account, url_for("mfa.passkeys_page"))


@bp.route("/account/two-step/passkeys", methods=["GET", "POST"])
@authenticated
def passkeys_page() -> ResponseReturnValue:
    account = signed_in_account()
    refused = _refusal(account)
    if refused is not None:
        return refused
    form = AddPasskeyForm()
    if request.method == "POST" and form.validate():
        challenge = session.pop(REGISTER_CHALLENGE, None)
        try:
            if not challenge:
                raise TwoStepError(_("The passkey could not be checked. Please try again."), field="passkey_response")
            passkey = passkeys.add(
                account,
                name=form.name.data,
                response=form.passkey_response.data,
                challenge=challenge,
                ceremony=ceremony(),
                actor=account,
            )
        except TwoStepError as error:
            report_error(error, form)
        else:
            db.session.commit()
            flash(_("The passkey %(name)s is added.", name=passkey.name), "success")
            return redirect(url_for("mfa.passkeys_page"))
    options, challenge = passkeys.registration_options(account, ceremony())
    session[REGISTER_CHALLENGE] = challenge
    status = 400 if request.method == "POST" else 200
    return render_template(
        "mfa/passkeys.html",
        form=form,
        passkeys=passkeys.passkeys_of(account),
        rename_form=RenamePasskeyForm(formdata=None),
        remove_form=ConfirmForm(formdata=None),
        registration_options=options,
    ), status


@bp.post("/account/two-step/passkeys/<passkey_id>/rename")
@authenticated
def rename_passkey(passkey_id: str) -> ResponseReturnValue:
    account = signed_in_account()
    refused = _refusal(account)
    if refused is not None:
        return refused
    form = RenamePasskeyForm()
    if not form.validate():
        flash(_("Give the passkey a name you will recognise."), "error")
        return redirect(url_for("mfa.passkeys_page"))
    try:
        passkeys.rename(account, passkey_id, form.name.data, actor=account)
    except TwoStepError as error:
        report_error(error)
    else:
        db.session.commit()
        flash(_("The passkey is renamed."), "success")
    return redirect(url_for("mfa.passkeys_page"))


@bp.post("/account/two-step/passkeys/<passkey_id>/remove")
@authenticated
def remove_passkey(passkey_id: str) -> ResponseReturnValue:
    account = signed_in_account()
    refused = _refusal(account)
    if refused is not None:
        return refused
    form = ConfirmForm()
    if not form.validate():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("mfa.passkeys_page"))
    try:
        passkeys.remove(account, passkey_id, actor=account)
    except TwoStepError as error:
        report_error(error)
    else:
        db.session.commit()
        flash(_("The passkey is removed."), "success")
    return redirect(url_for("mfa.passkeys_page"))
