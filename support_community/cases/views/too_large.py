"""A request too large for any form: a page that says so, with the way back to the form."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from support_community.auth.session import current_user
from support_community.cases.views import bp
from support_community.cases.views.context import upload_limits


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Files over the request limit: a page that says so, with the way back to the form."""
    user = current_user()
    back = url_for("cases.home")
    if user is not None and user.organization((request.view_args or {}).get("org_id")) is not None:
        # The form's page: the case for a reply or files, the form itself for a new case.
        back = (
            request.path.rsplit("/", 1)[0]
            if request.path.endswith(("/reply", "/attachments", "/close"))
            else request.path
        )
    return render_template("cases/too_large.html", limits=upload_limits(), back=back), 413
