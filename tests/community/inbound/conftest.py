"""Replies by e-mail: a real IMAP server (Dovecot) for the mailbox, and case mails to reply to.

``dovecot`` is started once per run (skipped, with the reason, when Debian's
``dovecot-imapd`` is not installed; ``CI_REQUIRE_DOVECOT=1`` makes that a failure);
``mailbox`` empties it and points the community's IMAP settings at it (``mailbox_without_idle``:
a second Dovecot that does not offer IDLE). ``caught`` is a case and the mail its customer
got about it, to reply to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support_community.cases.services import conversation
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.factories import make_agent, make_case, make_person
from tests.community.inbound.dovecot import DOVECOT, Dovecot


def _dovecot(**options) -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        reason = f"Dovecot not found at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("CI_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"{reason}; CI_REQUIRE_DOVECOT=1 requires the IMAP tests to run", pytrace=False)
        pytest.skip(reason)
    server = Dovecot(**options).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    yield from _dovecot()


@pytest.fixture(scope="session")
def dovecot_without_idle() -> Iterator[Dovecot]:
    yield from _dovecot(capabilities="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS")


def _point_at(server: Dovecot, community, monkeypatch) -> Dovecot:
    server.empty()
    for key, value in server.settings().items():
        monkeypatch.setitem(community.config, key, value)
    return server


@pytest.fixture()
def mailbox(dovecot: Dovecot, community, monkeypatch) -> Dovecot:
    return _point_at(dovecot, community, monkeypatch)


@pytest.fixture()
def mailbox_without_idle(dovecot_without_idle: Dovecot, community, monkeypatch) -> Dovecot:
    return _point_at(dovecot_without_idle, community, monkeypatch)


@pytest.fixture()
def caught(community, mail_sink):
    """A case with an agent's reply, and the mail its customer (ann@example.test) got about it."""
    ann = make_person(email="ann@example.test")
    case = make_case(ann, assignee=make_agent(email="sam@vendor.test"))
    conversation.agent_reply(case, actor=case.assignee, body="Which version do you use?")
    db.session.commit()
    outbox.deliver_due(community)
    return case, mail_sink.last_to("ann@example.test")


@pytest.fixture()
def community_without_database(smtp_sink):
    """A community whose database cannot be reached (nothing listens on its port)."""
    from support_community import create_app
    from support_community.extensions import db
    from tests.community.auth.fake_op import CLIENT_ID, CLIENT_SECRET, COMMUNITY_URL
    from tests.support import base_config, free_port

    app = create_app(
        base_config(smtp_sink, f"postgresql://postgres@127.0.0.1:{free_port()}/gone")
        | {
            "PANDA_ISSUER": "http://panda.test",
            "COMMUNITY_URL": COMMUNITY_URL,
            "COMMUNITY_CLIENT_ID": CLIENT_ID,
            "COMMUNITY_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    yield app
    db.state(app).engine.dispose()
