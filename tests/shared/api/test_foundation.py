"""The API foundation on a small app of its own: declared operations, the document, problems, keys, ETags, cursors."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask, jsonify
from flask_babel import Babel
from openapi_spec_validator import validate
from pydantic import BaseModel, Field
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.access import api_scope, install_access_control, public
from shared.api import (
    Answer,
    Api,
    ApiCaller,
    ApiProblem,
    IdempotentRequestMixin,
    InvalidToken,
    TokenCheckUnavailable,
    check_if_match,
    current_caller,
    decode_cursor,
    encode_cursor,
    etag_of,
    json_body,
    next_url,
    operation,
    query_args,
)
from shared.database import NAMING_CONVENTION, Database
from shared.web import install_shared_web


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdempotentRequest(IdempotentRequestMixin, Base):
    __tablename__ = "api_idempotent_requests"


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=20)
    count: int = 1


class NoteOut(BaseModel):
    id: int
    text: str


class Listing(BaseModel):
    limit: int = Field(default=2, ge=1, le=5)
    cursor: str | None = None


TOKENS = {
    "good": ApiCaller(sub="ada", scopes=frozenset({"notes:read", "notes:write"})),
    "reader": ApiCaller(sub="bob", scopes=frozenset({"notes:read"})),
}


def resolve(token: str) -> ApiCaller:
    if token == "down":
        raise TokenCheckUnavailable("issuer away")
    try:
        return TOKENS[token]
    except KeyError:
        raise InvalidToken("unknown token") from None


@pytest.fixture
def app(tmp_path):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", DATABASE_URL=f"sqlite:///{tmp_path / 'api.db'}", MAX_CONTENT_LENGTH=1000)
    db = Database(Base)
    db.init_app(app)
    Babel(app)
    install_shared_web(app)
    api = Api("notes_api", __name__, title="Notes", version="1.0.0")
    counter = itertools.count(1)
    versions = {"note": 1}

    @api.blueprint.get("/notes")
    @api_scope("notes:read")
    @operation(summary="List notes", tags=["notes"], query=Listing, responses={200: NoteOut})
    def list_notes():
        args = query_args(Listing)
        position = decode_cursor(args.cursor) or {"after": 0}
        return jsonify(
            {"after": position["after"], "next": next_url(encode_cursor({"after": position["after"] + args.limit}))}
        )

    @api.blueprint.post("/notes")
    @api_scope("notes:write")
    @operation(summary="Add a note", tags=["notes"], body=NoteIn, responses={201: NoteOut})
    def add_note():
        note = json_body(NoteIn)
        db.session.commit()
        return {"id": next(counter), "text": note.text, "caller": current_caller().sub}, 201

    @api.blueprint.patch("/notes/<int:note_id>")
    @api_scope("notes:write")
    @operation(summary="Change a note", body=NoteIn, if_match=True, responses={200: NoteOut})
    def change_note(note_id: int):
        check_if_match(etag_of("note", versions["note"]))
        json_body(NoteIn)
        versions["note"] += 1
        response = jsonify({"id": note_id, "text": "x"})
        response.headers["ETag"] = etag_of("note", versions["note"])
        return response

    @api.blueprint.get("/boom")
    @public
    @operation(summary="Fails", responses={200: Answer(schema={"type": "string"}, content_type="text/plain")})
    def boom():
        raise RuntimeError("unexpected")

    @app.get("/page")
    @public
    def page():
        return "a page"

    api.init_app(app, db=db, resolver=resolve, idempotency_model=IdempotentRequest)
    install_access_control(app, is_authenticated=lambda: False, on_anonymous=lambda: ("", 401), can=lambda *_: True)
    with app.app_context():
        db.create_all()
    app.extensions["test_api"] = api
    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_document_is_valid_openapi_3_1_and_declares_every_status(app):
    with app.app_context():
        document = app.extensions["test_api"].document()
    validate(document)
    assert document["openapi"] == "3.1.0"
    post = document["paths"]["/notes"]["post"]
    assert {"201", "400", "401", "403", "409", "413", "415", "422", "429", "500"} <= set(post["responses"])
    assert post["security"] == [{"bearer": ["notes:write"]}]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
    assert {"412", "404"} <= set(document["paths"]["/notes/{note_id}"]["patch"]["responses"])
    assert [p["name"] for p in document["paths"]["/notes"]["get"]["parameters"]] == ["limit", "cursor"]
    assert "Problem" in document["components"]["schemas"]


def test_the_document_and_reference_page_are_served(app):
    client = app.test_client()
    assert client.get("/api/v1/openapi.json").json["info"]["title"] == "Notes"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"POST /api/v1/notes" in page.data and b"<script" not in page.data


def test_no_token_is_a_401_problem_with_a_bearer_challenge(app):
    response = app.test_client().get("/api/v1/notes")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="')
    assert response.json["status"] == 401


def test_an_unknown_token_is_401_invalid_token_and_a_token_service_down_is_503(app):
    client = app.test_client()
    response = client.get("/api/v1/notes", headers=bearer("forged"))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    response = client.get("/api/v1/notes", headers=bearer("down"))
    assert response.status_code == 503 and response.mimetype == "application/problem+json"


def test_a_missing_scope_is_403_insufficient_scope(app):
    response = app.test_client().post("/api/v1/notes", json={"text": "hi"}, headers=bearer("reader"))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_a_session_cookie_is_no_authentication(app):
    client = app.test_client()
    client.set_cookie("session", "anything")
    assert client.get("/api/v1/notes").status_code == 401


def test_errors_outside_views_are_problems_too(app):
    client = app.test_client()
    for response, status in [
        (client.get("/api/v1/nothing-here"), 404),
        (client.get("/api/elsewhere"), 404),
        (client.delete("/api/v1/notes", headers=bearer("good")), 405),
        (client.post("/api/v1/notes", data="x" * 2000, headers=bearer("good"), content_type="application/json"), 413),
    ]:
        assert response.status_code == status
        assert response.mimetype == "application/problem+json", status
        assert response.json["status"] == status
    assert "GET" in client.delete("/api/v1/notes", headers=bearer("good")).headers["Allow"]
    assert client.get("/page").mimetype == "text/html"


def test_an_unexpected_error_is_a_500_problem_not_a_page(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500 and response.mimetype == "application/problem+json"


def test_malformed_json_wrong_types_and_wrong_media_types_name_what_is_wrong(app):
    client = app.test_client()
    post = lambda **kw: client.post("/api/v1/notes", headers=bearer("good"), **kw)  # noqa: E731
    assert post(data="{not json", content_type="application/json").status_code == 400
    assert post(data="text=hi").status_code == 415
    response = post(json={"text": "", "count": "many"})
    assert response.status_code == 422
    assert {item["field"] for item in response.json["errors"]} == {"text", "count"}


def test_the_same_idempotency_key_answers_the_first_response_and_refuses_another_body(app):
    client = app.test_client()
    headers = {**bearer("good"), "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/notes", json={"text": "hi"}, headers=headers)
    again = client.post("/api/v1/notes", json={"text": "hi"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/notes", json={"text": "bye"}, headers=headers)
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    # keys are per caller, and failures are not kept
    assert client.post("/api/v1/notes", json={"text": "hi"}, headers=bearer("good")).json["id"] != first.json["id"]
    bad = {**bearer("good"), "Idempotency-Key": "k-2"}
    assert client.post("/api/v1/notes", json={"text": ""}, headers=bad).status_code == 422
    assert client.post("/api/v1/notes", json={"text": "ok"}, headers=bad).status_code == 201


def test_if_match_refuses_a_change_made_from_an_old_copy(app):
    client = app.test_client()
    with app.test_request_context():
        current = etag_of("note", 1)
    first = client.patch("/api/v1/notes/1", json={"text": "a"}, headers={**bearer("good"), "If-Match": current})
    assert first.status_code == 200
    stale = client.patch("/api/v1/notes/1", json={"text": "b"}, headers={**bearer("good"), "If-Match": current})
    assert stale.status_code == 412 and stale.headers["ETag"] == first.headers["ETag"]
    assert (
        client.patch("/api/v1/notes/1", json={"text": "c"}, headers={**bearer("good"), "If-Match": "*"}).status_code
        == 200
    )


def test_cursors_go_on_and_a_made_up_cursor_is_refused(app):
    client = app.test_client()
    first = client.get("/api/v1/notes?limit=2", headers=bearer("good")).json
    assert first["after"] == 0
    second = client.get(first["next"].replace("http://localhost", ""), headers=bearer("good")).json
    assert second["after"] == 2
    refused = client.get("/api/v1/notes?cursor=abc", headers=bearer("good"))
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "cursor"
    assert client.get("/api/v1/notes?limit=9", headers=bearer("good")).json["errors"][0]["field"] == "limit"


def test_an_api_problem_raised_by_a_view_keeps_its_headers():
    error = ApiProblem(412, "changed", headers={"ETag": '"x"'})
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        response = error.response()
    assert response.status_code == 412 and response.headers["ETag"] == '"x"'


def test_an_idempotency_key_is_kept_for_a_day(app):
    import datetime as dt

    from sqlalchemy import update

    from shared.database import utcnow

    client = app.test_client()
    headers = {**bearer("good"), "Idempotency-Key": "daily"}
    first = client.post("/api/v1/notes", json={"text": "hi"}, headers=headers)
    db = app.extensions["shared.api.idempotency"][0]
    with app.app_context():
        db.session.execute(update(IdempotentRequest).values(created_at=utcnow() - dt.timedelta(hours=25)))
        db.session.commit()
    later = client.post("/api/v1/notes", json={"text": "other"}, headers=headers)
    assert later.status_code == 201 and later.json["id"] != first.json["id"]


def test_an_api_view_opened_by_a_session_cookie_refuses_to_start():
    from shared.access import MissingAccessDeclaration, requires

    app = Flask(__name__)

    @app.get("/api/v1/secret")
    @requires("secret.read")
    def secret():
        return "x"

    with pytest.raises(MissingAccessDeclaration, match="/api/v1/secret"):
        install_access_control(app, is_authenticated=lambda: True, on_anonymous=lambda: ("", 401), can=lambda *_: True)
