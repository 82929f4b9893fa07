from __future__ import annotations

from flask import Blueprint, render_template

from shared.access import public

bp = Blueprint("cases", __name__)


@bp.get("/")
@public
def home():
    return render_template("cases/home.html")
