"""Mail preferences: whether someone hears about cases they only follow (on a blueprint of their own)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import authenticated
from support_community.cases.forms.preferences import MailPreferencesForm
from support_community.cases.services.preferences import set_followed_case_mails
from support_community.cases.views.context import acting_person
from support_community.extensions import db

bp = Blueprint("preferences", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@authenticated
def notifications_page() -> ResponseReturnValue:
    person = acting_person()
    form = MailPreferencesForm(data={"notify_followed": person.notify_followed})
    if form.validate_on_submit():
        changed = set_followed_case_mails(person, bool(form.notify_followed.data))
        db.session.commit()
        flash(_("Your mail preferences are saved.") if changed else _("Nothing was changed."), "success")
        return redirect(url_for(".notifications_page"))
    status = 400 if form.is_submitted() else 200
    db.session.commit()
    return render_template("preferences/notifications.html", form=form), status
