"""``community mail failed|retry|show``: what could not be handled, for agents and operators."""

from __future__ import annotations

from support_community.extensions import db
from support_community.inbound import processing
from support_community.inbound.models import InboundState
from support_community.inbound.receiving import store
from tests.community.inbound.mails import message, rows


def failed_mail(subject: str = "Re: my case") -> int:
    store(
        message(to="support+x@community.localhost", sender="ann@example.test", subject=subject).as_bytes(),
        source="smtp",
    )
    db.session.commit()
    row = rows()[-1]
    row.state = InboundState.FAILED
    row.sender, row.subject, row.attempts, row.last_error = "ann@example.test", subject, 8, "OSError: disk full"
    db.session.commit()
    return row.id


def test_mail_failed_lists_what_could_not_be_handled(community):
    row_id = failed_mail()

    result = community.test_cli_runner().invoke(args=["mail", "failed"])

    assert result.exit_code == 0, result.output
    assert f"{row_id}\tann@example.test\tRe: my case\t8 attempt(s)" in result.output
    assert "OSError: disk full" in result.output and "1 failed mail(s)." in result.output


def test_mail_retry_gives_a_failed_mail_new_attempts(community):
    row_id = failed_mail()

    result = community.test_cli_runner().invoke(args=["mail", "retry", str(row_id), "999999"])

    assert result.exit_code == 1 and "999999: no failed mail with this id" in result.output
    [row] = rows()
    assert (row.state, row.attempts) == (InboundState.PENDING, 0)
    assert processing.failed() == []


def test_mail_show_prints_the_source(community):
    row_id = failed_mail()

    result = community.test_cli_runner().invoke(args=["mail", "show", str(row_id)])

    assert "From: ann@example.test" in result.output and "Subject: Re: my case" in result.output


def test_mail_fetch_without_a_mailbox_says_what_is_missing(community, monkeypatch):
    monkeypatch.setitem(community.config, "COMMUNITY_IMAP_HOST", None)

    result = community.test_cli_runner().invoke(args=["mail", "fetch", "--once"])

    assert result.exit_code != 0 and "COMMUNITY_IMAP_HOST" in result.output
