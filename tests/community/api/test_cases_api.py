"""An accountant's script and the vendor's integration work a client's cases through the API, as the pages would."""

from __future__ import annotations

import io
import time
import uuid

import pytest

from tests.community.api.support import TOOL, access_token, personal_token
from tests.community.auth.fake_op import FORGED_KEY, org
from tests.community.factories import acting_as, open_case
from tests.community.files import PDF, PNG

PEETERS = org("Bakkerij Peeters BV", customer_number="100234")
JANSSENS = org("Garage Janssens", enterprise_number="0202.239.951", customer_number="100777")
PROBLEM = "application/problem+json"


@pytest.fixture()
def ann(fake_panda, demo_catalog, store):
    """Ann, an accountant acting for Bakkerij Peeters (not for Garage Janssens), known to the community."""
    user = fake_panda.add_user(name="Ann Accountant", orgs=[PEETERS])
    acting_as(user)
    return user


@pytest.fixture()
def other(fake_panda, demo_catalog):
    """Someone of Garage Janssens, with a case there."""
    user = fake_panda.add_user(name="Jo Janssens", email="jo@example.test", orgs=[JANSSENS])
    case = open_case(JANSSENS, acting_as(user), subject="Garage invoice")
    return user, case


def cases_path(claim: dict, *rest: str) -> str:
    return "/".join([f"/orgs/{claim['id']}/cases", *rest]).rstrip("/")


# -- the accountant's script ------------------------------------------------------------------------
def test_an_accountants_script_lists_open_cases_replies_and_uploads_a_file(api, fake_panda, ann, community_db):
    person = acting_as(ann)
    first = open_case(PEETERS, person, subject="VAT return does not balance")
    done = open_case(PEETERS, person, subject="Closed long ago")
    done.status = "closed"
    community_db.session.flush()
    token = personal_token(fake_panda, ann)

    orgs = api.get("/orgs", token)
    assert orgs.status_code == 200
    assert [item["id"] for item in orgs.json["items"]] == [PEETERS["id"]]

    listed = api.get(cases_path(PEETERS) + "?status=open", token)
    assert listed.status_code == 200
    assert [item["number"] for item in listed.json["items"]] == [first.number]
    assert listed.json["next"] is None

    reply = api.post(cases_path(PEETERS, str(first.id), "replies"), token, json={"body": "Here are the figures."})
    assert reply.status_code == 201 and reply.json["kind"] == "reply"

    upload = api.post(
        cases_path(PEETERS, str(first.id), "attachments"),
        token,
        data={"files": (io.BytesIO(PDF), "figures.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    item = upload.json["items"][0]
    assert item["filename"] == "figures.pdf" and item["content_type"] == "application/pdf"

    detail = api.get(cases_path(PEETERS, str(first.id)), token)
    assert [m["body"] for m in detail.json["messages"]][-1] == "Here are the figures."
    assert detail.json["attachments"][0]["id"] == item["id"]
    download = api.get(item["download_url"].split("/api/v1", 1)[1], token)
    assert download.status_code == 200 and download.data == PDF


def test_a_token_of_another_organization_gets_404_for_its_cases(api, fake_panda, ann, other):
    _jo, case = other
    token = access_token(fake_panda, ann.sub)
    for response in (
        api.get(cases_path(JANSSENS), token),
        api.get(cases_path(JANSSENS, str(case.id)), token),
        api.post(cases_path(JANSSENS, str(case.id), "replies"), token, json={"body": "hi"}),
        # the other organization's case under one's own organization
        api.get(cases_path(PEETERS, str(case.id)), token),
        api.get(f"/orgs/{uuid.uuid4()}/cases", token),
        api.get("/orgs/not-a-uuid/cases", token),
    ):
        assert response.status_code == 404
        assert response.mimetype == PROBLEM


def test_an_organization_that_forbids_personal_tokens_is_hidden_from_them(api, fake_panda, demo_catalog, store):
    both = fake_panda.add_user(orgs=[PEETERS, JANSSENS])
    acting_as(both)
    token = personal_token(fake_panda, both, forbidden=[JANSSENS["id"]])
    assert [item["id"] for item in api.get("/orgs", token).json["items"]] == [PEETERS["id"]]
    assert api.get(cases_path(JANSSENS), token).status_code == 404
    assert api.get(cases_path(PEETERS), token).status_code == 200
    # a JWT from an application is no personal access token: the organization's rule does not apply
    assert api.get(cases_path(JANSSENS), access_token(fake_panda, both.sub)).status_code == 200


# -- tokens -----------------------------------------------------------------------------------------
def test_without_a_token_the_api_answers_401_with_a_bearer_challenge(api, ann):
    response = api.get(cases_path(PEETERS), None)
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Support Community"')


@pytest.mark.parametrize(
    "bend",
    [
        {"exp": int(time.time()) - 3600},
        {"aud": "support-community"},
        {"aud": "urn:panda:api"},
        {"iss": "https://evil.example"},
        {"header": {"typ": "JWT"}},
        {"key": FORGED_KEY},
    ],
    ids=["expired", "audience-of-the-client", "audience-of-panda-api", "other-issuer", "not-an-access-token", "forged"],
)
def test_an_expired_tampered_or_misdirected_jwt_is_401(api, fake_panda, ann, bend):
    response = api.get(cases_path(PEETERS), access_token(fake_panda, ann.sub, **bend))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_whose_payload_was_changed_is_401(api, fake_panda, ann):
    header, payload, signature = access_token(fake_panda, ann.sub).split(".")
    tampered = ".".join([header, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], signature])
    assert api.get(cases_path(PEETERS), tampered).status_code == 401
    assert api.get(cases_path(PEETERS), "nonsense").status_code == 401


def test_a_read_only_token_cannot_write(api, fake_panda, ann):
    token = access_token(fake_panda, ann.sub, scope="cases:read")
    assert api.get(cases_path(PEETERS), token).status_code == 200
    response = api.post(cases_path(PEETERS), token, json={})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_a_personal_token_revoked_at_panda_stops_working_within_the_cache_time(api, fake_panda, ann, community):
    community.config["COMMUNITY_API_INTROSPECTION_SECONDS"] = 1
    try:
        token = personal_token(fake_panda, ann)
        assert api.get(cases_path(PEETERS), token).status_code == 200
        del fake_panda.personal_tokens[token]  # revoked at Panda
        assert api.get(cases_path(PEETERS), token).status_code == 200  # the kept answer
        assert len(fake_panda.introspections) == 1
        time.sleep(1.1)
        response = api.get(cases_path(PEETERS), token)
        assert response.status_code == 401 and response.mimetype == PROBLEM
    finally:
        community.config["COMMUNITY_API_INTROSPECTION_SECONDS"] = 60


def test_an_unknown_personal_token_is_refused_and_the_refusal_kept_briefly(api, fake_panda, ann):
    assert api.get(cases_path(PEETERS), "pat_" + "x" * 43).status_code == 401
    assert api.get(cases_path(PEETERS), "pat_" + "x" * 43).status_code == 401
    assert len(fake_panda.introspections) == 1


def test_panda_down_is_503_for_a_personal_token_while_jwts_keep_working(api, fake_panda, ann):
    jwt = access_token(fake_panda, ann.sub)
    assert api.get(cases_path(PEETERS), jwt).status_code == 200  # Panda's keys are known now
    for endpoint in ("introspect", "jwks", "discovery", "access"):
        fake_panda.failures[endpoint] = 503
    response = api.get(cases_path(PEETERS), personal_token(fake_panda, ann))
    assert response.status_code == 503 and response.mimetype == PROBLEM
    assert response.headers["Retry-After"]
    assert api.get(cases_path(PEETERS), jwt).status_code == 200


def test_the_organizations_a_person_may_act_for_come_from_panda_not_from_the_token(api, fake_panda, demo_catalog):
    newcomer = fake_panda.add_user(orgs=[PEETERS])  # never signed in to the community
    token = access_token(fake_panda, newcomer.sub)
    assert api.get(cases_path(PEETERS), token).status_code == 200
    assert fake_panda.access_reads == [newcomer.sub]


# -- lists ------------------------------------------------------------------------------------------
def test_the_list_pages_with_cursors_and_filters_like_the_web_list(api, fake_panda, ann, community_db):
    person = acting_as(ann)
    opened = [open_case(PEETERS, person, subject=f"Question {n:02d}") for n in range(7)]
    opened[0].severity = "critical"
    community_db.session.flush()
    token = access_token(fake_panda, ann.sub)

    seen, path = [], cases_path(PEETERS) + "?limit=3&sort=number&direction=asc"
    while path:
        page = api.get(path, token)
        assert page.status_code == 200
        seen += [item["number"] for item in page.json["items"]]
        link = page.json["next"]
        assert (link is None) == ("Link" not in page.headers)
        path = link.split("/api/v1", 1)[1] if link else None
    assert seen == sorted(case.number for case in opened)

    critical = api.get(cases_path(PEETERS) + "?severity=critical", token).json["items"]
    assert [item["id"] for item in critical] == [str(opened[0].id)]
    found = api.get(cases_path(PEETERS) + "?q=Question 03", token).json["items"]
    assert str(opened[3].id) in [item["id"] for item in found]


def test_wrong_query_parameters_are_422_naming_them(api, fake_panda, ann):
    token = access_token(fake_panda, ann.sub)
    response = api.get(cases_path(PEETERS) + "?status=lost&limit=1000", token)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert {error["field"] for error in response.json["errors"]} == {"status", "limit"}
    response = api.get(cases_path(PEETERS) + "?cursor=made-up", token)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "cursor"


# -- opening, changing ------------------------------------------------------------------------------
def new_case(**changes) -> dict:
    return {
        "product": "accounting",
        "category_id": None,
        "severity": "normal",
        "subject": "Year-end closing",
        "description": "The balance sheet does not open.",
        **changes,
    }


def test_a_case_is_opened_once_for_one_idempotency_key(api, fake_panda, ann, community_db):
    from tests.community.factories import category

    token = access_token(fake_panda, ann.sub)
    body = new_case(category_id=category("accounting", "vat").id)
    headers = {"Idempotency-Key": "script-run-42"}
    first = api.post(cases_path(PEETERS), token, json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert first.headers["Location"].endswith(f"/cases/{first.json['id']}")
    again = api.post(cases_path(PEETERS), token, json=body, headers=headers)
    assert again.status_code == 201 and again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    changed = api.post(cases_path(PEETERS), token, json={**body, "subject": "Other"}, headers=headers)
    assert changed.status_code == 422
    numbers = [item["number"] for item in api.get(cases_path(PEETERS), token).json["items"]]
    assert numbers == [first.json["number"]]


def test_a_case_that_cannot_be_opened_says_which_field_is_wrong(api, fake_panda, ann):
    token = access_token(fake_panda, ann.sub)
    missing = api.post(cases_path(PEETERS), token, json={"product": "accounting", "severity": "urgent"})
    assert missing.status_code == 422
    assert {"severity", "subject", "description"} <= {e["field"] for e in missing.json["errors"]}
    unknown = api.post(cases_path(PEETERS), token, json=new_case(product="no-such-product"))
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "product"
    typo = api.post(cases_path(PEETERS), token, json=new_case(subjekt="x"))
    assert typo.status_code == 422 and typo.json["errors"][0]["field"] == "subjekt"
    wrong_type = api.post(cases_path(PEETERS), token, json=new_case(subject=["a list"]))
    assert wrong_type.status_code == 422 and wrong_type.json["errors"][0]["field"] == "subject"
    malformed = api.post(cases_path(PEETERS), token, data="{", content_type="application/json")
    assert malformed.status_code == 400 and malformed.mimetype == PROBLEM
    as_form = api.post(cases_path(PEETERS), token, data={"subject": "x"})
    assert as_form.status_code == 415 and as_form.mimetype == PROBLEM


def test_closing_from_an_old_copy_is_refused_with_412(api, fake_panda, ann):
    case = open_case(PEETERS, acting_as(ann))
    token = access_token(fake_panda, ann.sub)
    path = cases_path(PEETERS, str(case.id))
    etag = api.get(path, token).headers["ETag"]
    api.post(path + "/replies", token, json={"body": "One more thing."})  # the case changed meanwhile
    stale = api.patch(path, token, json={"status": "closed"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    current = api.get(path, token).headers["ETag"]
    closed = api.patch(path, token, json={"status": "closed", "comment": "Solved it."}, headers={"If-Match": current})
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert closed.headers["ETag"] != current
    reopened = api.patch(path, token, json={"status": "in_progress"})
    assert reopened.status_code == 200 and reopened.json["status"] == "in_progress"
    refused = api.post(path + "/replies", token, json={"body": ""})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "body"


def test_following_and_unfollowing(api, fake_panda, ann, other):
    _jo, _case = other
    case = open_case(PEETERS, acting_as(ann))
    token = access_token(fake_panda, ann.sub)
    path = cases_path(PEETERS, str(case.id))
    assert api.post(path + "/unfollow", token).json == {"following": False}
    assert api.get(path, token).json["following"] is False
    assert api.post(path + "/follow", token).json == {"following": True}
    assert api.get(path, token).json["following"] is True


def test_uploads_are_checked_as_on_the_web_pages(api, fake_panda, ann, community):
    case = open_case(PEETERS, acting_as(ann))
    token = access_token(fake_panda, ann.sub)
    path = cases_path(PEETERS, str(case.id), "attachments")
    script = api.post(
        path,
        token,
        data={"files": (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "run.sh")},
        content_type="multipart/form-data",
    )
    assert script.status_code == 422 and script.json["errors"][0]["field"] == "files"
    disguised = api.post(
        path, token, data={"files": (io.BytesIO(PNG), "invoice.pdf")}, content_type="multipart/form-data"
    )
    assert disguised.status_code == 422
    nothing = api.post(path, token, data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422
    as_json = api.post(path, token, json={"files": []})
    assert as_json.status_code == 415
    too_big = b"%PDF-1.7\n" + b"0" * (community.config["MAX_CONTENT_LENGTH"] + 10)
    huge = api.post(path, token, data={"files": (io.BytesIO(too_big), "big.pdf")}, content_type="multipart/form-data")
    assert huge.status_code == 413 and huge.mimetype == PROBLEM


# -- agents -----------------------------------------------------------------------------------------
@pytest.fixture()
def sam(fake_panda, community):
    user = fake_panda.add_user(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])
    acting_as(user)
    return user


def test_an_agent_works_the_queue_notes_status_severity_and_assignee(api, fake_panda, ann, other, sam):
    _jo, garage_case = other
    case = open_case(PEETERS, acting_as(ann))
    token = access_token(fake_panda, sam.sub, scope="agent")
    queue = api.get("/agent/cases", token)
    assert queue.status_code == 200
    assert {item["id"] for item in queue.json["items"]} == {str(case.id), str(garage_case.id)}

    path = f"/agent/cases/{case.id}"
    note = api.post(path + "/notes", token, json={"body": "Customer is on the old version."})
    assert note.status_code == 201 and note.json["kind"] == "internal_note"
    reply = api.post(path + "/replies", token, json={"body": "Please update.", "status": "waiting_for_customer"})
    assert reply.status_code == 201
    etag = api.get(path, token).headers["ETag"]
    changed = api.patch(
        path, token, json={"severity": "high", "assignee": sam.sub, "status": "in_progress"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["severity"] == "high" and changed.json["assignee"]["sub"] == sam.sub
    assert changed.json["status"] == "in_progress"
    assert api.patch(path, token, json={"severity": "low"}, headers={"If-Match": etag}).status_code == 412
    assert api.patch(path, token, json={"assignee": ann.sub}).json["errors"][0]["field"] == "assignee"
    assert api.patch(path, token, json={"assignee": None}).json["assignee"] is None

    customer = api.get(cases_path(PEETERS, str(case.id)), access_token(fake_panda, ann.sub)).json
    bodies = [message["body"] for message in customer["messages"]]
    assert "Please update." in bodies and "Customer is on the old version." not in bodies


def test_the_agent_scope_does_not_make_a_customer_an_agent(api, fake_panda, ann):
    token = access_token(fake_panda, ann.sub, scope="agent cases:read")
    assert api.get("/agent/cases", token).status_code == 403
    # and an agent's token without the scope is not enough either
    agent = fake_panda.add_user(roles=["support_agent"])
    assert api.get("/agent/cases", access_token(fake_panda, agent.sub, scope="cases:read")).status_code == 403


def test_the_vendors_integration_acts_as_an_agent_account_of_its_own(api, fake_panda, ann, sam):
    from support_community.cases.services.assignment import list_agents

    case = open_case(PEETERS, acting_as(ann))
    token = access_token(fake_panda, TOOL, client_id=TOOL, scope="agent")
    assert api.get("/agent/cases", token).status_code == 200
    note = api.post(f"/agent/cases/{case.id}/notes", token, json={"body": "Synced to CRM ticket 991."})
    assert note.status_code == 201
    assert note.json["author"] == {"sub": f"client:{TOOL}", "name": f"{TOOL} (integration)"}
    assert f"client:{TOOL}" not in [person.sub for person in list_agents()]
    # it acts for no organization of its own
    assert api.get(cases_path(PEETERS), access_token(fake_panda, TOOL, client_id=TOOL)).status_code == 404
    # without the agent scope it is no agent
    assert (
        api.get("/agent/cases", access_token(fake_panda, TOOL, client_id=TOOL, scope="cases:read")).status_code == 403
    )


# -- errors anywhere under /api/ ----------------------------------------------------------------------
def test_every_error_under_api_is_a_problem(api, fake_panda, ann):
    token = access_token(fake_panda, ann.sub)
    for response, status in (
        (api.get("/nothing-here", token), 404),
        (api.client.get("/api/v2/orgs"), 404),
        (api.client.delete(f"/api/v1/orgs/{PEETERS['id']}/cases", headers=api.headers(token)), 405),
    ):
        assert response.status_code == status
        assert response.mimetype == PROBLEM and response.json["status"] == status
    # the pages keep their own error pages
    assert api.client.get("/no-such-page").mimetype == "text/html"


def test_a_session_cookie_is_not_accepted_by_the_api(api, login):
    login(orgs=[PEETERS])
    response = api.client.get(f"/api/v1/orgs/{PEETERS['id']}/cases")
    assert response.status_code == 401


def test_the_api_is_rate_limited_per_token(api, fake_panda, ann, community):
    community.config["COMMUNITY_API_RATE_LIMIT"] = "3/minute"
    try:
        token, other_token = access_token(fake_panda, ann.sub), access_token(fake_panda, ann.sub)
        answers = [api.get(cases_path(PEETERS), token) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3" and answers[2].headers["RateLimit-Remaining"] == "0"
        assert answers[3].mimetype == PROBLEM and int(answers[3].headers["Retry-After"]) > 0
        assert api.get(cases_path(PEETERS), other_token).status_code == 200
    finally:
        community.config["COMMUNITY_API_RATE_LIMIT"] = "600/minute"


def test_problems_speak_the_callers_language(api, ann):
    dutch = api.get(cases_path(PEETERS), None, headers={"Accept-Language": "nl-BE"})
    assert dutch.json["title"] == "Authenticatie vereist"
    french = api.get(cases_path(PEETERS), None, headers={"Accept-Language": "fr-BE"})
    assert french.json["title"] == "Authentification requise"


def test_api_answers_set_no_cookie_and_are_not_cached(api, fake_panda, ann):
    response = api.get(cases_path(PEETERS), access_token(fake_panda, ann.sub))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]
