"""A reply to a case mail becomes a message on its case; anything else gets a short answer, or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import Attachment, CaseMessage, MessageKind, Status
from support_community.cases.services import conversation
from support_community.extensions import db
from support_community.inbound import processing
from support_community.inbound.models import InboundState
from support_community.outbox.services import outbox
from tests.community.factories import make_agent, make_case, make_person, withdraw
from tests.community.files import EXE, PDF
from tests.community.inbound.mails import message, receive, reply_to, rows
from tests.support import CaughtMail

ANN = "ann@example.test"


def deliver(app) -> None:
    db.session.commit()
    outbox.deliver_due(app)


def replies(case) -> list[CaseMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id, CaseMessage.kind == MessageKind.REPLY)
            .order_by(CaseMessage.created_at)
        )
    )


@pytest.fixture()
def case_mail(community, mail_sink):
    """A case of Ann's and the mail she got about an agent's reply on it."""
    ann = make_person(name="Ann Accountant", email=ANN, locale="en")
    agent = make_agent(email="sam@vendor.test")
    case = make_case(ann, subject="VAT return", description="Box 54 and box 59 differ by one cent.", assignee=agent)
    conversation.agent_reply(case, actor=agent, body="Please send us the VAT export of January.")
    deliver(community)
    caught = mail_sink.last_to(ANN)
    mail_sink.clear()
    return case, ann, agent, caught


def short_answer(mail_sink, address: str) -> CaughtMail:
    mails = mail_sink.to(address)
    assert len(mails) == 1, [m.subject for m in mail_sink.messages]
    return mails[0]


def assert_no_case_content(mail: CaughtMail, case) -> None:
    for secret in (case.number, case.subject, case.organization_name, "VAT export", "Box 54", str(case.id)):
        assert secret not in mail.subject and secret not in mail.text and secret not in mail.html


# -- a reply that becomes a message -----------------------------------------------------------------
def test_a_reply_mailed_to_the_case_appears_in_its_conversation_without_the_quoted_text(
    community, mail_sink, case_mail
):
    case, ann, agent, caught = case_mail

    receive(reply_to(caught, "Here is the export you asked for.\n\nKind regards,\nAnn"))

    [reply] = replies(case)[1:]
    assert reply.body == "Here is the export you asked for."
    assert reply.author_sub == ann.sub and not reply.by_agent
    assert [row.outcome for row in rows()] == ["added"]
    deliver(community)
    # The agent hears of it as of a reply on the page; the customer gets no answer of ours.
    assert "Here is the export you asked for." in mail_sink.last_to("sam@vendor.test").text
    assert mail_sink.to(ANN) == []


def test_the_senders_address_is_recognised_whatever_its_capitals(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    mail = reply_to(caught, "Here it is, from my laptop.", sender="Ann Accountant <ANN@Example.TEST>")

    receive(mail)

    assert replies(case)[-1].body == "Here it is, from my laptop."


def test_an_html_only_reply_is_reduced_to_its_text(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    html = (
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>The export is <b>attached</b> &amp; checked.</p><img src=x onerror=alert(1)>"
        '<div class="gmail_quote">On Fri, Sam wrote:<blockquote><p>Please send us the VAT export.</p>'
        "</blockquote></div></body></html>"
    )

    receive(message(to=str(caught.message["Reply-To"]), sender=ANN, text=None, html=html))

    assert replies(case)[-1].body == "The export is attached & checked."


def test_a_reply_to_a_solved_case_reopens_it(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    case.status, case.solved_at = Status.SOLVED, utcnow() - dt.timedelta(days=2)
    db.session.commit()

    receive(reply_to(caught, "It happens again since this morning."))

    db.session.refresh(case)
    assert case.status == Status.IN_PROGRESS
    assert replies(case)[-1].body == "It happens again since this morning."


def test_an_agent_replies_to_the_customer_by_mail(community, mail_sink):
    ann = make_person(email=ANN)
    agent = make_agent(email="sam@vendor.test")
    case = make_case(ann, assignee=agent)
    conversation.customer_reply(case, actor=ann, body="Any news?")
    deliver(community)
    caught = mail_sink.last_to("sam@vendor.test")
    mail_sink.clear()

    receive(reply_to(caught, "We found it: a rounding rule. Fixed in 4.2."))

    reply = replies(case)[-1]
    assert reply.by_agent and reply.body == "We found it: a rounding rule. Fixed in 4.2."
    deliver(community)
    assert "We found it: a rounding rule." in mail_sink.last_to(ANN).text


# -- attachments: the web's checks ----------------------------------------------------------------------
def test_an_attached_file_is_checked_and_kept_like_a_web_upload(community, mail_sink, case_mail, store):
    case, _ann, _agent, caught = case_mail

    receive(reply_to(caught, "The export.", attachments=[("export.pdf", PDF, "application/pdf")]))

    files = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(f.filename, f.content_type, f.size) for f in files] == [("export.pdf", "application/pdf", len(PDF))]
    assert files[0].message_id == replies(case)[-1].id


def test_a_file_a_web_upload_would_refuse_is_refused_and_the_sender_told_why(community, mail_sink, case_mail, store):
    case, _ann, _agent, caught = case_mail

    receive(reply_to(caught, "Run this tool.", attachments=[("tool.pdf", EXE, "application/pdf")]))

    assert len(replies(case)) == 1  # only the agent's
    assert db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all() == []
    deliver(community)
    answer = short_answer(mail_sink, ANN)
    assert "“tool.pdf” is not a type of file that can be attached" in answer.text
    assert answer.message["Auto-Submitted"] == "auto-replied"
    assert [row.outcome for row in rows()] == ["refused"]


# -- refused, with a short answer that tells nothing of the case -----------------------------------------
def test_a_stranger_replying_to_the_case_address_is_not_added_and_learns_nothing_of_the_case(
    community, mail_sink, case_mail
):
    case, _ann, _agent, caught = case_mail

    receive(reply_to(caught, "Give me the export too.", sender="mallory@attacker.example"))

    assert len(replies(case)) == 1
    deliver(community)
    answer = short_answer(mail_sink, "mallory@attacker.example")
    assert "sent from an address that this reply address was not given to" in answer.text
    assert answer.message["In-Reply-To"]
    assert_no_case_content(answer, case)
    assert [row.outcome for row in rows()] == ["unknown_sender"]


def test_a_colleague_who_may_see_the_case_cannot_use_an_address_given_to_someone_else(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    colleague = make_person(email="bart@example.test")
    from tests.community.factories import grant

    grant(colleague, case.organization_id)

    receive(reply_to(caught, "I will send it.", sender="bart@example.test"))

    assert len(replies(case)) == 1
    assert [row.outcome for row in rows()] == ["unknown_sender"]


def test_someone_who_lost_access_to_the_organization_is_told_so_and_not_added(community, mail_sink, case_mail):
    case, ann, _agent, caught = case_mail
    withdraw(ann, case.organization_id)

    receive(reply_to(caught, "Here it is."))

    assert len(replies(case)) == 1
    deliver(community)
    answer = short_answer(mail_sink, ANN)
    assert "you can no longer act for the organization" in answer.text
    assert_no_case_content(answer, case)


def test_a_tampered_reply_address_is_refused(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    address = str(caught.message["Reply-To"])
    local, _, domain = address.partition("@")
    # Another case id with the same signatures: the case signature no longer fits.
    token = local.split("+", 1)[1]
    flipped = token[:5] + ("a" if token[5] != "a" else "b") + token[6:]

    receive(message(to=f"support+{flipped}@{domain}", sender=ANN, text="Hello"))

    assert len(replies(case)) == 1
    deliver(community)
    answer = short_answer(mail_sink, ANN)
    assert "not a valid reply address" in answer.text
    assert [row.outcome for row in rows()] == ["bad_address"]


def test_a_case_finished_past_the_reopen_window_is_not_reopened_by_mail(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    case.status, case.closed_at = Status.CLOSED, utcnow() - dt.timedelta(days=45)
    db.session.commit()

    receive(reply_to(caught, "It is back."))

    db.session.refresh(case)
    assert case.status == Status.CLOSED and len(replies(case)) == 1
    deliver(community)
    answer = short_answer(mail_sink, ANN)
    assert "can no longer be reopened" in answer.text and "30 days" in answer.text
    assert_no_case_content(answer, case)


def test_the_short_answer_is_in_the_senders_language(community, mail_sink):
    anne = make_person(email="anne@example.test", locale="nl")
    case = make_case(anne)
    conversation.agent_reply(case, actor=make_agent(), body="Kunt u de export sturen?")
    deliver(community)
    caught = mail_sink.last_to("anne@example.test")
    withdraw(anne, case.organization_id)
    mail_sink.clear()

    receive(reply_to(caught, "Hierbij."))
    deliver(community)

    answer = short_answer(mail_sink, "anne@example.test")
    assert "u kunt niet langer optreden voor de organisatie" in answer.text.lower()


def test_a_reply_with_only_quoted_text_is_answered_not_added(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail

    receive(reply_to(caught, ""))

    assert len(replies(case)) == 1
    assert [row.outcome for row in rows()] == ["empty"]


def test_short_answers_to_one_address_stop_after_a_few_an_hour(community, mail_sink, case_mail):
    _case, _ann, _agent, caught = case_mail
    for number in range(8):
        receive(reply_to(caught, f"Attempt {number}", sender="mallory@attacker.example"))
    deliver(community)

    assert len(mail_sink.to("mallory@attacker.example")) == 5


# -- mail no person wrote ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers, envelope_sender",
    [
        ({"Auto-Submitted": "auto-replied"}, None),
        ({"Precedence": "bulk"}, None),
        ({"Precedence": "junk"}, None),
        ({"Precedence": "list"}, None),
        ({"X-Auto-Response-Suppress": "All"}, None),
        ({"Return-Path": "<>"}, None),
        ({}, ""),
    ],
)
def test_auto_replies_bounces_and_lists_are_ignored(community, mail_sink, case_mail, headers, envelope_sender):
    case, _ann, _agent, caught = case_mail

    receive(reply_to(caught, "I am out of office until Monday.", headers=headers), envelope_sender=envelope_sender)

    assert len(replies(case)) == 1
    deliver(community)
    assert mail_sink.messages == []
    assert [row.outcome for row in rows()] == ["ignored"]


def test_our_own_mail_coming_back_is_ignored(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    looped = caught.message
    del looped["To"]
    looped["To"] = str(caught.message["Reply-To"])

    receive(looped.as_bytes())

    assert len(replies(case)) == 1
    deliver(community)
    assert mail_sink.messages == []


# -- nothing is lost ---------------------------------------------------------------------------------------
def test_a_mail_that_fails_processing_is_retried_and_then_added(community, mail_sink, case_mail, monkeypatch):
    case, _ann, _agent, caught = case_mail
    real_handle = processing.handle
    calls = {"count": 0}

    def failing_once(row):
        calls["count"] += 1
        if calls["count"] == 1:
            raise ConnectionError("Panda could not be asked")
        return real_handle(row)

    monkeypatch.setattr(processing, "handle", failing_once)

    receive(reply_to(caught, "Second try works."))

    [row] = rows()
    assert (row.state, row.attempts, len(replies(case))) == (InboundState.PENDING, 1, 1)
    assert "Panda could not be asked" in row.last_error
    row.next_attempt_at = utcnow()  # the back-off has passed
    db.session.commit()

    processing.process_due()

    [row] = rows()
    assert (row.state, row.outcome) == (InboundState.DONE, "added")
    assert replies(case)[-1].body == "Second try works."


def test_a_mail_that_never_succeeds_is_kept_as_failed_for_agents(community, mail_sink, case_mail, monkeypatch):
    _case, _ann, _agent, caught = case_mail
    monkeypatch.setattr(processing, "handle", lambda row: (_ for _ in ()).throw(RuntimeError("broken")))

    receive(reply_to(caught, "Lost?"))
    for _ in range(processing.MAX_ATTEMPTS):
        [row] = rows()
        row.next_attempt_at = utcnow()
        db.session.commit()
        processing.process_due()

    [row] = rows()
    assert row.state == InboundState.FAILED and row.attempts == processing.MAX_ATTEMPTS
    assert processing.failed() == [row]
    assert b"Lost?" in row.raw


def test_the_same_mail_stored_twice_is_added_once(community, mail_sink, case_mail):
    case, _ann, _agent, caught = case_mail
    mail = reply_to(caught, "Only once, please.")

    receive(mail)
    receive(mail)

    assert [m.body for m in replies(case)].count("Only once, please.") == 1


def test_what_became_of_each_mail_is_counted_for_the_metrics(community, mail_sink, case_mail):
    from shared.metrics import INBOUND_MAILS

    _case, _ann, _agent, caught = case_mail

    def count(outcome: str) -> float:
        return INBOUND_MAILS.labels(service="support_community", outcome=outcome)._value.get()

    before = {outcome: count(outcome) for outcome in ("added", "ignored", "unknown_sender")}
    receive(reply_to(caught, "Counted."))
    receive(reply_to(caught, "Out of office.", headers={"Auto-Submitted": "auto-replied"}))
    receive(reply_to(caught, "Who am I?", sender="mallory@attacker.example"))

    assert {outcome: count(outcome) - before[outcome] for outcome in before} == {
        "added": 1,
        "ignored": 1,
        "unknown_sender": 1,
    }
