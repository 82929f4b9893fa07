"""The operation registry and the OpenAPI 3.1 document built from it.

``@operation(...)`` declares what a view accepts and answers; ``build_document``
walks the app's URL map and writes one OpenAPI 3.1 document from those declarations,
with the schemas of the pydantic models (JSON Schema 2020-12, which OpenAPI 3.1 uses
as is). Statuses every API operation can answer (401, 403, 429, 500, ...) are added
from what the operation declares (a body, path parameters, ``If-Match``, a POST).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, request
from flask_babel import gettext as _
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

from shared.access import access_rule
from shared.api.problems import PROBLEM_TYPE, ApiProblem, Problem

OPERATION_ATTRIBUTE = "_api_operation"
JSON = "application/json"
REF_TEMPLATE = "#/components/schemas/{model}"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Answer:
    """One response of an operation: a model (or a raw schema, or nothing) in a content type."""

    model: type[BaseModel] | None = None
    content_type: str = JSON
    description: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # header name -> description
    schema: Mapping[str, Any] | None = None  # for bodies that are not a model (a file download)


@dataclass(frozen=True)
class Operation:
    summary: str
    tags: tuple[str, ...]
    responses: Mapping[int, Answer]
    body: type[BaseModel] | None = None
    body_content_type: str = JSON
    query: type[BaseModel] | None = None
    description: str = ""
    if_match: bool = False
    operation_id: str | None = None


def operation(
    *,
    summary: str,
    tags: Sequence[str] = (),
    responses: Mapping[int, Answer | type[BaseModel] | None],
    body: type[BaseModel] | None = None,
    body_content_type: str = JSON,
    query: type[BaseModel] | None = None,
    description: str = "",
    if_match: bool = False,
    operation_id: str | None = None,
) -> Callable[[Callable], Callable]:
    """Declare an API view for the OpenAPI document (and Idempotency-Key handling for POST).

    ``responses`` maps each success status to an ``Answer`` (or just a model, answered
    as JSON; None for an empty body). ``body`` is the request's model (JSON, or
    ``multipart/form-data`` with ``body_content_type``); ``query`` the model of its query
    parameters. ``if_match`` says the operation honours ``If-Match`` (412 on mismatch).
    """
    answers = {
        status: answer if isinstance(answer, Answer) else Answer(model=answer, content_type=JSON if answer else "")
        for status, answer in responses.items()
    }
    declared = Operation(
        summary=summary,
        tags=tuple(tags),
        responses=answers,
        body=body,
        body_content_type=body_content_type,
        query=query,
        description=description,
        if_match=if_match,
        operation_id=operation_id,
    )

    def decorator(view: Callable) -> Callable:
        from shared.api.idempotency import replay_or_run

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST":
                return replay_or_run(lambda: view(*args, **kwargs))
            return view(*args, **kwargs)

        setattr(wrapper, OPERATION_ATTRIBUTE, declared)
        return wrapper

    return decorator


def declared_operation(view: Callable | None) -> Operation | None:
    return getattr(view, OPERATION_ATTRIBUTE, None) if view is not None else None


# -- reading the request ----------------------------------------------------------------------------
def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    errors = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "__root__")
        errors.append({"field": location or "(body)", "message": str(item.get("msg", ""))})
    return errors


def json_body(model: type[M]) -> M:
    """The request's JSON body as ``model``: 415 when not JSON, 400 when malformed, 422 naming each wrong field."""
    if not request.is_json:
        raise ApiProblem(415, _("Send the body as application/json."))
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, _("The body is not valid JSON."))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiProblem(422, _("Some fields are not valid."), errors=_field_errors(exc)) from exc


def form_body(model: type[M]) -> M:
    """A ``multipart/form-data`` body's text fields as ``model`` (files are read by the view)."""
    if request.mimetype != "multipart/form-data":
        raise ApiProblem(415, _("Send the body as multipart/form-data."))
    try:
        return model.model_validate(request.form.to_dict())
    except ValidationError as exc:
        raise ApiProblem(422, _("Some fields are not valid."), errors=_field_errors(exc)) from exc


def query_args(model: type[M]) -> M:
    """The query parameters as ``model`` (repeated parameters as lists where the model has a list): 422 naming each."""
    data: dict[str, Any] = {}
    for name in model.model_fields:
        values = request.args.getlist(name)
        if not values:
            continue
        annotation = str(model.model_fields[name].annotation)
        data[name] = values if "list" in annotation else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiProblem(422, _("Some query parameters are not valid."), errors=_field_errors(exc)) from exc


# -- the document -----------------------------------------------------------------------------------
_CONVERTER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_PARAMETER_SCHEMAS = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer"},
    # No control characters: the input guard refuses them in the path (``shared.input``).
    "string": {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
    "path": {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
    None: {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
}


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """A Flask rule as an OpenAPI path template and its path parameters."""
    parameters = []
    for match in _CONVERTER.finditer(rule):
        parameters.append(
            {
                "name": match["name"],
                "in": "path",
                "required": True,
                "schema": dict(_PARAMETER_SCHEMAS.get(match["converter"], {"type": "string"})),
            }
        )
    return _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule), parameters


# What ``shared.input`` lets through in a query or form value: no control characters but tab, CR and LF.
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _without_control_characters(schema: dict[str, Any]) -> dict[str, Any]:
    """A string parameter's schema saying what the input guard refuses (unless it is narrower already)."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        return {**schema, "pattern": NO_CONTROL_CHARACTERS}
    if "anyOf" in schema:
        return {**schema, "anyOf": [_without_control_characters(item) for item in schema["anyOf"]]}
    return schema


def is_problem_answer(answer: Mapping[str, Any]) -> bool:
    """A response of the document that is this API's problem document and nothing else (see ``_problem``)."""
    content = answer.get("content") or {}
    return list(content) == [PROBLEM_TYPE] and content[PROBLEM_TYPE].get("schema") == {
        "$ref": REF_TEMPLATE.format(model="Problem")
    }


def _problem(description: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_TYPE: {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }
    if headers:
        answer["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
        }
    return answer


RATE_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the current window.",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the window starts again.",
}


def _error_answers(op: Operation, *, path_parameters: bool, method: str, secured: bool) -> dict[str, Any]:
    # Any request may be malformed (the input guard refuses control characters in the path, the headers,
    # the query and form fields: ``shared.input``), so every operation may answer 400.
    errors: dict[str, Any] = {"400": _problem("The request or its body is malformed.")}
    if op.body is not None or op.query is not None or method in {"POST", "PUT", "PATCH"}:
        errors["422"] = _problem("A field or query parameter is not valid; `errors` names each.")
    if op.body is not None:
        errors["413"] = _problem("The body is too large.")
        errors["415"] = _problem("The body is not in the declared content type.")
    if secured:
        errors["401"] = _problem(
            "No bearer token, or it is invalid, expired or revoked.",
            {"WWW-Authenticate": "The Bearer challenge (RFC 6750) with the error."},
        )
        errors["403"] = _problem("The token lacks a scope, or the caller may not do this.")
        errors["503"] = _problem(
            "The token cannot be checked now (its issuer is unreachable), or the database is away.",
            {"Retry-After": "Seconds to wait."},
        )
    if path_parameters:
        errors["404"] = _problem("Nothing here, or it belongs to an organization the caller may not act for.")
    if method == "POST":
        errors["409"] = _problem("A request with the same Idempotency-Key is still being handled.")
        errors.setdefault("422", _problem("A field is not valid, or the Idempotency-Key was used with another body."))
    if op.if_match:
        errors["412"] = _problem("If-Match does not match the resource's current ETag.")
    errors["429"] = _problem("Too many requests with this token.", {"Retry-After": "Seconds to wait.", **RATE_HEADERS})
    errors["500"] = _problem("An unexpected error.")
    return errors


def _schema_ref(model: type[BaseModel], names: dict[tuple[type[BaseModel], str], dict[str, Any]], mode: str) -> dict:
    return names[(model, mode)]


def build_document(
    app: Flask, *, prefix: str, title: str, version: str, description: str = "", security_scheme: str = "bearer"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation under ``prefix``."""
    found: list[tuple[str, str, Operation, tuple[str, ...], str]] = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        view = app.view_functions.get(rule.endpoint)
        op = declared_operation(view)
        if op is None:
            continue
        access = access_rule(view) if view else None
        scopes = access.scopes if access is not None and access.kind == "api_scope" else ()
        secured = access is not None and access.kind == "api_scope"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, op, scopes if secured else ("-public-",), rule.endpoint))

    models: set[tuple[type[BaseModel], str]] = {(Problem, "serialization")}
    for _rule, _method, op, _scopes, _endpoint in found:
        if op.body is not None:
            models.add((op.body, "validation"))
        for answer in op.responses.values():
            if answer.model is not None:
                models.add((answer.model, "serialization"))
    ordered = sorted(models, key=lambda item: (item[0].__name__, item[1]))
    refs, definitions = models_json_schema(
        [(model, mode) for model, mode in ordered],  # type: ignore[misc]
        ref_template=REF_TEMPLATE,
    )
    schemas = dict(definitions.get("$defs", {}))

    paths: dict[str, dict[str, Any]] = {}
    for rule_text, method, op, scopes, endpoint in found:
        path, parameters = openapi_path(rule_text[len(prefix) :] or "/")
        secured = scopes != ("-public-",)
        if op.query is not None:
            query_schema = op.query.model_json_schema(ref_template=REF_TEMPLATE)
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
                explained = prop.pop("description", None)
                if explained:
                    parameter["description"] = explained
                parameter["schema"] = _without_control_characters(prop)
                if prop.get("type") == "array":
                    parameter["style"], parameter["explode"] = "form", True
                parameters.append(parameter)
        if op.if_match:
            parameters.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": False,
                    "description": "The ETag last read; 412 when the resource changed since.",
                    "schema": {"type": "string"},
                }
            )
        if method == "POST":
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Repeat a POST safely: the same key with the same body answers the stored "
                    "response for 24 hours; with another body 422.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                }
            )
        responses: dict[str, Any] = {}
        for status, answer in sorted(op.responses.items()):
            entry: dict[str, Any] = {"description": answer.description or _default_description(status)}
            if answer.model is not None or answer.schema is not None:
                schema = dict(answer.schema) if answer.schema is not None else refs[(answer.model, "serialization")]  # type: ignore[index]
                entry["content"] = {answer.content_type: {"schema": schema}}
            headers = dict(answer.headers)
            if status < 300:
                headers.update(RATE_HEADERS)
            if headers:
                entry["headers"] = {
                    name: {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
                }
            responses[str(status)] = entry
        for error_status, error_entry in _error_answers(
            op, path_parameters=bool(_CONVERTER.search(rule_text)), method=method, secured=secured
        ).items():
            responses.setdefault(error_status, error_entry)
        document_operation: dict[str, Any] = {
            "operationId": op.operation_id or f"{endpoint.split('.')[-1]}_{method.lower()}",
            "summary": op.summary,
            "tags": list(op.tags),
            "responses": dict(sorted(responses.items())),
        }
        if op.description:
            document_operation["description"] = op.description
        if parameters:
            document_operation["parameters"] = parameters
        if op.body is not None:
            document_operation["requestBody"] = {
                "required": True,
                "content": {op.body_content_type: {"schema": refs[(op.body, "validation")]}},
            }
        document_operation["security"] = [{security_scheme: list(scopes)}] if secured else []
        paths.setdefault(path, {})[method.lower()] = document_operation

    # One operationId per method and path even when the same view serves several methods.
    seen: set[str] = set()
    for methods in paths.values():
        for method, document_operation in methods.items():
            if document_operation["operationId"] in seen:
                document_operation["operationId"] += "_" + method
            seen.add(document_operation["operationId"])

    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {"title": title, "version": version, **({"description": description} if description else {})},
        "servers": [{"url": prefix}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                security_scheme: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from Panda (JWT) or a personal access token; "
                    "the required scopes are listed per operation.",
                }
            },
        },
    }


def _default_description(status: int) -> str:
    return {200: "OK", 201: "Created", 204: "No content", 304: "Not modified"}.get(status, "Answer")


def adapter_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of any type (for a body that is not a model)."""
    return TypeAdapter(annotation).json_schema(ref_template=REF_TEMPLATE)
