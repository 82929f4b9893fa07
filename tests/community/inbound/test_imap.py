"""Replies read from a real IMAP mailbox (Dovecot): stored first, removed from the mailbox only after."""

from __future__ import annotations

import pytest
import sqlalchemy.exc

from support_community.inbound import receiving
from support_community.inbound.receiving import MailboxError
from tests.community.inbound.mails import bodies, message, reply_to, rows


def test_a_reply_in_the_mailbox_reaches_its_case_and_leaves_the_mailbox(community, mailbox, caught):
    case, mail = caught
    mailbox.deliver(reply_to(mail, "Version 4.1, on Windows.").as_bytes())

    receiving.work(community, once=True)

    assert bodies(case)[-1] == "Version 4.1, on Windows."
    assert mailbox.messages() == []
    assert [(row.source, row.outcome) for row in rows()] == [("imap", "added")]


def test_a_message_stays_in_the_mailbox_until_it_is_stored(community, mailbox, caught, monkeypatch):
    case, mail = caught
    raw = reply_to(mail, "Version 4.1.").as_bytes()
    mailbox.deliver(raw)

    def database_down(*args, **kwargs):
        raise sqlalchemy.exc.OperationalError("INSERT INTO inbound_messages", {}, ConnectionRefusedError())

    monkeypatch.setattr(receiving, "store", database_down)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        receiving.work(community, once=True)
    [kept] = mailbox.messages()
    assert b"Version 4.1." in kept
    assert rows() == []

    monkeypatch.undo()
    for key, value in mailbox.settings().items():  # undo() also took the mailbox's settings away
        monkeypatch.setitem(community.config, key, value)
    receiving.work(community, once=True)

    assert mailbox.messages() == []
    assert bodies(case)[-1] == "Version 4.1."


def test_several_replies_are_all_taken_in_one_round(community, mailbox, caught):
    case, mail = caught
    for text in ("First.", "Second.", "Third."):
        mailbox.deliver(reply_to(mail, text).as_bytes())

    receiving.work(community, once=True)

    assert bodies(case)[-3:] == ["First.", "Second.", "Third."]
    assert mailbox.messages() == []


def test_the_mailbox_is_read_over_tls(community, mailbox, caught):
    log = mailbox.folder / "dovecot.log"
    before = log.read_text()

    receiving.fetch(community)

    logins = [line for line in log.read_text()[len(before) :].splitlines() if "Login: user=<support>" in line]
    assert logins and all(", TLS," in line for line in logins), logins


def test_a_server_whose_certificate_is_not_trusted_is_refused(community, mailbox, monkeypatch, tmp_path):
    monkeypatch.setitem(community.config, "COMMUNITY_IMAP_CA_FILE", None)  # the system's authorities

    with pytest.raises(MailboxError, match="certificate"):
        receiving.fetch(community)


def test_while_the_database_is_unreachable_every_reply_stays_in_the_mailbox(community_without_database, dovecot):
    dovecot.empty()
    community_without_database.config.update(dovecot.settings())
    dovecot.deliver(message(to="support+x@community.localhost", sender="ann@example.test", text="Kept?").as_bytes())

    with community_without_database.app_context(), pytest.raises(sqlalchemy.exc.OperationalError):
        receiving.work(community_without_database, once=True)

    [kept] = dovecot.messages()
    assert b"Kept?" in kept
