"""The conversation: customers see it without anything internal, reply, close, follow; agents reply or note."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import Attachment, CaseEvent, CaseFollower, CaseMessage, MessageKind, Status
from support_community.cases.services import attachments, conversation, statuses
from support_community.cases.services.errors import CaseError
from support_community.extensions import db
from tests.community.factories import PEETERS, acting_as, open_case, user_with
from tests.community.files import PDF, PNG, upload


@pytest.fixture()
def ann(community):
    return acting_as(user_with(PEETERS, sub="ann", name="Ann Accountant"))


@pytest.fixture()
def sam(community):
    return acting_as(user_with(sub="sam", name="Sam Support", roles=("support_agent",)))


def agent_message(case, agent, body, *, internal=False) -> CaseMessage:
    message = CaseMessage(
        case_id=case.id,
        author_sub=agent.sub,
        author=agent,
        body=body,
        by_agent=True,
        kind=MessageKind.INTERNAL_NOTE if internal else MessageKind.REPLY,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_the_timeline_never_holds_internal_notes_or_their_files(demo_catalog, store, ann, sam):
    case = open_case(PEETERS, ann, uploads=[upload("a.pdf", PDF)])
    agent_message(case, sam, "Could you send the export?")
    note = agent_message(case, sam, "Old version, known bug #123.", internal=True)
    checked = attachments.check_files([upload("internal.png", PNG)])
    attachments.store_files(case, checked, actor=sam, message=note, internal=True)

    timeline = conversation.public_timeline(case)

    bodies = [entry.message.body for entry in timeline if entry.message]
    assert bodies == ["Box 54 and box 59 differ by one cent.", "Could you send the export?"]
    files = [a.filename for entry in timeline for a in entry.attachments]
    assert files == ["a.pdf"]


def test_the_timeline_shows_status_and_severity_changes_but_not_assignments(demo_catalog, ann, sam):
    case = open_case(PEETERS, ann)
    statuses.change_status(case, Status.IN_PROGRESS, actor=sam, by_agent=True)
    db.session.add(
        CaseEvent(
            case_id=case.id, actor_sub=sam.sub, field="assignee", old_value=None, new_value=sam.sub, created_at=utcnow()
        )
    )
    db.session.flush()
    events = [entry.event.field for entry in conversation.public_timeline(case) if entry.event]
    assert events == ["status"]


def test_a_reply_is_public_moves_the_case_and_tells_the_agents(demo_catalog, store, ann, monkeypatch):
    told = []
    monkeypatch.setattr(conversation, "send_customer_replied", lambda case, message, *, actor: told.append(message))
    case = open_case(PEETERS, ann)
    case.status = Status.WAITING_FOR_CUSTOMER
    before = case.last_activity_at

    message = conversation.customer_reply(case, actor=ann, body="Here it is.", uploads=[upload("export.pdf", PDF)])

    assert (message.kind, message.by_agent, message.body) == (MessageKind.REPLY, False, "Here it is.")
    assert case.status == Status.IN_PROGRESS
    assert case.last_activity_at >= before
    assert told == [message]
    attachment = db.session.scalar(select(Attachment).where(Attachment.message_id == message.id))
    assert attachment.filename == "export.pdf"


def test_an_empty_reply_is_refused(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    with pytest.raises(CaseError) as refused:
        conversation.customer_reply(case, actor=ann, body="  \n ")
    assert refused.value.field == "body"


def test_files_can_be_added_on_their_own(demo_catalog, store, ann):
    case = open_case(PEETERS, ann)
    added = conversation.add_attachments(case, actor=ann, uploads=[upload("a.pdf", PDF), upload("b.png", PNG)])
    assert [a.message_id for a in added] == [None, None]
    [entry] = [e for e in conversation.public_timeline(case) if e.kind == "attachments"]
    assert sorted(a.filename for a in entry.attachments) == ["a.pdf", "b.png"]
    with pytest.raises(CaseError):
        conversation.add_attachments(case, actor=ann, uploads=[])


def test_closing_with_a_comment_leaves_the_comment_in_the_conversation(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    conversation.close(case, actor=ann, comment="Found it myself, thanks!")
    assert case.status == Status.CLOSED and case.closed_at is not None
    bodies = [e.message.body for e in conversation.public_timeline(case) if e.message]
    assert bodies[-1] == "Found it myself, thanks!"


def test_a_closed_case_takes_no_replies_or_files(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    conversation.close(case, actor=ann)
    with pytest.raises(CaseError, match="closed"):
        conversation.customer_reply(case, actor=ann, body="One more thing")
    with pytest.raises(CaseError, match="closed"):
        conversation.add_attachments(case, actor=ann, uploads=[upload("a.pdf", PDF)])


@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
def test_a_finished_case_can_be_reopened_within_the_window(demo_catalog, ann, status):
    case = open_case(PEETERS, ann)
    case.status = status
    case.solved_at = case.closed_at = utcnow() - dt.timedelta(days=29)
    conversation.reopen(case, actor=ann)
    assert case.status == Status.IN_PROGRESS


def test_a_case_finished_longer_ago_than_the_window_stays_finished(community, demo_catalog, ann, monkeypatch):
    monkeypatch.setitem(community.config, "CASE_REOPEN_DAYS", 30)
    case = open_case(PEETERS, ann)
    case.status = Status.CLOSED
    case.solved_at = case.closed_at = utcnow() - dt.timedelta(days=31)
    with pytest.raises(statuses.StatusChangeError, match="30 days"):
        conversation.reopen(case, actor=ann)
    assert case.status == Status.CLOSED


def test_an_open_case_cannot_be_reopened(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    with pytest.raises(statuses.StatusChangeError):
        conversation.reopen(case, actor=ann)


def test_following_twice_is_following_once_and_unfollowing_stops_it(demo_catalog, ann):
    case = open_case(PEETERS, ann)
    conversation.follow(case, actor=ann)
    conversation.follow(case, actor=ann)
    rows = db.session.scalars(select(CaseFollower).where(CaseFollower.case_id == case.id)).all()
    assert [row.person_sub for row in rows] == [ann.sub]
    assert conversation.is_following(case, ann.sub)
    conversation.unfollow(case, actor=ann)
    conversation.unfollow(case, actor=ann)
    assert not conversation.is_following(case, ann.sub)


# -- the agents' side ---------------------------------------------------------------------------------
def test_an_agent_reply_is_public_and_moves_the_last_activity(demo_catalog, ann, sam, monkeypatch):
    case = open_case(PEETERS, ann)
    case.last_activity_at = utcnow() - dt.timedelta(days=1)
    told = []
    monkeypatch.setattr(conversation, "send_agent_replied", lambda case, message, *, actor: told.append(message))

    message = conversation.agent_reply(case, actor=sam, body="  Which version do you run?\r\n")

    assert (message.kind, message.by_agent, message.body) == (MessageKind.REPLY, True, "Which version do you run?")
    assert case.last_activity_at == message.created_at
    assert told == [message]


def test_an_internal_note_and_its_files_stay_internal_and_leave_the_last_activity(
    demo_catalog, store, ann, sam, monkeypatch
):
    case = open_case(PEETERS, ann)
    activity = case.last_activity_at
    told = []
    monkeypatch.setattr(conversation, "send_agent_replied", lambda case, message, *, actor: told.append(message))

    note = conversation.agent_reply(
        case, actor=sam, body="Known bug #4711.", internal=True, uploads=[upload("analysis.pdf", PDF)]
    )

    assert note.kind == MessageKind.INTERNAL_NOTE and note.is_internal
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert attachment.is_internal and attachment.message_id == note.id
    assert case.last_activity_at == activity
    assert told == []


def test_an_empty_agent_reply_is_refused_before_anything_is_written(demo_catalog, ann, sam):
    case = open_case(PEETERS, ann)
    with pytest.raises(CaseError) as refused:
        conversation.agent_reply(case, actor=sam, body="   ")
    assert refused.value.field == "body"
    assert db.session.scalars(select(CaseMessage).where(CaseMessage.kind != MessageKind.DESCRIPTION)).all() == []


def test_the_case_file_holds_everything_internal_notes_included(demo_catalog, store, ann, sam):
    case = open_case(PEETERS, ann, uploads=[upload("a.pdf", PDF)])
    note = conversation.agent_reply(
        case, actor=sam, body="Known bug #4711.", internal=True, uploads=[upload("internal.png", PNG)]
    )
    conversation.add_attachments(case, actor=ann, uploads=[upload("later.png", PNG)])

    file = conversation.case_file(case)

    assert [m.body for m in file.messages] == ["Box 54 and box 59 differ by one cent.", "Known bug #4711."]
    assert [a.filename for a in file.attachments[note.id]] == ["internal.png"]
    assert [a.filename for a in file.attachments[None]] == ["later.png"]
    assert [e.field for e in file.events] == ["opened"]
