from __future__ import annotations

from flask import Blueprint, render_template

from shared.access import authenticated

bp = Blueprint("organizations", __name__)


@bp.get("/")
@authenticated
def home():
    return render_template("organizations/home.html")
