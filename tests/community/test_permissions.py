"""Every route of the community, who may reach it, and the organization rule (the token's orgs)."""

from __future__ import annotations

import uuid

import pytest

from tests.community.auth.fake_op import org

PEETERS = org(
    "Bakkerij Peeters BV",
    enterprise_number="0403.170.701",
    customer_number="100234",
    id="5f0c7a7e-3a52-4f4e-9a0b-7f2b2a6c1d01",
)
JANSSENS = org(
    "Garage Janssens NV",
    enterprise_number="0202.239.951",
    customer_number="100999",
    role="admin",
    id="5f0c7a7e-3a52-4f4e-9a0b-7f2b2a6c1d02",
)
UNLISTED = "9a1d2b3c-0000-4000-8000-000000000000"

# (method, path, who, expected status). Routes of the organization use PEETERS.
ANONYMOUS, MEMBER, OUTSIDER, AGENT = "anonymous", "member", "outsider", "agent"
ROUTES = [
    ("GET", "/", ANONYMOUS, 200),
    ("GET", "/", MEMBER, 200),
    ("GET", "/healthz", ANONYMOUS, 200),
    ("GET", "/readyz", ANONYMOUS, 200),
    ("POST", "/language", ANONYMOUS, 302),
    ("GET", "/auth/sign-in", ANONYMOUS, 302),
    ("GET", "/auth/callback", ANONYMOUS, 400),
    ("POST", "/auth/sign-out", MEMBER, 302),
    ("POST", "/auth/backchannel-logout", ANONYMOUS, 400),
    ("GET", "/switch", ANONYMOUS, 302),
    ("GET", "/switch", MEMBER, 200),
    ("GET", f"/orgs/{PEETERS['id']}/", ANONYMOUS, 302),
    ("GET", f"/orgs/{PEETERS['id']}/", MEMBER, 200),
    ("GET", f"/orgs/{PEETERS['id']}/", OUTSIDER, 404),
]

# The agent workspace: global capabilities from the token's roles, so anyone else gets 403
# (an agent asking for a case that does not exist gets 404).
SOME_CASE = "0b7e1c52-8d1f-4f0e-9a57-3a7d2f1e9c10"
SOME_FILE = "4c2d8e1a-6b3f-4a9e-8c7d-1e2f3a4b5c6d"
for _path in ("/agent", f"/agent/cases/{SOME_CASE}", f"/agent/cases/{SOME_CASE}/attachments/{SOME_FILE}"):
    ROUTES += [
        ("GET", _path, ANONYMOUS, 302),
        ("GET", _path, OUTSIDER, 403),
        ("GET", _path, MEMBER, 403),
        ("GET", _path, AGENT, 200 if _path == "/agent" else 404),
    ]
for _action in ("messages", "notes", "status", "assignee", "severity"):
    _path = f"/agent/cases/{SOME_CASE}/{_action}"
    ROUTES += [
        ("POST", _path, ANONYMOUS, 401),
        ("POST", _path, OUTSIDER, 403),
        ("POST", _path, MEMBER, 403),
        ("POST", _path, AGENT, 404),
    ]
# Mail preferences: anyone signed in.
ROUTES += [
    ("GET", "/account/notifications", ANONYMOUS, 302),
    ("GET", "/account/notifications", OUTSIDER, 200),
    ("GET", "/account/notifications", AGENT, 200),
    ("POST", "/account/notifications", ANONYMOUS, 401),
    ("POST", "/account/notifications", MEMBER, 302),
]

# Cases in the organization's name: a case (with a file) of PEETERS exists, see ``peeters_case``.
CASE = "7d3f9a10-5b6c-4d7e-8f90-a1b2c3d4e5f6"
FILE = "7d3f9a10-5b6c-4d7e-8f90-0000000000f1"
_CASES = f"/orgs/{PEETERS['id']}/cases"
for _path in (_CASES, f"{_CASES}/new", f"{_CASES}/{CASE}", f"{_CASES}/{CASE}/attachments/{FILE}"):
    ROUTES += [
        ("GET", _path, ANONYMOUS, 302),
        ("GET", _path, MEMBER, 200),
        ("GET", _path, OUTSIDER, 404),
        ("GET", _path, AGENT, 404),
    ]
for _action, _member in (
    ("new", 400),
    (f"{CASE}/reply", 400),
    (f"{CASE}/attachments", 400),
    (f"{CASE}/close", 302),
    (f"{CASE}/reopen", 302),
    (f"{CASE}/follow", 302),
    (f"{CASE}/unfollow", 302),
):
    _path = f"{_CASES}/{_action}"
    ROUTES += [
        ("POST", _path, ANONYMOUS, 401),
        ("POST", _path, MEMBER, _member),
        ("POST", _path, OUTSIDER, 404),
        ("POST", _path, AGENT, 404),
    ]
ROUTES += [
    # A case is reached only through its own organization, even one the token lists.
    ("GET", f"/orgs/{JANSSENS['id']}/cases/{CASE}", MEMBER, 404),
    ("GET", f"/orgs/{JANSSENS['id']}/cases/{CASE}/attachments/{FILE}", MEMBER, 404),
    ("POST", f"/orgs/{JANSSENS['id']}/cases/{CASE}/close", MEMBER, 404),
    # All my clients, and choosing the organization of a new case.
    ("GET", "/cases", ANONYMOUS, 302),
    ("GET", "/cases", MEMBER, 200),
    ("GET", "/cases", OUTSIDER, 200),
    ("GET", "/cases", AGENT, 200),
    ("GET", "/cases/new", ANONYMOUS, 302),
    ("GET", "/cases/new", MEMBER, 200),
    ("GET", "/cases/new", OUTSIDER, 302),  # one organization: straight to its form
    ("GET", "/cases/new", AGENT, 200),
    # The filtered lists as CSV: all my clients' (anyone signed in), an organization's (its members).
    ("GET", "/cases/export.csv", ANONYMOUS, 302),
    ("GET", "/cases/export.csv", MEMBER, 200),
    ("GET", "/cases/export.csv", OUTSIDER, 200),
    ("GET", "/cases/export.csv", AGENT, 200),
    ("GET", f"{_CASES}/export.csv", ANONYMOUS, 302),
    ("GET", f"{_CASES}/export.csv", MEMBER, 200),
    ("GET", f"{_CASES}/export.csv", OUTSIDER, 404),
    ("GET", f"{_CASES}/export.csv", AGENT, 404),
    # The switchers' search as you type (the person's own list), and pinning an organization of it.
    ("GET", "/organizations/search", ANONYMOUS, 302),
    ("GET", "/organizations/search", MEMBER, 200),
    ("GET", "/organizations/search", OUTSIDER, 200),
    ("GET", "/organizations/search", AGENT, 200),
    ("POST", f"/orgs/{PEETERS['id']}/favourite", ANONYMOUS, 401),
    ("POST", f"/orgs/{PEETERS['id']}/favourite", MEMBER, 302),
    ("POST", f"/orgs/{PEETERS['id']}/favourite", OUTSIDER, 404),
    ("POST", f"/orgs/{PEETERS['id']}/favourite", AGENT, 404),
]

# The knowledge base: public pages whose articles depend on who reads (see ``kb_articles``), the
# new-case form's suggestions (the organization's), and the agents' editor (the token's roles).
KB_ARTICLE = "3d9c2e71-6a4b-4c8d-9e0f-5a6b7c8d9e01"
_KB = "/kb/en/sweep"
ROUTES += [("GET", "/kb", who, 200) for who in (ANONYMOUS, MEMBER, OUTSIDER, AGENT)]
for _slug, _visitor, _customer, _agent in (
    ("public", 200, 200, 200),
    ("customers", 404, 200, 200),
    ("internal", 404, 404, 200),  # never shown to customers
    ("draft", 404, 404, 404),  # drafts only in the editor
):
    for _who, _status in ((ANONYMOUS, _visitor), (MEMBER, _customer), (OUTSIDER, _customer), (AGENT, _agent)):
        ROUTES += [
            ("GET", f"{_KB}-{_slug}", _who, _status),
            # Readable: the sweep's form has no answer (400); otherwise the article does not exist (404).
            ("POST", f"{_KB}-{_slug}/feedback", _who, 400 if _status == 200 else 404),
        ]
ROUTES += [
    ("GET", f"/orgs/{PEETERS['id']}/kb/suggestions", ANONYMOUS, 302),
    ("GET", f"/orgs/{PEETERS['id']}/kb/suggestions", MEMBER, 200),
    ("GET", f"/orgs/{PEETERS['id']}/kb/suggestions", OUTSIDER, 404),
    ("GET", f"/orgs/{PEETERS['id']}/kb/suggestions", AGENT, 404),
    ("POST", f"/orgs/{PEETERS['id']}/kb/answered", ANONYMOUS, 401),
    ("POST", f"/orgs/{PEETERS['id']}/kb/answered", MEMBER, 400),
    ("POST", f"/orgs/{PEETERS['id']}/kb/answered", OUTSIDER, 404),
    ("POST", f"/orgs/{PEETERS['id']}/kb/answered", AGENT, 404),
]
for _path, _agent in (
    ("/agent/kb", 200),
    ("/agent/kb/new", 200),
    ("/agent/kb/report", 200),
    (f"/agent/kb/{KB_ARTICLE}/en", 200),
    (f"/agent/kb/{KB_ARTICLE}/nl", 200),  # a missing translation: the form to write it
    (f"/agent/kb/{KB_ARTICLE}/en/history", 200),
    (f"/agent/kb/{KB_ARTICLE}/nl/history", 404),
    (f"/agent/kb/{SOME_CASE}/en", 404),
):
    ROUTES += [
        (method, _path, who, status)
        for method, who, status in (
            ("GET", ANONYMOUS, 302),
            ("GET", OUTSIDER, 403),
            ("GET", MEMBER, 403),
            ("GET", AGENT, _agent),
        )
    ]
for _path, _agent in (
    ("/agent/kb/new", 400),
    (f"/agent/kb/{KB_ARTICLE}/en", 400),
    (f"/agent/kb/{KB_ARTICLE}/en/publish", 302),
    (f"/agent/kb/{KB_ARTICLE}/en/unpublish", 302),
    (f"/agent/kb/{SOME_CASE}/en/publish", 404),
    (f"/agent/cases/{SOME_CASE}/article-link", 404),
):
    ROUTES += [
        (method, _path, who, status)
        for method, who, status in (
            ("POST", ANONYMOUS, 401),
            ("POST", OUTSIDER, 403),
            ("POST", MEMBER, 403),
            ("POST", AGENT, _agent),
        )
    ]


# The workspace's canned replies, bulk changes, presence on a case and reports: agents only.
SOME_REPLY = "3b9d6e2f-1a4c-4d8e-9f70-5c6b7a8d9e01"
for _method, _path, _agent in (
    ("GET", "/agent/canned", 200),
    ("GET", "/agent/canned/new", 200),
    ("GET", f"/agent/canned/{SOME_REPLY}", 404),
    ("GET", "/agent/reports", 200),
    ("GET", "/agent/reports.csv", 200),
    ("POST", "/agent/canned/new", 400),  # the sweep's form has no title
    ("POST", f"/agent/canned/{SOME_REPLY}", 404),
    ("POST", f"/agent/canned/{SOME_REPLY}/delete", 404),
    ("POST", f"/agent/cases/{SOME_CASE}/canned", 404),
    ("POST", f"/agent/cases/{SOME_CASE}/presence", 404),
    ("POST", "/agent/bulk", 302),  # nothing selected: back to the queue
    ("POST", "/agent/bulk/apply", 302),
):
    ROUTES += [
        (_method, _path, ANONYMOUS, 302 if _method == "GET" else 401),
        (_method, _path, OUTSIDER, 403),
        (_method, _path, MEMBER, 403),
        (_method, _path, AGENT, _agent),
    ]
# Rating a solved case: the mail's signed link (anyone holding it; this one is forged) and the case page's form.
ROUTES += [
    ("GET", "/rate/forged-token", ANONYMOUS, 410),
    ("POST", "/rate/forged-token", ANONYMOUS, 410),
    ("POST", f"/orgs/{PEETERS['id']}/cases/{CASE}/rating", ANONYMOUS, 401),
    ("POST", f"/orgs/{PEETERS['id']}/cases/{CASE}/rating", MEMBER, 302),  # not solved: refused, back to the case
    ("POST", f"/orgs/{PEETERS['id']}/cases/{CASE}/rating", OUTSIDER, 404),
    ("POST", f"/orgs/{PEETERS['id']}/cases/{CASE}/rating", AGENT, 404),
]

# Webhooks: an organization's administrators (MEMBER administers JANSSENS, not PEETERS) and the
# agents for every organization; subscriptions and deliveries at these ids: see ``webhook_rows``.
HOOK = "8e1f2a3b-4c5d-4e6f-8a9b-000000000a01"
VENDOR_HOOK = "8e1f2a3b-4c5d-4e6f-8a9b-000000000a02"
HOOK_DELIVERY = "8e1f2a3b-4c5d-4e6f-8a9b-000000000d01"
VENDOR_DELIVERY = "8e1f2a3b-4c5d-4e6f-8a9b-000000000d02"
for _base, _hook, _delivery, _allowed, _others in (
    (f"/orgs/{JANSSENS['id']}/webhooks", HOOK, HOOK_DELIVERY, MEMBER, {AGENT: 404}),
    (f"/orgs/{PEETERS['id']}/webhooks", HOOK, HOOK_DELIVERY, None, {MEMBER: 403, OUTSIDER: 404, AGENT: 404}),
    ("/webhooks", VENDOR_HOOK, VENDOR_DELIVERY, AGENT, {MEMBER: 403, OUTSIDER: 403}),
):
    for _method, _path, _status in (
        ("GET", "", 200),
        ("GET", "/new", 200),
        ("GET", f"/{_hook}", 200),
        ("POST", "/new", 400),  # the sweep's form has no URL
        ("POST", f"/{_hook}", 400),
        ("POST", f"/{_hook}/rotate", 200),  # the new secret, shown once
        ("POST", f"/{_hook}/pause", 302),
        ("POST", f"/{_hook}/resume", 302),
        ("POST", f"/{_hook}/delete", 302),
        ("POST", f"/{_hook}/test", 302),
        ("POST", f"/{_hook}/deliveries/{_delivery}/redeliver", 302),
    ):
        ROUTES.append((_method, _base + _path, ANONYMOUS, 302 if _method == "GET" else 401))
        if _allowed:
            ROUTES.append((_method, _base + _path, _allowed, _status))
        ROUTES += [(_method, _base + _path, _who, _code) for _who, _code in _others.items()]


# The API (``/api/v1``): bearer tokens only, so a signed-in browser is as anonymous as anyone (401).
# ``API_ROUTES`` sweeps it with tokens: MEMBER's and OUTSIDER's carry ``cases:read cases:write``,
# AGENT's ``agent``; their bodies are ``{}`` (so a write that gets through is 415 or 422).
_API = "/api/v1"
_API_CASES = f"{_API}/orgs/{PEETERS['id']}/cases"
API_ROUTES = [
    ("GET", f"{_API}/openapi.json", ANONYMOUS, 200),
    ("GET", f"{_API}/docs", ANONYMOUS, 200),
    ("GET", f"{_API}/orgs", MEMBER, 200),
    ("GET", f"{_API}/orgs", OUTSIDER, 200),
]
for _method, _path, _member, _agent in (
    ("GET", _API_CASES, 200, 403),
    ("POST", _API_CASES, 422, 403),
    ("GET", f"{_API_CASES}/{CASE}", 200, 403),
    ("PATCH", f"{_API_CASES}/{CASE}", 422, 403),
    ("POST", f"{_API_CASES}/{CASE}/replies", 422, 403),
    ("POST", f"{_API_CASES}/{CASE}/follow", 200, 403),
    ("POST", f"{_API_CASES}/{CASE}/unfollow", 200, 403),
    ("POST", f"{_API_CASES}/{CASE}/attachments", 415, 403),
    ("GET", f"{_API_CASES}/{CASE}/attachments/{FILE}", 200, 403),
    ("GET", f"{_API}/agent/cases", 403, 200),
    ("GET", f"{_API}/agent/cases/{CASE}", 403, 200),
    ("PATCH", f"{_API}/agent/cases/{CASE}", 403, 200),
    ("POST", f"{_API}/agent/cases/{CASE}/replies", 403, 422),
    ("POST", f"{_API}/agent/cases/{CASE}/notes", 403, 422),
    ("GET", f"{_API}/agent/cases/{CASE}/attachments/{FILE}", 403, 200),
):
    _outsider = 404 if _path.startswith(_API_CASES) else 403
    API_ROUTES += [(_method, _path, ANONYMOUS, 401), (_method, _path, MEMBER, _member)]
    API_ROUTES += [(_method, _path, OUTSIDER, _outsider), (_method, _path, AGENT, _agent)]
_API_PUBLIC = (f"{_API}/openapi.json", f"{_API}/docs")
ROUTES += [
    (method, path, MEMBER, 401)
    for method, path, who, _ in API_ROUTES
    if who == ANONYMOUS and method == "GET" and path not in _API_PUBLIC
]
ROUTES += [("GET", path, MEMBER, 200) for path in _API_PUBLIC]
# Webhook subscriptions: ``cases:write`` and administering the organization (MEMBER and OUTSIDER administer
# JANSSENS; MEMBER is a member of PEETERS); the vendor's with ``agent``.
for _path, _allowed, _member, _outsider, _agent in (
    (f"{_API}/orgs/{JANSSENS['id']}/webhooks", None, "ok", "ok", 403),
    (f"{_API}/orgs/{PEETERS['id']}/webhooks", None, 403, 404, 403),
    (f"{_API}/webhooks", None, 403, 403, "ok"),
):
    _hook = HOOK if "/orgs/" in _path else VENDOR_HOOK
    for _method, _url, _ok in (
        ("GET", _path, 200),
        *([("POST", _path, 422)] if "/orgs/" in _path else []),  # the sweep's body is empty
        ("GET", f"{_path}/{_hook}", 200),
        ("DELETE", f"{_path}/{_hook}", 204),
    ):
        API_ROUTES += [(_method, _url, ANONYMOUS, 401)]
        API_ROUTES += [
            (_method, _url, _who, _ok if _code == "ok" else _code)
            for _who, _code in ((MEMBER, _member), (OUTSIDER, _outsider), (AGENT, _agent))
        ]


@pytest.fixture(autouse=True)
def webhook_rows(community):
    """A subscription of JANSSENS and one of the vendor, each with a delivery, at the ids the table uses."""
    from support_community.extensions import db
    from support_community.webhooks.models import WebhookDelivery, WebhookSubscription

    for hook, delivery, organization_id in (
        (HOOK, HOOK_DELIVERY, uuid.UUID(JANSSENS["id"])),
        (VENDOR_HOOK, VENDOR_DELIVERY, None),
    ):
        db.session.add(
            WebhookSubscription(
                id=uuid.UUID(hook),
                organization_id=organization_id,
                url="https://93.184.215.14/hook",
                events=["case.created"],
                secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                created_by_id="sweep",
            )
        )
        db.session.flush()
        db.session.add(
            WebhookDelivery(
                id=uuid.UUID(delivery), subscription_id=uuid.UUID(hook), event_type="case.created", payload={}
            )
        )
    db.session.flush()


@pytest.fixture(autouse=True)
def kb_articles(community):
    """Articles in English for every audience, and a draft: ``/kb/en/sweep-<visibility>``, ``/kb/en/sweep-draft``."""
    from support_community.extensions import db
    from support_community.kb.models import Article, Visibility
    from support_community.kb.services import editing

    for slug, visibility, published, article_id in (
        ("public", Visibility.PUBLIC, True, KB_ARTICLE),
        ("customers", Visibility.CUSTOMERS, True, None),
        ("internal", Visibility.INTERNAL, True, None),
        ("draft", Visibility.PUBLIC, False, None),
    ):
        article = Article(id=uuid.UUID(article_id) if article_id else uuid.uuid4(), visibility=visibility)
        db.session.add(article)
        db.session.flush()
        editing.save_translation(
            article,
            "en",
            actor=None,
            title=f"Sweep {slug}",
            body="Text.",
            base_revision=0,
            product_key=None,
            category_id=None,
            visibility=visibility,
            publish=published,
        )


@pytest.fixture(autouse=True)
def peeters_case(community):
    """A case of PEETERS with one attachment, at the fixed ids the table uses."""
    import io

    from shared.database import utcnow
    from support_community.cases.models import Attachment, Case, CaseMessage, MessageKind, Person, Product, Severity
    from support_community.cases.storage import storage
    from support_community.extensions import db

    person = Person(
        sub="sweep-opener", name="Jan Janssens", email="jan@example.test", locale="en", last_seen_at=utcnow()
    )
    product = Product(key="sweep-product", name_en="Product", name_nl="Product", name_fr="Produit")
    db.session.add_all([person, product])
    db.session.flush()
    case = Case(
        id=uuid.UUID(CASE),
        number="CS-1990-000001",
        organization_id=uuid.UUID(PEETERS["id"]),
        organization_name=PEETERS["name"],
        product_key=product.key,
        severity=Severity.NORMAL,
        subject="Sweep",
        opened_by_sub=person.sub,
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseMessage(case_id=case.id, author_sub=person.sub, kind=MessageKind.DESCRIPTION, body="Text"))
    content = b"%PDF-1.4\n%%EOF\n"
    db.session.add(
        Attachment(
            id=uuid.UUID(FILE),
            case_id=case.id,
            uploaded_by_sub=person.sub,
            filename="a.pdf",
            content_type="application/pdf",
            size=len(content),
            sha256="0" * 64,
            storage_key=storage(community).save(io.BytesIO(content)),
        )
    )
    db.session.flush()
    return case


# Rules not reached by a URL of their own.
IGNORED_RULES = {"/static/<path:filename>", "/shared-static/<path:filename>"}


def _rule_of(community, method: str, path: str) -> str:
    adapter = community.url_map.bind("community.test")
    rule, _ = adapter.match(path, method=method, return_rule=True)
    return rule.rule


def test_every_route_is_in_the_table(community):
    covered = {_rule_of(community, method, path) for method, path, _, _ in ROUTES + API_ROUTES}
    every = {rule.rule for rule in community.url_map.iter_rules()} - IGNORED_RULES
    assert every - covered == set(), "add these routes to ROUTES"


@pytest.mark.parametrize("method,path,who,expected", ROUTES, ids=[f"{m} {p} {w}" for m, p, w, _ in ROUTES])
def test_route_access(community_client, login, method, path, who, expected):
    if who == MEMBER:
        login(orgs=[PEETERS, JANSSENS])
    elif who == OUTSIDER:
        login(orgs=[JANSSENS])
    elif who == AGENT:
        login(orgs=[], roles=["support_agent"])
    if method == "GET":
        response = community_client.get(path)
    else:
        response = community_client.post_form(path, {"language": "en"})
    assert response.status_code == expected


def test_an_organization_in_the_token_shows_whom_the_person_acts_for(community_client, login):
    login(orgs=[PEETERS])
    response = community_client.get(f"/orgs/{PEETERS['id']}/")
    assert response.status_code == 200
    assert "You are acting for Bakkerij Peeters BV (0403.170.701)" in response.get_data(as_text=True)


@pytest.mark.parametrize("org_id", [UNLISTED, "3c9e5d1a-7f42-4b8e-a6d0-52e1f0b7c4a9", "not-a-uuid", "1", "../switch"])
def test_an_organization_not_in_the_token_does_not_exist(community_client, login, org_id):
    login(orgs=[PEETERS])
    assert community_client.get(f"/orgs/{org_id}/").status_code == 404


def test_uppercase_ids_find_the_same_organization(community_client, login):
    login(orgs=[PEETERS])
    assert community_client.get(f"/orgs/{PEETERS['id'].upper()}/").status_code == 200


def test_roles_are_read_from_the_token_per_organization():
    from support_community.auth.session import SignedInPerson
    from support_community.permissions import has_capability

    user = SignedInPerson.from_claims({"sub": "s", "orgs": [PEETERS, JANSSENS]})
    assert has_capability(user, "org.view", user.organization(PEETERS["id"]))
    assert has_capability(user, "org.view", user.organization(JANSSENS["id"]))
    assert not has_capability(user, "case.delete_everything", user.organization(PEETERS["id"]))
    assert user.organization(UNLISTED) is None
    assert not has_capability(None, "org.view")


@pytest.mark.parametrize("method,path,who,expected", API_ROUTES, ids=[f"{m} {p} {w}" for m, p, w, _ in API_ROUTES])
def test_api_route_access(community_client, fake_panda, method, path, who, expected):
    from tests.community.api.support import access_token

    token = None
    if who == MEMBER:
        token = access_token(fake_panda, fake_panda.add_user(orgs=[PEETERS, JANSSENS]).sub)
    elif who == OUTSIDER:
        token = access_token(fake_panda, fake_panda.add_user(orgs=[JANSSENS]).sub)
    elif who == AGENT:
        token = access_token(fake_panda, fake_panda.add_user(roles=["support_agent"]).sub, scope="agent")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {} if method in ("POST", "PATCH") else None
    response = community_client.open(path, method=method, headers=headers, json=body)
    assert response.status_code == expected
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
