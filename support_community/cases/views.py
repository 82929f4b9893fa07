from __future__ import annotations

from flask import Blueprint, render_template

from shared.access import public, requires
from support_community.permissions import current_org

bp = Blueprint("cases", __name__)


@bp.get("/")
@public
def home():
    return render_template("cases/home.html")


@bp.get("/orgs/<uuid:org_id>/")
@requires("org.view")
def org_home(org_id):
    """The organization's start page: whom the person is acting for."""
    return render_template("cases/org_home.html", org=current_org())
