from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from panda_portal.accounts.session import sign_out as end_session
from shared.access import authenticated, public

bp = Blueprint("accounts", __name__)


@bp.get("/sign-in")
@public
def sign_in():
    return render_template("accounts/sign_in.html")


@bp.get("/register")
@public
def register():
    return "register"


@bp.get("/account")
@authenticated
def profile():
    return "profile"


@bp.post("/sign-out")
@public
def sign_out():
    end_session()
    return redirect(url_for("accounts.sign_in"))
