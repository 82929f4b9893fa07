"""Back-channel logout: queued in the outbox, signed at send time, delivered to a real HTTP receiver."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select, update

from tests.portal.oidc.helpers import ISSUER, verify_jwt
from tests.support import free_port

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Receiver:
    """A client's back-channel logout endpoint on 127.0.0.1, answering ``status``."""

    status: int = 200
    received: list[dict] = field(default_factory=list)
    port: int = 0

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                receiver.received.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "form": {k: v[0] for k, v in parse_qs(body).items()},
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/backchannel-logout"


@pytest.fixture()
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def outbox_rows(panda_db):
    from panda_portal.outbox.models import OutboxMessage

    panda_db.session.expire_all()
    return (
        panda_db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "backchannel_logout").order_by(OutboxMessage.id)
        )
        .scalars()
        .all()
    )


def deliver(panda, panda_db):
    from panda_portal.outbox.services import outbox

    panda_db.session.commit()
    return outbox.deliver_due(panda)


def test_a_message_is_queued_for_each_client_with_a_back_channel_uri(panda, make_rp, account, panda_db):
    from panda_portal.oidc.services import queue_backchannel_logout

    first = make_rp(backchannel_logout_uri="https://a.example.test/bc")
    second = make_rp(backchannel_logout_uri="https://b.example.test/bc")
    make_rp()  # no back-channel URI: nothing to tell
    assert queue_backchannel_logout(account, sid="s-1") == 2
    payloads = [row.payload for row in outbox_rows(panda_db)]
    assert payloads == [
        {"client_id": first.client_id, "sub": str(account.id), "sid": "s-1"},
        {"client_id": second.client_id, "sub": str(account.id), "sid": "s-1"},
    ]


def test_the_logout_token_is_signed_when_sent_and_posted_form_encoded(
    panda, panda_client, make_rp, account, panda_db, receiver
):
    from panda_portal.oidc.services import queue_backchannel_logout

    rp = make_rp(backchannel_logout_uri=receiver.url)
    queue_backchannel_logout(account, sid="sid-42")
    assert deliver(panda, panda_db) == (1, 0)

    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request["path"] == "/backchannel-logout"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    decoded = verify_jwt(panda_client, request["form"]["logout_token"])
    assert decoded.header["typ"] == "logout+jwt" and decoded.header["alg"] == "RS256"
    claims = decoded.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == rp.client_id
    assert claims["sub"] == str(account.id)
    assert claims["sid"] == "sid-42"
    assert claims["events"] == {EVENT: {}}
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert "nonce" not in claims
    assert outbox_rows(panda_db)[0].sent_at is not None


def test_without_a_sid_the_token_names_only_the_person(panda, panda_client, make_rp, account, panda_db, receiver):
    from panda_portal.oidc.services import queue_backchannel_logout

    make_rp(backchannel_logout_uri=receiver.url)
    queue_backchannel_logout(account)
    deliver(panda, panda_db)
    claims = verify_jwt(panda_client, receiver.received[0]["form"]["logout_token"]).claims
    assert claims["sub"] == str(account.id) and "sid" not in claims


def test_a_refusing_receiver_gets_the_message_again_later_with_a_fresh_token(
    panda, panda_client, make_rp, account, panda_db, receiver
):
    from panda_portal.oidc.services import queue_backchannel_logout
    from panda_portal.outbox.models import OutboxMessage
    from shared.database import utcnow

    make_rp(backchannel_logout_uri=receiver.url)
    queue_backchannel_logout(account, sid="sid-7")
    receiver.status = 503
    assert deliver(panda, panda_db) == (0, 1)
    row = outbox_rows(panda_db)[0]
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert "503" in row.last_error
    assert row.next_attempt_at > utcnow()

    receiver.status = 200
    panda_db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
    assert deliver(panda, panda_db) == (1, 0)
    first, second = (verify_jwt(panda_client, r["form"]["logout_token"]).claims for r in receiver.received)
    assert first["jti"] != second["jti"]
    assert outbox_rows(panda_db)[0].sent_at is not None


def test_an_unreachable_receiver_is_retried(panda, make_rp, account, panda_db):
    from panda_portal.oidc.services import queue_backchannel_logout

    make_rp(backchannel_logout_uri=f"http://127.0.0.1:{free_port()}/down")
    queue_backchannel_logout(account)
    assert deliver(panda, panda_db) == (0, 1)
    row = outbox_rows(panda_db)[0]
    assert row.sent_at is None and row.failed_at is None and row.last_error


def test_a_client_that_stopped_listening_is_not_called(panda, make_rp, account, panda_db, receiver):
    from panda_portal.oidc.services import get_client, queue_backchannel_logout

    rp = make_rp(backchannel_logout_uri=receiver.url)
    queue_backchannel_logout(account)
    get_client(rp.client_id).backchannel_logout_uri = None
    assert deliver(panda, panda_db) == (1, 0)
    assert receiver.received == []


def test_rp_initiated_logout_reaches_the_other_clients_through_the_outbox(
    panda, panda_client, make_rp, account, panda_db, receiver
):
    from tests.portal.oidc.helpers import Flow, sign_in_as

    listener = make_rp(backchannel_logout_uri=receiver.url)
    sid = sign_in_as(panda_client, account)
    Flow(panda_client, listener).tokens()
    initiator = Flow(panda_client, make_rp())
    hint = initiator.tokens()["id_token"]
    assert panda_client.get(f"/end-session?id_token_hint={hint}").status_code == 200
    deliver(panda, panda_db)
    claims = verify_jwt(panda_client, receiver.received[0]["form"]["logout_token"]).claims
    assert claims["aud"] == listener.client_id and claims["sid"] == sid
