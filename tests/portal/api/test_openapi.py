"""Panda's OpenAPI 3.1 document: valid, generated from the code, naming every route and what it can answer."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

PREFIX = "/api/v1"


def _document(panda_client):
    response = panda_client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def test_the_document_is_valid_openapi_3_1(panda_client):
    document = _document(panda_client)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_api_route_and_method_is_in_the_document(panda, panda_client):
    paths = _document(panda_client)["paths"]
    for rule in panda.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX) :])
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path}"


def test_every_operation_declares_its_scopes_and_its_errors_as_problems(panda_client):
    document = _document(panda_client)
    for path, methods in document["paths"].items():
        if path in ("/openapi.json", "/docs"):
            continue
        for method, operation in methods.items():
            assert operation["security"], f"{method} {path}"
            for status in ("401", "403", "429", "500"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], f"{method} {path} {status}"
    admin = document["paths"]["/orgs/{org_id}/members/{membership_id}"]
    assert admin["patch"]["security"] == [{"bearer": ["orgs:admin"]}]
    assert {"404", "412", "422"} <= set(admin["patch"]["responses"])
    assert "Idempotency-Key" in {
        p["name"] for p in document["paths"]["/orgs/{org_id}/invitations"]["post"]["parameters"]
    }


def test_the_reference_page_is_rendered_on_the_server(panda_client):
    response = panda_client.get(f"{PREFIX}/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Panda API" in page and "/orgs/{org_id}/members" in page
    assert '<script src="http' not in page


def test_the_reference_page_lists_each_operations_errors_in_a_line_and_stays_under_100_kb(panda_client):
    text = panda_client.get(f"{PREFIX}/docs").get_data(as_text=True)
    assert len(text.encode()) < 100_000  # the budget of every page
    assert text.count('<ul class="api-errors">') == text.count("<section id=") - text.count('<section id="schema-')
    assert 'data-label="Status">401' not in text
