"""Replying to a customer and writing an internal note: two different forms, a status in the same step, one mail."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from support_community.cases.models import Attachment, CaseEvent, CaseMessage, MessageKind, Status
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.factories import make_case, make_person
from tests.community.files import PDF


@pytest.fixture()
def customer():
    return make_person(name="Ann Accountant", email="ann@example.test")


def url(case, action: str = "") -> str:
    return f"/agent/cases/{case.id}" + (f"/{action}" if action else "")


def messages(case) -> list[CaseMessage]:
    return list(
        db.session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id, CaseMessage.kind != MessageKind.DESCRIPTION)
            .order_by(CaseMessage.created_at)
        )
    )


def status_events(case) -> list[tuple]:
    return [
        (e.old_value, e.new_value)
        for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.field == "status"))
    ]


def form_html(page: str, action: str) -> str:
    """The ``<form>`` that posts to ``action``."""
    match = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert match, action
    return match.group(0)


def test_the_reply_and_the_internal_note_are_two_forms_with_their_own_buttons(community_client, agent, customer):
    case = make_case(customer)
    page = community_client.get(url(case)).get_data(as_text=True)

    reply = form_html(page, url(case, "messages"))
    note = form_html(page, url(case, "notes"))

    assert "Send reply to customer" in reply and "Add internal note" not in reply
    assert 'name="internal"' not in reply  # no tick that turns a reply into a note, or back
    assert "Add internal note" in note and "Send reply to customer" not in note
    assert 'id="reply-title">Reply to customer<' in page
    assert 'id="note-title">Internal note<' in page
    assert "Never sent to the customer" in page
    assert 'class="card reply-customer"' in page and 'class="card note-internal"' in page


def test_an_internal_note_from_its_own_form_never_reaches_the_customer(
    community, community_client, agent, customer, mail_sink
):
    case = make_case(customer)
    activity = case.last_activity_at
    token = community_client.csrf_token(url(case))

    response = community_client.post(
        url(case, "notes"),
        data={
            "csrf_token": token,
            "note-body": "Zanzibar: escalated to R&D.",
            "note-attachments": (io.BytesIO(PDF), "trace.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    [note] = messages(case)
    assert (note.kind, note.body) == (MessageKind.INTERNAL_NOTE, "Zanzibar: escalated to R&D.")
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert attachment.is_internal and attachment.message_id == note.id
    db.session.refresh(case)
    assert case.last_activity_at == activity
    outbox.deliver_due(community)
    assert mail_sink.messages == []


def test_a_reply_and_a_new_status_in_one_submit_send_the_customer_one_mail(
    community, community_client, agent, customer, mail_sink
):
    case = make_case(customer)

    response = community_client.post_form(
        url(case, "messages"),
        {"body": "Which version do you run?", "new_status": "waiting_for_customer"},
        page=url(case),
    )

    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == Status.WAITING_FOR_CUSTOMER
    assert status_events(case) == [("new", "waiting_for_customer")]
    [reply] = messages(case)
    assert reply.kind == MessageKind.REPLY
    outbox.deliver_due(community)
    [mail] = mail_sink.to("ann@example.test")
    assert "Which version do you run?" in mail.text
    assert "Waiting for customer" in mail.text
    flashed = community_client.get(url(case)).get_data(as_text=True)
    assert "Your reply is sent to the customer." in flashed and "The case is now “Waiting for customer”." in flashed


def test_a_reply_solving_the_case_with_a_file_sends_one_mail(community, community_client, agent, customer, mail_sink):
    case = make_case(customer, status=Status.IN_PROGRESS)
    token = community_client.csrf_token(url(case))

    response = community_client.post(
        url(case, "messages"),
        data={
            "csrf_token": token,
            "body": "Fixed in 12.3, see the release notes.",
            "new_status": "solved",
            "attachments": (io.BytesIO(PDF), "release-notes.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == Status.SOLVED and case.solved_at is not None
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert not attachment.is_internal
    outbox.deliver_due(community)
    assert len(mail_sink.to("ann@example.test")) == 1


def test_a_note_with_a_new_status_tells_the_customer_the_status_and_never_the_note(
    community, community_client, agent, customer, mail_sink
):
    case = make_case(customer)

    response = community_client.post_form(
        url(case, "notes"), {"note-body": "Quokka: wait for R&D.", "note-new_status": "in_progress"}, page=url(case)
    )

    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == Status.IN_PROGRESS
    [note] = messages(case)
    assert note.kind == MessageKind.INTERNAL_NOTE
    outbox.deliver_due(community)
    [mail] = mail_sink.to("ann@example.test")
    assert "Quokka" not in mail.subject + mail.text + mail.html
    assert "In progress" in mail.text


def test_a_reply_with_a_status_the_case_cannot_move_to_changes_nothing(
    community, community_client, agent, customer, mail_sink
):
    case = make_case(customer, status=Status.CLOSED)

    response = community_client.post_form(
        url(case, "messages"), {"body": "Solved after all.", "new_status": "solved"}, page=url(case)
    )

    assert response.status_code == 400
    db.session.refresh(case)
    assert case.status == Status.CLOSED
    assert messages(case) == []
    outbox.deliver_due(community)
    assert mail_sink.messages == []


def test_a_reply_keeping_the_status_sends_the_reply_mail_only(community, community_client, agent, customer, mail_sink):
    case = make_case(customer, status=Status.IN_PROGRESS)

    community_client.post_form(url(case, "messages"), {"body": "Still looking.", "new_status": ""}, page=url(case))

    db.session.refresh(case)
    assert case.status == Status.IN_PROGRESS and status_events(case) == []
    outbox.deliver_due(community)
    [mail] = mail_sink.to("ann@example.test")
    assert "Still looking." in mail.text


def test_an_empty_note_is_refused_on_the_note_form_and_keeps_the_reply_form_empty(community_client, agent, customer):
    case = make_case(customer)

    response = community_client.post_form(url(case, "notes"), {"note-body": "  "}, page=url(case))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Write a note first." in page
    assert messages(case) == []


def test_a_note_without_its_token_is_refused(community_client, agent, customer):
    case = make_case(customer)
    assert community_client.post(url(case, "notes"), data={"note-body": "x"}).status_code == 400
    assert messages(case) == []


def test_a_note_file_of_the_wrong_type_is_refused(community_client, agent, customer):
    case = make_case(customer)
    token = community_client.csrf_token(url(case))

    response = community_client.post(
        url(case, "notes"),
        data={
            "csrf_token": token,
            "note-body": "Script attached.",
            "note-attachments": (io.BytesIO(b"MZ\x90\x00binary"), "tool.exe"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert messages(case) == []
    assert db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all() == []


def test_a_customer_cannot_post_an_internal_note(community_client, login, customer):
    from tests.community.auth.fake_op import org

    peeters = org("Bakkerij Peeters BV")
    login(orgs=[peeters])
    case = make_case(customer, organization_id=peeters["id"])
    assert community_client.post_form(url(case, "notes"), {"note-body": "hi"}).status_code == 403
