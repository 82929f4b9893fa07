"""Who hears what about a case, in which language, and that the outbox delivers it once, also after SMTP was down."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from shared.database import utcnow
from support_community.cases.emails.conversation import send_customer_replied
from support_community.cases.emails.creating import send_case_opened
from support_community.cases.models import CaseMessage, MessageKind, Status
from support_community.cases.services import assignment, conversation, statuses
from support_community.extensions import db
from support_community.outbox.models import OutboxMessage
from support_community.outbox.services import outbox
from tests.community.factories import follow, make_agent, make_case, make_person

TEAM = "support-team@community.localhost"


def deliver(app) -> None:
    db.session.flush()
    outbox.deliver_due(app)


def recipients(mail_sink) -> list[str]:
    return sorted(r for m in mail_sink.messages for r in m.recipients)


def customer_reply(case, person, body="Here is the export you asked for.") -> CaseMessage:
    message = CaseMessage(
        case_id=case.id,
        author_sub=person.sub,
        author=person,
        kind=MessageKind.REPLY,
        body=body,
        by_agent=False,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


# -- the customer side: an agent's public reply, a status change ---------------------------------
def test_an_agent_reply_reaches_the_opener_and_the_followers(community, mail_sink):
    opener = make_person(name="Ann Accountant", email="ann@example.test")
    colleague = make_person(name="Bart Boekhouder", email="bart@example.test")
    agent = make_agent(email="sam@vendor.test")
    case = make_case(opener, organization_name="Bakkerij Peeters BV", subject="VAT return")
    follow(case, colleague)

    conversation.agent_reply(case, actor=agent, body="Please send us the VAT export.")
    deliver(community)

    assert recipients(mail_sink) == ["ann@example.test", "bart@example.test"]
    mail = mail_sink.last_to("ann@example.test")
    assert case.number in mail.subject and "VAT return" in mail.subject
    assert "Bakkerij Peeters BV" in mail.text and "Bakkerij Peeters BV" in mail.html
    assert "Please send us the VAT export." in mail.text
    assert f"http://community.test/orgs/{case.organization_id}/cases/{case.id}" in mail.links()


def test_an_internal_note_is_never_mailed(community, mail_sink):
    opener = make_person(email="ann@example.test")
    case = make_case(opener)
    follow(case, make_person(email="bart@example.test"))

    conversation.agent_reply(
        case, actor=make_agent(), body="Customer is on an old version; secret workaround.", internal=True
    )
    deliver(community)

    assert mail_sink.messages == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_an_internal_comment_on_a_status_change_stays_out_of_the_mail(community, mail_sink):
    opener = make_person(email="ann@example.test")
    case = make_case(opener)

    statuses.change_status(
        case,
        Status.WAITING_FOR_CUSTOMER,
        actor=make_agent(),
        by_agent=True,
        comment="They never read our mails.",
        internal=True,
    )
    deliver(community)

    mail = mail_sink.last_to("ann@example.test")
    assert "They never read our mails." not in mail.text + mail.html + mail.subject
    assert "Waiting for customer" in mail.text


def test_a_status_change_reaches_the_customer_side_once_with_its_comment(community, mail_sink):
    opener = make_person(email="ann@example.test")
    case = make_case(opener)
    follow(case, opener)  # following one's own case does not double the mail

    statuses.change_status(case, Status.SOLVED, actor=make_agent(), by_agent=True, comment="Fixed in version 12.3.")
    deliver(community)

    assert recipients(mail_sink) == ["ann@example.test"]
    mail = mail_sink.last_to("ann@example.test")
    assert "Solved" in mail.text and "Fixed in version 12.3." in mail.text


def test_nobody_is_told_of_what_they_did_themselves(community, mail_sink):
    opener = make_person(email="ann@example.test")
    colleague = make_person(email="bart@example.test")
    agent = make_agent(email="sam@vendor.test")
    case = make_case(opener, assignee=agent, status=Status.IN_PROGRESS)
    follow(case, colleague)

    statuses.change_status(case, Status.CLOSED, actor=opener, comment="Solved it myself.")
    deliver(community)

    # The colleague following the case and the agent working on it hear of it; Ann does not.
    assert recipients(mail_sink) == ["bart@example.test", "sam@vendor.test"]
    assert f"http://community.test/agent/cases/{case.id}" in mail_sink.last_to("sam@vendor.test").links()


def test_a_follower_can_turn_off_mails_about_followed_cases(community, mail_sink):
    opener = make_person(email="ann@example.test", notify_followed=False)
    quiet = make_person(email="quiet@example.test", notify_followed=False)
    case = make_case(opener)
    follow(case, quiet)
    follow(case, opener)

    conversation.agent_reply(case, actor=make_agent(), body="We are on it.")
    deliver(community)

    # Ann opened the case: she hears of it whatever her setting.
    assert recipients(mail_sink) == ["ann@example.test"]


def test_each_person_reads_the_mail_in_their_own_language(community, mail_sink):
    opener = make_person(email="ann@example.test", locale="nl")
    follower = make_person(email="claire@example.test", locale="fr")
    case = make_case(opener)
    follow(case, follower)

    conversation.agent_reply(case, actor=make_agent(), body="Bedankt / Merci")
    deliver(community)

    assert '<html lang="nl">' in mail_sink.last_to("ann@example.test").html
    assert '<html lang="fr">' in mail_sink.last_to("claire@example.test").html


def test_the_reply_text_is_escaped_in_the_html_mail(community, mail_sink):
    opener = make_person(email="ann@example.test")
    case = make_case(opener, subject="<b>Bold</b> subject")

    conversation.agent_reply(case, actor=make_agent(), body='Try <script>alert("x")</script> & see')
    deliver(community)

    mail = mail_sink.last_to("ann@example.test")
    assert "<script>" not in mail.html and "<b>Bold</b>" not in mail.html
    assert "&lt;script&gt;" in mail.html and "&amp; see" in mail.html
    assert 'Try <script>alert("x")</script> & see' in mail.text  # plain text is plain


# -- the agent side: a new case, a customer reply ------------------------------------------------
def test_a_new_unassigned_case_goes_to_the_team_address_in_english(community, mail_sink):
    opener = make_person(email="ann@example.test", locale="nl")
    case = make_case(opener, organization_name="Garage Janssens NV", description="The bank import fails.")

    send_case_opened(case, actor=opener)
    deliver(community)

    mail = mail_sink.last_to(TEAM)
    assert recipients(mail_sink) == [TEAM]
    assert '<html lang="en">' in mail.html
    assert "Garage Janssens NV" in mail.subject and case.number in mail.subject
    assert "The bank import fails." in mail.text
    assert f"http://community.test/agent/cases/{case.id}" in mail.links()


def test_the_team_language_is_configurable(community, mail_sink):
    community.config["AGENTS_TEAM_LOCALE"] = "fr"
    try:
        opener = make_person()
        send_case_opened(make_case(opener), actor=opener)
        deliver(community)
    finally:
        community.config.pop("AGENTS_TEAM_LOCALE")
    assert '<html lang="fr">' in mail_sink.last_to(TEAM).html


def test_a_customer_reply_goes_to_the_assignee(community, mail_sink):
    opener = make_person(email="ann@example.test")
    agent = make_agent(email="sam@vendor.test", locale="nl")
    case = make_case(opener, assignee=agent)

    send_customer_replied(case, customer_reply(case, opener), actor=opener)
    deliver(community)

    assert recipients(mail_sink) == ["sam@vendor.test"]
    mail = mail_sink.last_to("sam@vendor.test")
    assert "Here is the export you asked for." in mail.text
    assert '<html lang="nl">' in mail.html
    assert f"http://community.test/agent/cases/{case.id}" in mail.links()


def test_a_customer_reply_to_an_unassigned_case_goes_to_the_team(community, mail_sink):
    opener = make_person(email="ann@example.test")
    case = make_case(opener)
    send_customer_replied(case, customer_reply(case, opener), actor=opener)
    deliver(community)
    assert recipients(mail_sink) == [TEAM]


def test_assigning_a_case_to_a_colleague_tells_the_colleague(community, mail_sink):
    me = make_agent(email="sam@vendor.test")
    colleague = make_agent(name="Eva Claes", email="eva@vendor.test")
    case = make_case(make_person(email="ann@example.test"))

    assignment.assign(case, colleague, actor=me)
    assignment.assign(case, me, actor=me)  # taking it oneself: no mail
    deliver(community)

    assert recipients(mail_sink) == ["eva@vendor.test"]


# -- the outbox ---------------------------------------------------------------------------------
def test_a_mail_survives_smtp_being_down_and_is_sent_once(community, mail_sink):
    opener = make_person(email="ann@example.test")
    case = make_case(opener)
    conversation.agent_reply(case, actor=make_agent(), body="We are on it.")
    db.session.flush()

    mail_sink.refuse = True
    assert outbox.deliver_due(community) == (0, 1)
    assert mail_sink.messages == []

    mail_sink.refuse = False
    assert outbox.deliver_due(community) == (0, 0)  # not due again yet
    # Time passes: the retry is due.
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
    assert outbox.deliver_due(community) == (1, 0)
    assert outbox.deliver_due(community) == (0, 0)
    assert len(mail_sink.to("ann@example.test")) == 1


def test_customer_mails_link_to_the_preferences_page(community, mail_sink):
    case = make_case(make_person(email="ann@example.test"))
    conversation.agent_reply(case, actor=make_agent(), body="Done.")
    deliver(community)
    assert "http://community.test/account/notifications" in mail_sink.last_to("ann@example.test").links()
