"""Your data: the download (Panda's part and the client applications'), and deleting the account."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select, update

from panda_portal.accounts.models import Account, WebSession
from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.models import Role
from tests.portal.accounts.clients import register_rp
from tests.portal.factories import PASSWORD, sign_in_client
from tests.portal.mfa.helpers import turn_on
from tests.portal.oidc.conftest import _reuse_generated_keys, _rsa_key_pool  # noqa: F401  (autouse: quick RSA keys)
from tests.portal.oidc.helpers import verify_jwt
from tests.support import free_port


@dataclass
class ClientBackChannel:
    """A client application's back-channel endpoint: keeps what it gets, answers ``status`` and ``answer``."""

    status: int = 202
    answer: dict | None = None
    received: list[dict] = field(default_factory=list)

    def start(self) -> ClientBackChannel:
        channel = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                channel.received.append(
                    {"content_type": self.headers.get("Content-Type"), "body": self.rfile.read(length).decode()}
                )
                body = json.dumps(channel.answer).encode() if channel.answer is not None else b""
                self.send_response(channel.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/auth/backchannel-logout"

    def of_type(self, content_type: str) -> list[str]:
        return [r["body"] for r in self.received if r["content_type"] == content_type]


@pytest.fixture()
def rp_factory(panda_db):
    """``rp_factory(backchannel_logout_uri=…)``: a confidential client application."""
    return lambda **kwargs: register_rp(panda_db, **kwargs)


@pytest.fixture()
def channel():
    started = ClientBackChannel().start()
    yield started
    started.stop()


@pytest.fixture()
def ann(make_account):
    return make_account(email="ann@example.org", name="Ann Peeters")


@pytest.fixture()
def browser(panda, panda_db, ann):
    client = panda.test_client()
    client.csrf_page = "/account/data"
    panda_db.session.commit()
    sign_in_client(client, ann)
    return client


def archive_of(response) -> dict[str, object]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def download(browser, password: str = PASSWORD):
    """Download as someone without two-step verification does: with the password."""
    return browser.post_form("/account/data", {"password": password})


# -- the download ------------------------------------------------------------------------------------
def test_the_archive_holds_panda_s_part_and_each_client_s_part_asked_with_a_signed_request(
    panda, panda_db, ann, browser, rp_factory, make_org, make_membership, channel
):
    org = make_org(name="Bakkerij Peeters BV")
    make_membership(ann, org, role=Role.ADMIN, grants=["support_community"])
    listener = rp_factory(backchannel_logout_uri=channel.url)
    channel.status, channel.answer = 200, {"cases_opened": [{"number": "CS-2026-000001"}]}

    files = archive_of(download(browser))

    assert files["panda/account.json"]["email"] == "ann@example.org"
    assert files["panda/organizations.json"][0]["organization"]["name"] == "Bakkerij Peeters BV"
    assert files[f"applications/{listener.client_id}.json"] == {
        "application": listener.client_id,
        "available": True,
        "data": {"cases_opened": [{"number": "CS-2026-000001"}]},
    }
    assert files["README.json"]["complete"] is True
    [request] = channel.of_type("application/jwt")
    token = verify_jwt(browser, request)
    assert token.header["typ"] == "personal-data-request+jwt"
    assert token.claims["aud"] == listener.client_id and token.claims["sub"] == str(ann.id)
    assert token.claims["exp"] - token.claims["iat"] <= 120


def test_no_secret_is_in_the_archive(panda, panda_db, ann, browser):
    with panda.test_request_context("/"):
        secret, codes = turn_on(ann)
    panda_db.session.refresh(ann)
    with browser.session_transaction() as session:
        session["second_factor_at"] = int(time.time())  # given just now
    files = archive_of(browser.post_form("/account/data", {}))
    raw = json.dumps(files)
    assert files["panda/account.json"]["two_step_verification"]["unused_recovery_codes"] == 10
    assert secret not in raw and ann.password_hash not in raw
    assert not any(code in raw for code in codes)


def test_a_client_that_cannot_be_reached_is_named_in_the_archive(panda, panda_db, ann, browser, rp_factory):
    down = rp_factory(backchannel_logout_uri=f"http://127.0.0.1:{free_port()}/auth/backchannel-logout")

    files = archive_of(download(browser))

    assert files[f"applications/{down.client_id}.json"]["available"] is False
    assert files["README.json"]["complete"] is False
    assert files["README.json"]["applications_unavailable"] == [down.client_id]
    assert files["panda/account.json"]["email"] == "ann@example.org"  # Panda's part is there all the same


def test_the_download_needs_the_forms_token(panda, ann, browser):
    response = browser.post("/account/data")
    assert response.status_code == 400 and response.mimetype == "text/html"


# -- deletion ------------------------------------------------------------------------------------
def delete(browser, password: str = PASSWORD, understood: bool = True):
    data = {"password": password}
    if understood:
        data["understood"] = "y"
    return browser.post_form("/account/delete", data, page="/account/delete")


def test_the_last_administrator_of_an_organization_is_shown_the_way_out_and_kept(
    panda, panda_db, ann, browser, make_org, make_membership
):
    org = make_org(name="Bakkerij Peeters BV")
    make_membership(ann, org, role=Role.ADMIN)
    panda_db.session.commit()

    page = browser.get("/account/delete").get_data(as_text=True)
    assert "Bakkerij Peeters BV" in page and f"/orgs/{org.id}/members" in page

    response = delete(browser)
    assert response.status_code == 400
    assert panda_db.session.get(Account, ann.id) is not None


def test_with_another_administrator_the_account_can_go(
    panda, panda_db, ann, browser, make_org, make_membership, make_account
):
    org = make_org()
    make_membership(ann, org, role=Role.ADMIN)
    make_membership(make_account(), org, role=Role.ADMIN)
    panda_db.session.commit()
    account_id = ann.id
    assert delete(browser).status_code == 200
    panda_db.session.expire_all()
    assert panda_db.session.get(Account, account_id) is None


def test_a_wrong_password_or_no_tick_deletes_nothing(panda, panda_db, ann, browser):
    assert delete(browser, password="certainly not the password").status_code == 400
    assert delete(browser, understood=False).status_code == 400
    panda_db.session.expire_all()
    assert panda_db.session.get(Account, ann.id) is not None


def test_with_two_step_verification_a_recent_second_factor_is_asked(panda, panda_db, ann, browser):
    with panda.test_request_context("/"):
        turn_on(ann)
    response = browser.get("/account/delete")
    assert response.status_code == 302 and "/account/two-step/confirm" in response.headers["Location"]


def test_deleting_removes_the_account_ends_every_session_keeps_a_pseudonymous_audit_and_tells_the_clients(
    panda, panda_db, ann, browser, rp_factory, channel, deliver, mail_sink
):
    from panda_portal.accounts.services.personal_data import pseudonym

    listener = rp_factory(backchannel_logout_uri=channel.url)
    elsewhere = panda.test_client()
    sign_in_client(elsewhere, ann)
    browser.post_form("/account", {"name": "Ann Peeters", "language": "en"}, page="/account")  # an audit entry
    account_id = ann.id

    response = delete(browser)

    assert response.status_code == 200 and "Your account is deleted" in response.get_data(as_text=True)
    panda_db.session.expire_all()
    assert panda_db.session.get(Account, account_id) is None
    assert (
        panda_db.session.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.subject == str(account_id))
        )
        == 0
    )
    assert elsewhere.get("/account").status_code in (302, 401)
    audit = json.dumps(
        [
            [event.actor_label, event.before, event.after, event.ip_address, event.user_agent]
            for event in panda_db.session.execute(select(AuditEvent)).scalars()
        ]
    )
    assert "ann@example.org" not in audit and "Ann Peeters" not in audit
    assert pseudonym(account_id) in audit
    # The client heard it at once: a logout token, then the signed account-deleted event.
    [event] = channel.of_type("application/secevent+jwt")
    token = verify_jwt(browser, event)
    assert token.header["typ"] == "account-event+jwt"
    assert token.claims["sub"] == str(account_id) and token.claims["aud"] == listener.client_id
    assert token.claims["events"] == {"urn:panda:event:account-deleted": {}}
    assert any(r["content_type"] == "application/x-www-form-urlencoded" for r in channel.received)
    assert "deleted" in deliver("ann@example.org").subject


def test_a_client_down_during_the_deletion_gets_the_event_later_and_the_deletion_stands(
    panda, panda_db, ann, browser, rp_factory
):
    from panda_portal.outbox.models import OutboxMessage
    from panda_portal.outbox.services import outbox
    from shared.database import utcnow

    port = free_port()
    rp_factory(backchannel_logout_uri=f"http://127.0.0.1:{port}/auth/backchannel-logout")
    account_id = ann.id

    assert delete(browser).status_code == 200

    panda_db.session.expire_all()
    assert panda_db.session.get(Account, account_id) is None
    assert browser.get("/account").status_code in (302, 401)  # signed out here
    row = panda_db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "account_event")).scalar_one()
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1 and row.last_error

    # The client comes back: the outbox sends a freshly signed event.
    channel = ClientBackChannel()
    channel.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(channel))
    threading.Thread(target=channel.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        panda_db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        panda_db.session.commit()
        outbox.deliver_due(panda)
    finally:
        channel.server.shutdown()
        channel.server.server_close()
    panda_db.session.expire_all()
    assert panda_db.session.get(OutboxMessage, row.id).sent_at is not None
    [event] = channel.of_type("application/secevent+jwt")
    assert verify_jwt(panda.test_client(), event).claims["sub"] == str(account_id)


def _handler_for(channel: ClientBackChannel):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            channel.received.append(
                {"content_type": self.headers.get("Content-Type"), "body": self.rfile.read(length).decode()}
            )
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler
