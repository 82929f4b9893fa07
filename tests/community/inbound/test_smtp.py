"""Replies over SMTP (what `make run` listens for on 127.0.0.1:2525): the same pipeline as the mailbox."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import select

from support_community.cases.models import CaseMessage, MessageKind
from support_community.cases.services import conversation
from support_community.extensions import db
from support_community.inbound import processing, receiving
from support_community.outbox.services import outbox
from tests.community.factories import make_agent, make_case, make_person
from tests.community.inbound.mails import reply_to, rows
from tests.support import free_port


@pytest.fixture()
def smtp_port(community):
    port = free_port()
    controller = receiving.listen(community, "127.0.0.1", port)
    yield port
    controller.stop()


def send(port: int, mail) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(mail)


def test_a_reply_sent_over_smtp_appears_in_the_conversation_without_its_quote(community, mail_sink, smtp_port):
    ann = make_person(email="ann@example.test")
    case = make_case(ann, assignee=make_agent())
    conversation.agent_reply(case, actor=case.assignee, body="Could you send a screenshot?")
    db.session.commit()
    outbox.deliver_due(community)
    caught = mail_sink.last_to("ann@example.test")

    send(smtp_port, reply_to(caught, "I will, tomorrow morning."))
    processing.process_due()

    db.session.expire_all()
    body = db.session.scalars(
        select(CaseMessage.body)
        .where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.REPLY)
        .order_by(CaseMessage.created_at.desc())
    ).first()
    assert body == "I will, tomorrow morning."
    [row] = rows()
    assert (row.source, row.envelope_sender, row.outcome) == ("smtp", "ann@example.test", "added")


def test_while_the_database_is_unreachable_a_reply_over_smtp_is_deferred_not_lost(community_without_database):
    port = free_port()
    controller = receiving.listen(community_without_database, "127.0.0.1", port)
    try:
        from tests.community.inbound.mails import message

        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(port, message(to="support+x@community.localhost", sender="ann@example.test"))
    finally:
        controller.stop()

    assert refused.value.smtp_code == 451
