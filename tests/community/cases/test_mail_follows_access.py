"""Mail follows access: a case's mails reach only people who may still see the case when the mail is sent.

Checked when the mail is queued and again by the worker just before it leaves: a reply
queued a moment before someone was removed in Panda is dropped (and logged), not sent,
and not retried. Agents hear as long as they are agents; the agents' team address
always hears. Followers who lose the organization stop following its cases.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import delete, select

from support_community.auth.access import access_of, store
from support_community.auth.models import PersonAccess
from support_community.cases.models import CaseFollower, Person
from support_community.cases.services import assignment, conversation, statuses
from support_community.extensions import db
from support_community.outbox.models import OutboxMessage
from support_community.outbox.services import outbox
from tests.community.factories import JANSSENS, PEETERS, follow, make_agent, make_case, make_person

TEAM = "support-team@community.localhost"


def deliver(app) -> tuple[int, int]:
    db.session.flush()
    return outbox.deliver_due(app)


def recipients(mail_sink) -> list[str]:
    return sorted(r for m in mail_sink.messages for r in m.recipients)


def removed_in_panda(person: Person, *, keep: tuple[dict, ...] = ()) -> None:
    """What Panda's next word about ``person`` says: only ``keep`` (as an access event or a sign-in stores it)."""
    version = (db.session.get(PersonAccess, person.sub).orgs_version or 0) + 1
    store(person.sub, orgs=[dict(org) for org in keep], roles=[], version=version)


@pytest.fixture()
def peeters_case(community):
    ann = make_person(name="Ann Accountant", email="ann@example.test")
    bart = make_person(name="Bart Boekhouder", email="bart@example.test")
    case = make_case(ann, organization_id=PEETERS["id"], organization_name="Bakkerij Peeters BV", subject="VAT")
    follow(case, bart)
    return case, ann, bart


def test_a_reply_queued_before_the_removal_does_not_reach_the_removed_person(
    community, mail_sink, peeters_case, caplog
):
    case, ann, bart = peeters_case
    conversation.agent_reply(case, actor=make_agent(), body="The full text of our answer about the VAT return.")
    db.session.flush()
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2  # queued for both

    removed_in_panda(bart)
    with caplog.at_level(logging.INFO, logger="support_community.cases.emails.delivery"):
        sent, failed = deliver(community)

    assert recipients(mail_sink) == ["ann@example.test"]
    assert "full text" not in " ".join(m.text for m in mail_sink.to("bart@example.test"))
    assert (sent, failed) == (2, 0)  # dropped counts as handled: never tried again
    assert all(row.sent_at is not None for row in db.session.scalars(select(OutboxMessage)))
    assert any("dropped" in record.getMessage() and bart.sub in record.getMessage() for record in caplog.records)


def test_the_opener_removed_from_the_organization_hears_nothing_either(community, mail_sink, peeters_case):
    case, ann, bart = peeters_case
    removed_in_panda(ann)

    statuses.change_status(case, "in_progress", actor=make_agent(), by_agent=True)
    deliver(community)

    assert recipients(mail_sink) == ["bart@example.test"]


def test_someone_who_lost_access_is_not_even_queued(community, mail_sink, peeters_case):
    case, ann, bart = peeters_case
    removed_in_panda(bart, keep=(JANSSENS,))

    conversation.agent_reply(case, actor=make_agent(), body="Answer.")
    db.session.flush()

    queued = [row.payload["to"] for row in db.session.scalars(select(OutboxMessage))]
    assert queued == ["ann@example.test"]


def test_a_follower_who_loses_the_organization_stops_following_its_cases(community, peeters_case):
    case, ann, bart = peeters_case
    other = make_case(ann, organization_id=JANSSENS["id"], organization_name="Garage Janssens NV")
    follow(other, bart)

    removed_in_panda(bart, keep=(JANSSENS,))

    followed = set(db.session.scalars(select(CaseFollower.case_id).where(CaseFollower.person_sub == bart.sub)))
    assert followed == {other.id}


def test_agents_hear_while_they_are_agents_and_the_team_address_always(community, mail_sink, peeters_case):
    case, ann, bart = peeters_case
    sam = make_agent(email="sam@vendor.test")
    assignment.assign(case, sam, actor=make_agent(email="lead@vendor.test"))
    conversation.customer_reply(case, actor=ann, body="Here is the export.")
    deliver(community)
    assert recipients(mail_sink).count("sam@vendor.test") == 2  # the assignment, the customer's reply

    mail_sink.clear()
    store(sam.sub, orgs=[], roles=[], version=99)  # no longer an agent in Panda
    statuses.change_status(case, "closed", actor=ann)
    deliver(community)

    assert "sam@vendor.test" not in recipients(mail_sink)


def test_a_new_case_reaches_the_team_address_whoever_opened_it(community, mail_sink):
    opener = make_person(email="ann@example.test")
    from support_community.cases.emails.creating import send_case_opened

    case = make_case(opener)
    send_case_opened(case, actor=opener)
    removed_in_panda(opener)
    deliver(community)

    assert recipients(mail_sink) == [TEAM]


# -- someone the community knows nothing about yet -------------------------------------------------
def _unknown(person: Person) -> None:
    db.session.execute(delete(PersonAccess).where(PersonAccess.sub == person.sub))
    db.session.flush()


def test_the_worker_asks_panda_about_a_recipient_it_knows_nothing_of(community, mail_sink, fake_panda, peeters_case):
    case, ann, bart = peeters_case
    fake_panda.add_user(bart.sub, email="bart@example.test", orgs=[dict(PEETERS)])
    fake_panda.add_user(ann.sub, email="ann@example.test", orgs=[])  # removed while the community did not know
    conversation.agent_reply(case, actor=make_agent(), body="Answer.")
    _unknown(ann)
    _unknown(bart)

    deliver(community)

    assert recipients(mail_sink) == ["bart@example.test"]
    assert sorted(fake_panda.access_reads) == sorted([ann.sub, bart.sub])
    assert [o.name for o in access_of(bart.sub).orgs] == ["Bakkerij Peeters BV"]


def test_a_mail_to_someone_unknown_waits_while_panda_cannot_be_asked(community, mail_sink, fake_panda, peeters_case):
    case, ann, bart = peeters_case
    conversation.agent_reply(case, actor=make_agent(), body="Answer.")
    _unknown(bart)
    fake_panda.failures["access"] = 503

    deliver(community)

    assert recipients(mail_sink) == ["ann@example.test"]
    waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
    assert [row.payload["to"] for row in waiting] == ["bart@example.test"]
    assert waiting[0].failed_at is None and "Panda unavailable" in waiting[0].last_error
