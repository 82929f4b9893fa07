"""``panda clients …`` and ``panda keys …``."""

from __future__ import annotations

import json


def run(panda, *args: str):
    return panda.test_cli_runner().invoke(args=list(args))


def test_clients_add_prints_the_credentials_once_as_json(panda):
    from panda_portal.oidc.services import get_client

    result = run(
        panda,
        "clients",
        "add",
        "community",
        "--redirect-uri",
        "https://c.example.test/callback",
        "--redirect-uri",
        "https://c.example.test/callback2",
        "--post-logout-redirect-uri",
        "https://c.example.test/",
        "--backchannel-logout-uri",
        "https://c.example.test/bc",
        "--requires-grant",
        "support_community",
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["client_id"] == "community" and printed["client_secret"]
    client = get_client("community")
    assert client.redirect_uris == ["https://c.example.test/callback", "https://c.example.test/callback2"]
    assert client.required_grant == "support_community"
    assert client.check_client_secret(printed["client_secret"])
    assert printed["client_secret"] not in client.secret_hash


def test_clients_add_public_prints_a_null_secret(panda):
    result = run(panda, "clients", "add", "spa", "--redirect-uri", "https://spa.example.test/cb", "--public")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"client_id": "spa", "client_secret": None}


def test_clients_add_explains_a_refusal(panda):
    run(panda, "clients", "add", "dup", "--redirect-uri", "https://d.example.test/cb")
    result = run(panda, "clients", "add", "dup", "--redirect-uri", "https://d.example.test/cb")
    assert result.exit_code != 0 and "already exists" in result.output
    result = run(panda, "clients", "add", "odd", "--redirect-uri", "javascript:alert(1)")
    assert result.exit_code != 0 and "http" in result.output


def test_clients_list_shows_clients_without_secrets(panda):
    added = json.loads(run(panda, "clients", "add", "listed", "--redirect-uri", "https://l.example.test/cb").output)
    result = run(panda, "clients", "list")
    assert result.exit_code == 0
    assert "listed (confidential" in result.output and "https://l.example.test/cb" in result.output
    assert added["client_secret"] not in result.output
    rows = json.loads(run(panda, "clients", "list", "--json").output)
    assert [r["client_id"] for r in rows] == ["listed"]


def test_keys_rotate_and_list(panda, panda_client):
    first_kid = panda_client.get("/jwks").json["keys"][0]["kid"]
    result = run(panda, "keys", "rotate")
    assert result.exit_code == 0, result.output
    kids = [key["kid"] for key in panda_client.get("/jwks").json["keys"]]
    assert len(kids) == 2 and kids[1] == first_kid and kids[0] in result.output
    listing = run(panda, "keys", "list").output.splitlines()
    assert "active" in listing[0] and kids[0] in listing[0]
    assert "retiring" in listing[1] and first_kid in listing[1]


def test_tokens_purge_deletes_what_expired_and_keeps_live_grants(panda, panda_db, browser, make_rp):
    import datetime as dt

    from sqlalchemy import func, select, update

    from panda_portal.oidc.models import AccessToken, AuthorizationCode, OidcClient, RefreshToken, TokenFamily
    from shared.database import utcnow
    from tests.portal.oidc.helpers import Flow

    live = Flow(browser, make_rp())
    live_tokens = live.tokens()
    stale = Flow(browser, make_rp())
    stale.tokens()
    past = utcnow() - dt.timedelta(seconds=1)
    panda_db.session.execute(update(AccessToken).values(expires_at=past))
    panda_db.session.execute(update(AuthorizationCode).values(expires_at=past))
    stale_family = panda_db.session.execute(
        select(TokenFamily.id).join(TokenFamily.client).where(OidcClient.client_id == stale.rp.client_id)
    ).scalar_one()
    panda_db.session.execute(update(RefreshToken).where(RefreshToken.family_id == stale_family).values(expires_at=past))
    panda_db.session.commit()

    result = run(panda, "tokens", "purge")
    assert result.exit_code == 0, result.output

    def count(model):
        return panda_db.session.execute(select(func.count()).select_from(model)).scalar_one()

    assert count(AccessToken) == 0 and count(AuthorizationCode) == 0
    assert count(RefreshToken) == 1 and count(TokenFamily) == 1
    assert live.refresh(live_tokens["refresh_token"]).status_code == 200


def test_registering_and_changing_a_client_is_in_the_audit_log(panda, panda_db):
    from sqlalchemy import select

    from panda_portal.audit.models import AuditEvent
    from panda_portal.oidc.services import ensure_client

    assert run(panda, "clients", "add", "audited", "--redirect-uri", "https://a.example.test/cb").exit_code == 0
    ensure_client("audited", ["https://a.example.test/cb", "https://a.example.test/cb2"])
    ensure_client("audited", ["https://a.example.test/cb", "https://a.example.test/cb2"])  # no change
    events = (
        panda_db.session.execute(
            select(AuditEvent).where(AuditEvent.target_type == "client").order_by(AuditEvent.occurred_at)
        )
        .scalars()
        .all()
    )
    assert [e.action for e in events] == ["client.registered", "client.updated"]
    assert events[1].after["redirect_uris"] == ["https://a.example.test/cb", "https://a.example.test/cb2"]
    assert events[1].actor_label == "operator (command line)"


def test_a_client_cannot_require_an_application_that_does_not_exist(panda):
    result = run(
        panda,
        "clients",
        "add",
        "typo",
        "--redirect-uri",
        "https://t.example.test/cb",
        "--requires-grant",
        "suport_community",
    )
    assert result.exit_code != 0
    assert "suport_community" in result.output and "support_community" in result.output
