"""An agent's view of a case: the whole conversation, replies and internal notes, assignment, status, severity."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import select

from support_community.cases.models import Attachment, CaseEvent, CaseMessage, MessageKind, Severity, Status
from support_community.cases.services import attachments
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.auth.fake_op import login_as, org
from tests.community.factories import make_agent, make_case, make_person
from tests.community.files import PDF, upload


def url(case, action: str = "") -> str:
    return f"/agent/cases/{case.id}" + (f"/{action}" if action else "")


def page_of(client, case) -> str:
    response = client.get(url(case))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def messages(case) -> list[CaseMessage]:
    return list(
        db.session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id, CaseMessage.kind != MessageKind.DESCRIPTION)
            .order_by(CaseMessage.created_at)
        )
    )


def events(case, field: str) -> list[tuple]:
    return [
        (e.old_value, e.new_value, e.actor_sub)
        for e in db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.field == field)
            .order_by(CaseEvent.created_at)
        )
    ]


@pytest.fixture()
def customer():
    return make_person(name="Ann Accountant", email="ann@example.test")


def test_the_case_shows_the_whole_conversation_with_internal_notes_marked(community_client, agent, customer):
    case = make_case(customer, organization_name="Bakkerij Peeters BV", description="Box 54 is wrong.")
    db.session.add(
        CaseMessage(
            case_id=case.id,
            author_sub=agent.sub,
            kind=MessageKind.INTERNAL_NOTE,
            body="Known bug #4711.",
            by_agent=True,
        )
    )

    page = page_of(community_client, case)

    assert "Box 54 is wrong." in page and "Known bug #4711." in page
    assert "Internal note — not visible to the customer" in page
    assert "Ann Accountant for Bakkerij Peeters BV" in page
    assert case.number in page


def test_an_unknown_case_is_not_found(community_client, agent):
    assert community_client.get(f"/agent/cases/{uuid.uuid4()}").status_code == 404
    assert community_client.get("/agent/cases/not-a-uuid").status_code == 404


def test_a_customer_cannot_open_a_case_through_the_agent_url(community_client, login, customer):
    peeters = org("Bakkerij Peeters BV")
    login(orgs=[peeters])
    case = make_case(customer, organization_id=peeters["id"])
    assert community_client.get(url(case)).status_code == 403
    assert community_client.post_form(url(case, "messages"), {"body": "hi"}).status_code == 403


def test_a_public_reply_is_added_and_mailed_to_the_customer(community, community_client, agent, customer, mail_sink):
    case = make_case(customer)

    response = community_client.post_form(url(case, "messages"), {"body": "Please send the export."}, page=url(case))

    assert response.status_code == 302
    [reply] = messages(case)
    assert (reply.kind, reply.by_agent, reply.author_sub) == (MessageKind.REPLY, True, agent.sub)
    outbox.deliver_due(community)
    assert "Please send the export." in mail_sink.last_to("ann@example.test").text


def test_an_internal_note_is_added_without_a_mail(community, community_client, agent, customer, mail_sink):
    case = make_case(customer)
    activity = case.last_activity_at

    response = community_client.post_form(
        url(case, "messages"), {"body": "Escalated to R&D.", "internal": "y"}, page=url(case)
    )

    assert response.status_code == 302
    [note] = messages(case)
    assert note.kind == MessageKind.INTERNAL_NOTE
    db.session.refresh(case)
    assert case.last_activity_at == activity  # customers see that date: nothing to notice
    outbox.deliver_due(community)
    assert mail_sink.messages == []


def test_an_empty_reply_is_refused_and_keeps_the_page(community_client, agent, customer):
    case = make_case(customer)
    response = community_client.post_form(url(case, "messages"), {"body": "   "}, page=url(case))
    assert response.status_code == 400
    assert "Write a message first." in response.get_data(as_text=True)
    assert messages(case) == []


def test_a_form_without_its_token_is_refused(community_client, agent, customer):
    case = make_case(customer)
    assert community_client.post(url(case, "messages"), data={"body": "x"}).status_code == 400
    assert messages(case) == []


def test_a_reply_can_carry_files_and_a_note_keeps_its_files_internal(community_client, agent, customer):
    case = make_case(customer)
    token = community_client.csrf_token(url(case))

    response = community_client.post(
        url(case, "messages"),
        data={
            "csrf_token": token,
            "body": "Our analysis.",
            "internal": "y",
            "attachments": (io.BytesIO(PDF), "analysis.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert attachment.is_internal and attachment.filename == "analysis.pdf"
    download = community_client.get(url(case, f"attachments/{attachment.id}"))
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_an_agent_downloads_a_file_with_the_same_headers_as_its_customers(
    community, community_client, agent, fake_panda, store
):
    peeters = org("Bakkerij Peeters BV")
    ann = fake_panda.add_user(name="Ann Accountant", email="ann@example.test", orgs=[peeters])
    customer = make_person(ann.sub, name=ann.name, email=ann.email)
    case = make_case(customer, organization_id=peeters["id"], organization_name=peeters["name"])
    [attachment] = attachments.store_files(
        case, attachments.check_files([upload("Aangifte btw – Q1 “2026”.pdf", PDF)]), actor=customer
    )
    customer_browser = community.test_client()
    login_as(customer_browser, fake_panda, ann)

    customers = customer_browser.get(f"/orgs/{peeters['id']}/cases/{case.id}/attachments/{attachment.id}")
    agents = community_client.get(url(case, f"attachments/{attachment.id}"))

    assert customers.status_code == agents.status_code == 200
    assert agents.data == customers.data == PDF
    for header in (
        "Content-Type",
        "Content-Length",
        "Content-Disposition",
        "X-Content-Type-Options",
        "Cache-Control",
        "Content-Security-Policy",
    ):
        assert agents.headers.get(header) == customers.headers.get(header), header
    assert agents.headers["Cache-Control"] == "private, no-store"
    assert agents.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert agents.headers["Content-Disposition"] == (
        'attachment; filename="Aangifte btw  Q1 2026.pdf"; '
        "filename*=UTF-8''Aangifte%20btw%20%E2%80%93%20Q1%20%E2%80%9C2026%E2%80%9D.pdf"
    )


def test_a_file_of_the_wrong_type_is_refused(community_client, agent, customer):
    case = make_case(customer)
    token = community_client.csrf_token(url(case))
    response = community_client.post(
        url(case, "messages"),
        data={
            "csrf_token": token,
            "body": "See attached.",
            "attachments": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "invoice.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "invoice.pdf" in response.get_data(as_text=True)
    assert messages(case) == []


def test_an_attachment_of_another_case_is_not_found(community_client, agent, customer):
    case = make_case(customer)
    other = make_case(customer)
    attachment = Attachment(
        case_id=other.id,
        uploaded_by_sub=customer.sub,
        filename="a.pdf",
        content_type="application/pdf",
        size=3,
        sha256="0" * 64,
        storage_key=uuid.uuid4().hex,
    )
    db.session.add(attachment)
    db.session.flush()
    assert community_client.get(url(case, f"attachments/{attachment.id}")).status_code == 404
    assert community_client.get(url(case, f"attachments/{uuid.uuid4()}")).status_code == 404
    # The row of a file the storage lost: not found either, rather than an error.
    assert community_client.get(url(other, f"attachments/{attachment.id}")).status_code == 404


def test_an_agent_assigns_the_case_to_themself_and_to_a_colleague(community_client, agent, customer):
    eva = make_agent(name="Eva Claes")
    case = make_case(customer)

    assert community_client.post_form(url(case, "assignee"), {"assignee": agent.sub}, page=url(case)).status_code == 302
    db.session.refresh(case)
    assert case.assignee_sub == agent.sub

    community_client.post_form(url(case, "assignee"), {"assignee": eva.sub}, page=url(case))
    community_client.post_form(url(case, "assignee"), {"assignee": ""}, page=url(case))
    db.session.refresh(case)
    assert case.assignee_sub is None
    assert events(case, "assignee") == [
        (None, "Sam Support", agent.sub),
        ("Sam Support", "Eva Claes", agent.sub),
        ("Eva Claes", None, agent.sub),
    ]
    page = page_of(community_client, case)
    assert "Assigned to: Sam Support → Eva Claes" in page


def test_a_case_cannot_be_assigned_to_a_customer(community_client, agent, customer):
    case = make_case(customer)
    response = community_client.post_form(url(case, "assignee"), {"assignee": customer.sub}, page=url(case))
    assert response.status_code == 400
    db.session.refresh(case)
    assert case.assignee_sub is None


def test_the_assign_choices_are_the_agents(community_client, agent, customer):
    make_agent(name="Eva Claes")
    page = page_of(community_client, make_case(customer))
    choices = page.split('name="assignee"', 2)[2].split("</select>", 1)[0]
    assert "Eva Claes" in choices and "Sam Support" in choices and "Ann Accountant" not in choices


def test_an_agent_changes_the_status_with_a_comment(community, community_client, agent, customer, mail_sink):
    case = make_case(customer)

    response = community_client.post_form(
        url(case, "status"), {"status": "waiting_for_customer", "comment": "Which version do you run?"}, page=url(case)
    )

    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == Status.WAITING_FOR_CUSTOMER
    assert events(case, "status") == [("new", "waiting_for_customer", agent.sub)]
    [comment] = messages(case)
    assert comment.kind == MessageKind.REPLY and comment.body == "Which version do you run?"
    outbox.deliver_due(community)
    assert len(mail_sink.to("ann@example.test")) == 1


def test_the_status_form_offers_only_allowed_statuses(community_client, agent, customer):
    case = make_case(customer, status=Status.CLOSED)
    page = page_of(community_client, case)
    choices = page.split('name="status"', 1)[1].split("</select>", 1)[0]
    assert 'value="in_progress"' in choices
    assert 'value="solved"' not in choices and 'value="new"' not in choices

    response = community_client.post_form(url(case, "status"), {"status": "solved"}, page=url(case))
    assert response.status_code == 400
    db.session.refresh(case)
    assert case.status == Status.CLOSED


def test_an_agent_changes_the_severity_and_it_is_in_the_history(community_client, agent, customer):
    case = make_case(customer, severity=Severity.NORMAL)

    community_client.post_form(url(case, "severity"), {"severity": "critical"}, page=url(case))

    db.session.refresh(case)
    assert case.severity == Severity.CRITICAL
    assert events(case, "severity") == [("normal", "critical", agent.sub)]
    assert "Severity: Normal → Critical" in page_of(community_client, case)
    assert (
        community_client.post_form(url(case, "severity"), {"severity": "apocalyptic"}, page=url(case)).status_code
        == 400
    )


def test_the_history_names_who_changed_what(community_client, agent, customer):
    case = make_case(customer)
    community_client.post_form(url(case, "status"), {"status": "in_progress"}, page=url(case))
    page = page_of(community_client, case)
    history = page.split('id="history-title"', 1)[1]
    assert "Sam Support" in history and "Status: New → In progress" in history


def test_a_customer_reply_puts_the_waiting_case_back_in_the_queue_as_in_progress(community_client, agent, customer):
    from support_community.cases.services import conversation

    case = make_case(customer, status=Status.WAITING_FOR_CUSTOMER, assignee=agent)
    conversation.customer_reply(case, actor=customer, body="Version 12.2.")
    db.session.flush()

    page = community_client.get("/agent", query_string={"status": "in_progress"}).get_data(as_text=True)
    assert case.number in page
