"""Mail preferences: whether someone hears about cases they only follow."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from shared.access import authenticated
from support_community.auth.session import current_user
from support_community.cases import notifications
from support_community.cases.services.people import person_for
from support_community.extensions import db

bp = Blueprint("preferences", __name__)


class MailPreferencesForm(FlaskForm):
    notify_followed = BooleanField(_l("Send me mails about cases I follow"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@authenticated
def notifications_page():
    person = person_for(current_user())
    form = MailPreferencesForm(data={"notify_followed": person.notify_followed})
    if form.validate_on_submit():
        changed = notifications.set_followed_case_mails(person, bool(form.notify_followed.data))
        db.session.commit()
        flash(_("Your mail preferences are saved.") if changed else _("Nothing was changed."), "success")
        return redirect(url_for(".notifications_page"))
    status = 400 if form.is_submitted() else 200
    db.session.commit()
    return render_template("preferences/notifications.html", form=form), status
