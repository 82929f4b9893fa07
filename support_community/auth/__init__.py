"""Sign-in through Panda, the server-side session, the back-channel logout endpoint."""
from flask import Blueprint, Flask, redirect

from shared.access import public

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.get("/sign-in")
@public
def sign_in():
    return "sign in"


@bp.post("/sign-out")
@public
def sign_out():
    return redirect("/")


def init_auth(app: Flask) -> None:
    app.register_blueprint(bp)
