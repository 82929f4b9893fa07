"""Opening a case in an organization's name: what it records, what it refuses."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from support_community.cases.models import (
    Attachment,
    CaseCounter,
    CaseEvent,
    CaseMessage,
    MessageKind,
    Severity,
    Status,
)
from support_community.cases.services import creating
from support_community.cases.services.errors import CaseError
from support_community.extensions import db
from tests.community.factories import PEETERS, acting_as, category, open_case, organization, user_with
from tests.community.files import PDF, stored_files, upload


@pytest.fixture()
def ann(community):
    return acting_as(user_with(PEETERS, name="Jan Janssens"))


def test_a_case_records_the_organization_the_person_and_a_readable_number(demo_catalog, ann):
    case = open_case(PEETERS, ann, subject="  The VAT   return does not balance ", severity="high")
    assert re.fullmatch(r"CS-\d{4}-\d{6}", case.number)
    assert case.organization_id == uuid.UUID(PEETERS["id"])
    assert case.organization_name == "Bakkerij Peeters BV"
    assert case.opened_by is ann
    assert (case.status, case.severity) == (Status.NEW, Severity.HIGH)
    assert case.subject == "The VAT return does not balance"
    assert (case.product.key, case.category.key) == ("accounting", "vat")
    assert case.created_at == case.last_activity_at


def test_the_description_is_the_first_message(demo_catalog, ann):
    case = open_case(PEETERS, ann, description="Box 54\r\nand box 59 differ.")
    [message] = db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)).all()
    assert (message.kind, message.body, message.author_sub, message.by_agent) == (
        MessageKind.DESCRIPTION,
        "Box 54\nand box 59 differ.",
        ann.sub,
        False,
    )


def test_opening_is_in_the_history_and_tells_the_agents(demo_catalog, ann, monkeypatch):
    told = []
    monkeypatch.setattr(creating, "send_case_opened", lambda case, *, actor: told.append((case, actor)))
    case = open_case(PEETERS, ann)
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert (event.field, event.new_value, event.actor_sub) == ("opened", "new", ann.sub)
    assert told == [(case, ann)]


def test_each_case_gets_the_next_number(demo_catalog, ann):
    first, second = open_case(PEETERS, ann), open_case(PEETERS, ann)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_attachments_come_with_the_description(demo_catalog, ann, store):
    case = open_case(PEETERS, ann, uploads=[upload("aangifte.pdf", PDF)])
    message = db.session.scalar(select(CaseMessage).where(CaseMessage.case_id == case.id))
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert attachment.message_id == message.id
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "aangifte.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored_files(store) == [attachment.storage_key]


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"description": " \n "}, "description"),
        ({"description": "x" * 20_001}, "description"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"product": "nonsense", "category_key": None}, "product"),
        ({"product": "payroll", "category_key": None}, "category"),
    ],
)
def test_a_case_that_cannot_be_opened_says_why_and_takes_no_number(demo_catalog, ann, changes, field):
    with pytest.raises(CaseError) as refused:
        open_case(PEETERS, ann, **changes)
    assert refused.value.field == field and refused.value.message
    assert db.session.scalars(select(CaseCounter)).all() == []


def test_a_category_of_another_product_is_refused(demo_catalog, ann):
    with pytest.raises(CaseError, match="category of Panda Accounting"):
        creating.open_case(
            org=organization(PEETERS),
            actor=ann,
            product_key="accounting",
            category_id=category("payroll", "payslips").id,
            severity="normal",
            subject="s",
            description="d",
        )


def test_a_refused_file_stops_the_case_before_anything_is_stored(demo_catalog, ann, store):
    with pytest.raises(CaseError) as refused:
        open_case(PEETERS, ann, uploads=[upload("ok.pdf", PDF), upload("invoice.pdf", b"<html>hi</html>")])
    assert refused.value.field == "attachments"
    assert stored_files(store) == []
    assert db.session.scalars(select(CaseCounter)).all() == []
