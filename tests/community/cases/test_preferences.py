"""Mail preferences: someone who only follows a case can stop hearing about it; their own cases still mail."""

from __future__ import annotations

import re

from support_community.cases.models import Person
from support_community.cases.services import conversation
from support_community.cases.services.preferences import set_followed_case_mails
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.factories import follow, make_agent, make_case, make_person


def deliver(app) -> None:
    db.session.flush()
    outbox.deliver_due(app)


def recipients(mail_sink) -> list[str]:
    return sorted(r for m in mail_sink.messages for r in m.recipients)


def test_turning_followed_case_mails_off_and_on_says_whether_anything_changed(community):
    person = make_person()
    assert set_followed_case_mails(person, True) is False
    assert set_followed_case_mails(person, False) is True
    assert person.notify_followed is False
    assert set_followed_case_mails(person, False) is False


def test_a_person_turns_off_mails_about_followed_cases_on_their_preferences_page(
    community, community_client, login, mail_sink
):
    bart = login(name="Bart Boekhouder", email="bart@example.test")
    page = community_client.get("/account/notifications").get_data(as_text=True)
    [checkbox] = re.findall(r'<input[^>]*name="notify_followed"[^>]*>', page)
    assert " checked" in checkbox  # on until turned off

    response = community_client.post_form("/account/notifications", {}, page="/account/notifications")

    assert response.status_code == 302
    person = db.session.get(Person, bart.sub)
    assert person.notify_followed is False
    case = make_case(make_person(email="ann@example.test"))
    follow(case, person)
    conversation.agent_reply(case, actor=make_agent(), body="Done.")
    deliver(community)
    assert recipients(mail_sink) == ["ann@example.test"]

    community_client.post_form("/account/notifications", {"notify_followed": "y"}, page="/account/notifications")
    db.session.refresh(person)
    assert person.notify_followed is True
