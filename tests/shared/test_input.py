"""Control characters are refused in one place, for both services, before any view runs."""

from __future__ import annotations

import pytest

from shared.input import has_control_characters
from shared.web import safe_next

SERVICES = ["panda", "community"]


@pytest.fixture(params=SERVICES)
def client(request):
    app = request.getfixturevalue(request.param)
    client = app.test_client()
    client.csrf_page = "/sign-in" if request.param == "panda" else "/"
    return client


@pytest.mark.parametrize("path", ["/%00", "/orgs%01", "/a%1b%5b2J"])
def test_a_path_with_control_characters_gets_400(client, path):
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("value", ["a%00b", "%1b[31mred", "%7f", "%c2%9b"])
def test_a_query_value_or_name_with_control_characters_gets_400(client, value):
    assert client.get(f"/?q={value}").status_code == 400
    assert client.get(f"/?{value}=1").status_code == 400


def test_a_form_value_with_a_nul_byte_gets_400_even_with_a_valid_csrf_token(client):
    assert client.post_form("/language", {"language": "nl\x00", "next": "/"}).status_code == 400


def test_line_breaks_and_tabs_in_a_form_are_text_not_an_attack(client):
    response = client.post_form("/language", {"language": "nl", "next": "/\r\n\tX-Injected: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers


def test_a_header_with_control_characters_gets_400(client):
    assert client.get("/", headers={"X-Note": "a\x00b"}).status_code == 400
    assert client.get("/", headers={"Accept-Language": "nl\x1b"}).status_code == 400


def test_an_upload_whose_file_name_holds_control_characters_gets_400(client):
    from io import BytesIO

    response = client.post_form(
        "/language", {"language": "nl", "file": (BytesIO(b"x"), "a\x00.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400


def test_a_next_value_with_a_line_break_is_ignored_when_signing_in(panda_client):
    response = panda_client.get("/sign-in?next=/orgs%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 200


@pytest.mark.parametrize("target", ["/orgs\r\nSet-Cookie: x=1", "/\x00", "/a\tb", "/\x85"])
def test_safe_next_refuses_control_characters(target):
    assert safe_next(target, "/fallback") == "/fallback"


def test_safe_next_keeps_an_ordinary_path():
    assert safe_next("/orgs/5?tab=members", "/") == "/orgs/5?tab=members"


@pytest.mark.parametrize(
    "text, refused",
    [
        ("Jan Janssens", False),
        ("line\r\nbreak\ttab", False),
        ("\x00", True),
        ("\x1b[2J", True),
        ("\x7f", True),
        ("\x9b", True),
    ],
)
def test_has_control_characters(text, refused):
    assert has_control_characters(text) is refused


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_refuse_malformed_input_and_wrong_methods_without_a_session(client, path):
    assert client.get(f"{path}?q=%00").status_code == 400
    assert client.post(path).status_code == 405
