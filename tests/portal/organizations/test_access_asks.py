"""“Ask for access”: a member without the Support Community asks the administrators for it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from panda_portal.organizations.models import AccessAsk, Role
from panda_portal.outbox.models import OutboxMessage
from tests.portal.factories import SUPPORT

URL = "/ask-for-access?application=support_community"


@pytest.fixture()
def client_org(make_account, make_org, make_membership, panda_client, login_as, applications):
    ann = make_account(name="Ann Admin", email="ann@example.org", language="nl")
    bob = make_account(name="Bob Admin", email="bob@example.org", language="fr")
    jan = make_account(name="Jan Accountant", email="jan@example.org")
    bakery = make_org(name="Bakkerij Peeters BV")
    granted = make_org(name="Granted BV")
    make_membership(ann, bakery, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(bob, bakery, role=Role.ADMIN, grants=[SUPPORT])
    membership = make_membership(jan, bakery)
    make_membership(jan, granted, grants=[SUPPORT])
    login_as(panda_client, jan)
    return {"bakery": bakery, "granted": granted, "membership": membership, "jan": jan}


def ask(client, org):
    return client.post_form(URL, {"organization": str(org.id)}, page=URL)


def mails(panda_db) -> list[OutboxMessage]:
    return list(panda_db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail")))


def test_the_page_lists_only_memberships_without_the_access(panda_client, client_org):
    html = panda_client.get(URL).get_data(as_text=True).split("<main", 1)[1]
    assert "Bakkerij Peeters BV" in html and "Granted BV" not in html


def test_asking_mails_every_administrator_in_their_language_with_the_detail_screen(
    panda_client, panda_db, client_org, deliver, mail_sink
):
    response = ask(panda_client, client_org["bakery"])
    assert response.status_code == 302 and response.headers["Location"] == f"/orgs/{client_org['bakery'].id}/"
    deliver()
    to = {mail.to: mail for mail in mail_sink.messages}
    assert set(to) == {"ann@example.org", "bob@example.org"}
    path = f"/orgs/{client_org['bakery'].id}/members/{client_org['membership'].id}"
    assert to["ann@example.org"].link_path(path)
    assert "Jan Accountant" in to["bob@example.org"].subject


def test_asking_again_within_a_day_mails_nobody_again(panda_client, panda_db, client_org):
    ask(panda_client, client_org["bakery"])
    sent = len(mails(panda_db))
    response = ask(panda_client, client_org["bakery"])
    assert response.status_code == 302
    assert len(mails(panda_db)) == sent
    row = panda_db.session.get(AccessAsk, (client_org["membership"].id, SUPPORT))
    row.asked_at -= dt.timedelta(days=2)
    panda_db.session.flush()
    ask(panda_client, client_org["bakery"])
    assert len(mails(panda_db)) == sent + 2


def test_nobody_asks_for_an_organization_they_are_not_a_member_of(panda_client, panda_db, client_org, make_org):
    assert ask(panda_client, make_org()).status_code == 404
    assert mails(panda_db) == []


def test_an_unknown_application_is_not_found(panda_client, client_org):
    assert panda_client.get("/ask-for-access?application=nonsense").status_code == 404
    assert panda_client.get("/ask-for-access").status_code == 404


def test_asking_is_throttled(panda_client, panda_db, client_org, make_org, make_membership):
    for _ in range(11):
        org = make_org()
        make_membership(client_org["jan"], org)
        response = ask(panda_client, org)
    assert response.status_code == 429


def test_the_organization_page_links_to_the_community_or_to_asking(panda_client, client_org):
    granted = panda_client.get(f"/orgs/{client_org['granted'].id}/").get_data(as_text=True)
    assert f'href="http://community.test/orgs/{client_org["granted"].id}/"' in granted
    lacking = panda_client.get(f"/orgs/{client_org['bakery'].id}/").get_data(as_text=True)
    assert f"/ask-for-access?application=support_community&amp;org={client_org['bakery'].id}" in lacking


def test_the_mail_telling_a_member_they_have_access_links_to_the_organization_in_the_community(
    panda_db, client_org, deliver, mail_sink
):
    from panda_portal.accounts.models import Account
    from panda_portal.organizations.services import members

    admin = panda_db.session.scalar(select(Account).where(Account.email == "ann@example.org"))
    members.update_membership(client_org["membership"], role=Role.MEMBER, application_keys=[SUPPORT], actor=admin)
    mail = deliver("jan@example.org")
    assert f"http://community.test/orgs/{client_org['bakery'].id}/" in mail.text
    assert f'href="http://community.test/orgs/{client_org["bakery"].id}/"' in mail.html


def test_without_a_known_address_the_mail_and_page_leave_the_link_out(panda_db, client_org, panda_client, deliver):
    from panda_portal.organizations.models import Application

    panda_db.session.get(Application, SUPPORT).url = None
    panda_db.session.commit()
    html = panda_client.get(f"/orgs/{client_org['granted'].id}/").get_data(as_text=True)
    assert "community.test" not in html
