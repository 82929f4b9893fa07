"""Replies by e-mail: a real IMAP server (Dovecot) for the mailbox, and case mails to reply to.

``dovecot`` is started once per run (skipped, with the reason, when Debian's
``dovecot-imapd`` is not installed; ``CI_REQUIRE_DOVECOT=1`` makes that a failure);
``mailbox`` empties it and points the community's IMAP settings at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.community.inbound.dovecot import DOVECOT, Dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        reason = f"Dovecot not found at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("CI_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"{reason}; CI_REQUIRE_DOVECOT=1 requires the IMAP tests to run", pytrace=False)
        pytest.skip(reason)
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture()
def mailbox(dovecot: Dovecot, community, monkeypatch) -> Dovecot:
    dovecot.empty()
    for key, value in dovecot.settings().items():
        monkeypatch.setitem(community.config, key, value)
    return dovecot


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
