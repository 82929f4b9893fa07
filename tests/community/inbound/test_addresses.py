"""Every case mail carries a reply address for its case and recipient, and threads with the case's other mails."""

from __future__ import annotations

import uuid

from support_community.cases.services import conversation
from support_community.extensions import db
from support_community.inbound import addresses
from support_community.outbox.services import outbox
from tests.community.factories import follow, make_agent, make_case, make_person


def test_each_recipient_gets_a_reply_address_of_their_own_for_the_case(community, mail_sink):
    ann, bart = make_person(email="ann@example.test"), make_person(email="bart@example.test")
    case = make_case(ann)
    follow(case, bart)
    conversation.agent_reply(case, actor=make_agent(), body="Fixed in 4.2.")
    db.session.commit()
    outbox.deliver_due(community)

    to_ann, to_bart = mail_sink.last_to("ann@example.test"), mail_sink.last_to("bart@example.test")
    ann_address, bart_address = str(to_ann.message["Reply-To"]), str(to_bart.message["Reply-To"])
    assert ann_address != bart_address
    for address, person in ((ann_address, ann), (bart_address, bart)):
        local, _, domain = address.partition("@")
        assert domain == "community.localhost" and local.startswith("support+") and len(local) <= 64
        token = addresses.read_token(local.split("+", 1)[1])
        assert token is not None and token.case_id == case.id and token.issued_to(person.sub)
    assert not addresses.read_token(ann_address.split("+", 1)[1].split("@")[0]).issued_to(bart.sub)
    assert "You can also answer by replying to this e-mail" in to_ann.text
    assert "You can also answer by replying to this e-mail" in to_ann.html


def test_the_mails_of_a_case_thread_together_and_each_has_its_own_message_id(community, mail_sink):
    ann = make_person(email="ann@example.test")
    case = make_case(ann)
    agent = make_agent()
    conversation.agent_reply(case, actor=agent, body="First answer.")
    conversation.agent_reply(case, actor=agent, body="Second answer.")
    db.session.commit()
    outbox.deliver_due(community)

    first, second = mail_sink.to("ann@example.test")
    thread = f"<case.{case.id}@community.localhost>"
    assert first.message["References"] == second.message["References"] == thread
    assert first.message["In-Reply-To"] == thread
    assert first.message["Message-ID"] != second.message["Message-ID"]


def test_the_agents_team_address_gets_a_team_reply_address(community, mail_sink):
    ann = make_person(email="ann@example.test")
    case = make_case(ann)
    conversation.customer_reply(case, actor=ann, body="Any news?")
    db.session.commit()
    outbox.deliver_due(community)

    team = mail_sink.last_to("support-team@community.localhost")
    token = addresses.read_token(str(team.message["Reply-To"]).split("+", 1)[1].split("@")[0])
    assert token is not None and token.kind == addresses.TEAM and token.issued_to(None)


def test_without_a_reply_address_case_mails_have_no_reply_to_but_still_thread(community, mail_sink, monkeypatch):
    monkeypatch.setitem(community.config, "COMMUNITY_REPLY_ADDRESS", None)
    ann = make_person(email="ann@example.test")
    case = make_case(ann)
    conversation.agent_reply(case, actor=make_agent(), body="Done.")
    db.session.commit()
    outbox.deliver_due(community)

    mail = mail_sink.last_to("ann@example.test")
    assert mail.message["Reply-To"] is None and mail.message["References"]
    assert "replying to this e-mail" not in mail.text  # a reply would go nowhere: the mail does not offer it


def test_a_token_cannot_be_made_without_the_secret_key(community, monkeypatch):
    case_id, sub = uuid.uuid4(), "ann-sub"
    genuine = addresses.make_token(case_id, sub)
    monkeypatch.setitem(community.config, "SECRET_KEY", "another-secret-key-of-another-installation")

    token = addresses.read_token(genuine)

    assert token is not None and not token.intact and not token.issued_to(sub)
    assert addresses.read_token(addresses.make_token(case_id, sub)).issued_to(sub)


def test_a_token_for_one_case_does_not_open_another(community):
    ours, other = uuid.uuid4(), uuid.uuid4()
    token = addresses.make_token(ours, "ann-sub")
    moved = addresses.ReplyToken(
        kind="p",
        case_id=other,
        case_mac=addresses.read_token(token).case_mac,
        person_mac=addresses.read_token(token).person_mac,
    )

    assert not moved.intact and not moved.issued_to("ann-sub")


def test_what_is_not_a_token_is_not_read(community):
    for text in ("", "hello", "p" + "a" * 47, "x" + "a" * 48, "p" + "1" * 48, "p" + "a" * 49):
        assert addresses.read_token(text) is None
    assert addresses.token_in(["someone@example.test"]) == (None, False)
    assert addresses.token_in(["support@community.localhost"]) == (None, True)
