"""The community's OpenAPI document: valid OpenAPI 3.1, made from the code, every API route in it and only those."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

PREFIX = "/api/v1"


def test_the_document_is_valid_openapi_3_1(api):
    response = api.get("/openapi.json", None)
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.json
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }


def test_every_api_route_is_in_the_document_and_nothing_else(community):
    from support_community.api.blueprint import api

    document = api.document(community)
    in_document = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    in_code = set()
    for rule in community.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        template = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX) :])
        in_code |= {(template, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert in_code == in_document
    assert not [
        rule.rule
        for rule in community.url_map.iter_rules()
        if rule.rule.startswith("/api/") and not rule.rule.startswith(PREFIX)
    ]


def test_every_operation_declares_its_errors_as_problems_and_its_scopes(community):
    from support_community.api.blueprint import api

    document = api.document(community)
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            answers = operation["responses"]
            for status in ("429", "500"):
                assert status in answers, (method, path, status)
            for status, answer in answers.items():
                if int(status) >= 400:
                    assert list(answer["content"]) == ["application/problem+json"], (method, path, status)
            if path in ("/openapi.json", "/docs"):
                assert operation["security"] == []
                continue
            assert {"401", "403"} <= set(answers), (method, path)
            (requirement,) = operation["security"]
            assert requirement["bearer"], (method, path)
            if method == "post":
                assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
            if method == "patch":
                assert {"412"} <= set(answers) and "If-Match" in [p["name"] for p in operation["parameters"]]
    scopes = {path: op["security"] for path, ops in document["paths"].items() for op in ops.values()}
    assert scopes["/agent/cases"] == [{"bearer": ["agent"]}]
    assert {op["security"][0]["bearer"][0] for op in document["paths"]["/orgs/{org_id}/cases"].values()} == {
        "cases:read",
        "cases:write",
    }


def test_the_reference_page_is_rendered_from_the_document_without_scripts(api):
    page = api.get("/docs", None)
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "PATCH /api/v1/orgs/{org_id}/cases/{case_id}" in text
    assert "<script" not in text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_reference_page_lists_each_operations_errors_in_a_line_and_stays_under_100_kb(api):
    text = api.get("/docs", None).get_data(as_text=True)
    assert len(text.encode()) < 100_000  # the budget of every page
    case = text[text.index("<h2><code>GET /api/v1/orgs/{org_id}/cases/{case_id}</code></h2>") :]
    case = case[: case.index("</section>")]
    assert '<td data-label="Status">200</td>' in case
    errors = case[case.index('<ul class="api-errors">') :]
    assert "<b>404</b>" in errors and "<b>401</b>" in errors
    assert 'data-label="Status">404' not in case  # not a table row each
