from __future__ import annotations

import pytest
from flask import Flask

from shared.access import MissingAccessDeclaration, authenticated, install_access_control, public


def test_an_app_with_a_view_that_declares_no_access_refuses_to_start():
    app = Flask(__name__)

    @app.get("/open")
    @public
    def open_view():
        return "ok"

    @app.get("/forgotten")
    def forgotten():
        return "oops"

    with pytest.raises(MissingAccessDeclaration, match="forgotten"):
        install_access_control(app, is_authenticated=lambda: False, on_anonymous=lambda: ("", 401), can=lambda *_: True)


def test_a_view_cannot_declare_access_twice():
    with pytest.raises(TypeError):

        @public
        @authenticated
        def view():
            return "x"


def test_authenticated_views_send_anonymous_visitors_to_sign_in():
    app = Flask(__name__)

    @app.get("/private")
    @authenticated
    def private():
        return "secret"

    install_access_control(
        app, is_authenticated=lambda: False, on_anonymous=lambda: ("please sign in", 401), can=lambda *_: True
    )
    response = app.test_client().get("/private")
    assert response.status_code == 401
    assert b"secret" not in response.data
