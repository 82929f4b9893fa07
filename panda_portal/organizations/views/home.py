from __future__ import annotations

from flask import render_template

from panda_portal.organizations.views import bp
from shared.access import authenticated


@bp.get("/")
@authenticated
def home():
    return render_template("organizations/home.html")
