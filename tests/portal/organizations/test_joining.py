"""Adding an organization, requests to join, withdrawing them and the administrators' decision."""

from __future__ import annotations

import re
import threading
import time

import pytest
from flask import template_rendered
from sqlalchemy import func, select, text

from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.models import (
    Application,
    ApplicationGrant,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services import joining as service
from panda_portal.outbox.models import OutboxMessage
from shared.database import utcnow

PAIR = {"customer_number": "100234", "enterprise_number": "0403.170.701"}
NOT_TOGETHER = "This customer number and enterprise number do not belong together in our customer register"


# -- helpers -----------------------------------------------------------------------------
@pytest.fixture()
def rendered_mails(panda):
    """(template name, current_language, recipient name) of every e-mail body rendered."""
    seen: list[tuple[str, str, str]] = []

    def listener(sender, template, context, **extra):
        if (
            template.name
            and template.name.startswith("emails/join_")
            and template.name.endswith(".txt")
            and ".subject." not in template.name
        ):
            seen.append((template.name, context.get("current_language"), context.get("recipient")))

    template_rendered.connect(listener, panda)
    yield seen
    template_rendered.disconnect(listener, panda)


@pytest.fixture()
def customer(make_customer):
    return make_customer(customer_number="100234", enterprise_number="0403170701", name="Bakkerij Peeters BV")


@pytest.fixture()
def academy(panda_db, applications):
    app = Application(key="academy", name_en="Academy", name_nl="Academie", name_fr="Académie", position=20)
    panda_db.session.add(app)
    panda_db.session.flush()
    return app


def add(client, data: dict | None = None, **overrides):
    return client.post_form("/orgs/add", {**PAIR, "message": "", **(data or {}), **overrides}, page="/orgs/add")


TOKEN_INPUT = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def confirmation_token(response) -> str:
    """The signed confirmation carried by the page that answers a look-up of a new organization."""
    assert response.status_code == 200, response.status_code
    match = TOKEN_INPUT.search(response.get_data(as_text=True))
    assert match, "no confirmation token on the page"
    return match.group(1)


def confirm(client, token: str):
    return client.post_form("/orgs/add/confirm", {"token": token}, page="/orgs/add")


def events(panda_db, action: str) -> list[AuditEvent]:
    return list(panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def organization_count(panda_db) -> int:
    return panda_db.session.scalar(select(func.count()).select_from(Organization))


def membership_of(panda_db, account, org) -> Membership | None:
    panda_db.session.expire_all()
    return (
        panda_db.session.execute(
            select(Membership).where(Membership.account_id == account.id, Membership.organization_id == org.id)
        )
        .unique()
        .scalar_one_or_none()
    )


def mail_count(panda_db) -> int:
    return panda_db.session.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.fixture()
def existing(make_account, make_org, make_membership, customer):
    """Bakkerij Peeters BV is in Panda, with an English and a Dutch administrator and a plain member."""
    org = make_org(
        name=customer.name,
        customer_number=customer.customer_number,
        enterprise_number=customer.enterprise_number,
        in_register=False,
    )
    ann = make_account(name="Ann Admin", email="ann@example.org", language="en")
    bert = make_account(name="Bert Beheerder", email="bert@example.org", language="nl")
    carl = make_account(name="Carl Member", email="carl@example.org")
    dora = make_account(name="Dora Former", email="dora@example.org")
    make_membership(ann, org, role=Role.ADMIN, grants=["support_community"])
    make_membership(bert, org, role=Role.ADMIN)
    make_membership(carl, org, role=Role.MEMBER)
    make_membership(dora, org, role=Role.ADMIN, status=MembershipStatus.REMOVED)

    class Existing:
        pass

    e = Existing()
    e.org, e.ann, e.bert, e.carl, e.dora = org, ann, bert, carl, dora
    return e


@pytest.fixture()
def request_to_join(existing, make_account, make_membership):
    """Eva (French) asked to join; returns her pending membership."""
    eva = make_account(name="Eva Requester", email="eva@example.org", language="fr")
    return make_membership(eva, existing.org, status=MembershipStatus.PENDING, message="I am your accountant.")


# -- the form ----------------------------------------------------------------------------
def test_the_add_form_has_labelled_fields_with_examples(panda_client, make_account, login_as):
    login_as(panda_client, make_account())
    html = panda_client.get("/orgs/add").get_data(as_text=True)
    assert '<label for="customer_number">Customer number</label>' in html
    assert '<label for="enterprise_number">Enterprise number</label>' in html
    assert "0403.170.701" in html and "100234" in html


def test_an_anonymous_visitor_is_sent_to_sign_in_first(panda_client):
    response = panda_client.get("/orgs/add")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


# -- a new organization ------------------------------------------------------------------
def test_a_new_organization_is_created_only_after_confirmation_with_its_creator_as_administrator(
    panda_client, panda_db, make_account, login_as, customer, applications, academy
):
    ann = make_account(name="Ann")
    login_as(panda_client, ann)

    looked_up = add(panda_client)
    assert organization_count(panda_db) == 0
    page = looked_up.get_data(as_text=True)
    assert "Bakkerij Peeters BV" in page and "0403.170.701" in page
    assert "become its administrator" in page
    assert "invite another administrator" in page
    assert "100234" not in looked_up.request.url  # the numbers never travel in a URL

    confirmed = confirm(panda_client, confirmation_token(looked_up))
    org = panda_db.session.scalars(select(Organization)).one()
    assert (org.name, org.customer_number, org.enterprise_number) == ("Bakkerij Peeters BV", "100234", "0403170701")
    assert confirmed.headers["Location"] == f"/orgs/{org.id}/"
    membership = membership_of(panda_db, ann, org)
    assert (membership.role, membership.status) == (Role.ADMIN, MembershipStatus.ACTIVE)
    assert membership.granted_keys == {"support_community", "academy"}
    assert [e.target_id for e in events(panda_db, "organization.created")] == [str(org.id)]
    assert len(events(panda_db, "membership.created")) == 1
    assert {e.after["application"] for e in events(panda_db, "grant.added")} == {"support_community", "academy"}

    org_page = panda_client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "has been added. You are its administrator." in org_page


@pytest.mark.parametrize("tamper", ["garbage", "flip-a-character"])
def test_a_tampered_confirmation_creates_nothing(panda_client, panda_db, make_account, login_as, customer, tamper):
    login_as(panda_client, make_account())
    token = confirmation_token(add(panda_client))
    bad = "garbage" if tamper == "garbage" else token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    response = confirm(panda_client, bad)
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/add"
    assert "This confirmation has expired" in panda_client.get("/orgs/add").get_data(as_text=True)
    assert organization_count(panda_db) == 0


def test_an_expired_confirmation_creates_nothing(panda_client, panda_db, make_account, login_as, customer, monkeypatch):
    from panda_portal.organizations.views import joining as views

    login_as(panda_client, make_account())
    token = confirmation_token(add(panda_client))
    monkeypatch.setattr(views, "CONFIRMATION_SECONDS", -1)
    assert confirm(panda_client, token).headers["Location"] == "/orgs/add"
    assert organization_count(panda_db) == 0


def test_a_confirmation_made_for_someone_else_creates_nothing(panda_client, panda_db, make_account, login_as, customer):
    login_as(panda_client, make_account())
    token = confirmation_token(add(panda_client))
    login_as(panda_client, make_account())
    assert confirm(panda_client, token).headers["Location"] == "/orgs/add"
    assert organization_count(panda_db) == 0


def test_the_pair_is_checked_against_the_register_again_on_confirmation(
    panda_client, panda_db, make_account, login_as, customer
):
    login_as(panda_client, make_account())
    token = confirmation_token(add(panda_client))
    customer.enterprise_number = "0712345630"  # the register changed in between
    panda_db.session.flush()
    assert confirm(panda_client, token).headers["Location"] == "/orgs/add"
    assert organization_count(panda_db) == 0


def test_two_people_confirming_the_same_new_organization_one_creates_it_and_the_other_asks_to_join(
    panda_client, panda_db, make_account, login_as, customer, deliver, mail_sink
):
    ann, bob = make_account(name="Ann", email="ann@example.org"), make_account(name="Bob")
    login_as(panda_client, ann)
    ann_token = confirmation_token(add(panda_client))
    login_as(panda_client, bob)
    bob_token = confirmation_token(add(panda_client))

    login_as(panda_client, ann)
    confirm(panda_client, ann_token)
    login_as(panda_client, bob)
    response = confirm(panda_client, bob_token)

    org = panda_db.session.scalars(select(Organization)).one()
    assert response.headers["Location"] == "/"
    assert membership_of(panda_db, ann, org).role == Role.ADMIN
    assert membership_of(panda_db, bob, org).status == MembershipStatus.PENDING
    assert "added to Panda by someone else" in panda_client.get("/").get_data(as_text=True)
    deliver()
    assert "Bob asks to join" in mail_sink.last_to("ann@example.org").subject


def test_losing_the_race_on_the_unique_customer_number_falls_back_to_a_request_to_join(
    panda_db, make_account, make_org, make_membership, customer, monkeypatch
):
    """The other person's insert committed between our check and our insert."""
    admin, late = make_account(), make_account()
    org = make_org(
        name=customer.name,
        customer_number=customer.customer_number,
        enterprise_number=customer.enterprise_number,
        in_register=False,
    )
    make_membership(admin, org, role=Role.ADMIN)
    calls = {"n": 0}
    real = service._organization_of

    def not_seen_the_first_time(record):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(record)

    monkeypatch.setattr(service, "_organization_of", not_seen_the_first_time)
    membership = service.create_organization("100234", "0403170701", actor=late)
    assert membership.status == MembershipStatus.PENDING
    assert membership.organization_id == org.id
    assert organization_count(panda_db) == 1


# -- wrong numbers -----------------------------------------------------------------------
def test_an_invalid_enterprise_number_is_explained_at_the_field_and_creates_nothing(
    panda_client, panda_db, make_account, login_as, customer
):
    login_as(panda_client, make_account())
    response = add(panda_client, enterprise_number="0403.170.702")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="enterprise_number-error">[^<]*check digits', html)
    assert organization_count(panda_db) == 0
    assert panda_db.session.scalar(select(func.count()).select_from(Membership)) == 0


@pytest.mark.parametrize(
    "pair",
    [
        {"customer_number": "100235", "enterprise_number": "0403.170.701"},  # wrong customer number
        {"customer_number": "100234", "enterprise_number": "0712.345.630"},  # wrong (valid) enterprise number
    ],
)
def test_a_pair_not_in_the_register_gets_one_message_that_does_not_tell_which_number_is_wrong(
    panda_client, panda_db, make_account, login_as, customer, make_customer, pair
):
    make_customer(customer_number="100235", enterprise_number="0876543270")
    login_as(panda_client, make_account())
    response = add(panda_client, pair)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="customer_number-error">[^<]*' + NOT_TOGETHER, html)
    assert re.search(r'id="enterprise_number-error">[^<]*' + NOT_TOGETHER, html)
    assert organization_count(panda_db) == 0


def test_failed_look_ups_are_throttled_per_account(
    panda, panda_client, panda_db, make_account, login_as, customer, monkeypatch
):
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT", "3 per hour")
    guesser = make_account()
    login_as(panda_client, guesser)
    for _ in range(4):  # successful look-ups do not count
        assert add(panda_client).status_code == 200
    for _ in range(3):
        assert add(panda_client, customer_number="999999").status_code == 422
    blocked = add(panda_client)  # even the right pair now
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)

    login_as(panda_client, make_account())
    assert add(panda_client, customer_number="999999").status_code == 422


# -- an existing organization: a request to join -----------------------------------------
def test_adding_an_existing_organization_mails_every_active_administrator_in_their_own_language(
    panda_client, panda_db, make_account, login_as, existing, deliver, mail_sink, rendered_mails
):
    eva = make_account(name="Eva Requester", email="eva@example.org", language="fr")
    login_as(panda_client, eva)
    response = add(panda_client, message="I keep your books since 2019.")
    assert response.status_code == 302 and response.headers["Location"] == "/"

    membership = membership_of(panda_db, eva, existing.org)
    assert (membership.status, membership.role) == (MembershipStatus.PENDING, Role.MEMBER)
    assert membership.requested_at is not None
    assert membership.request_message == "I keep your books since 2019."
    assert len(events(panda_db, "membership.requested")) == 1

    deliver()
    assert sorted(m.to for m in mail_sink.messages) == ["ann@example.org", "bert@example.org"]
    for address in ("ann@example.org", "bert@example.org"):
        mail = mail_sink.last_to(address)
        assert "Eva Requester" in mail.subject
        assert "I keep your books since 2019." in mail.text
        assert f"http://panda.test/orgs/{existing.org.id}/requests/{membership.id}" in mail.links()
    assert '<html lang="nl">' in mail_sink.last_to("bert@example.org").html
    assert '<html lang="en">' in mail_sink.last_to("ann@example.org").html
    assert sorted(rendered_mails) == [
        ("emails/join_request.txt", "en", "Ann Admin"),
        ("emails/join_request.txt", "nl", "Bert Beheerder"),
    ]

    home = panda_client.get("/").get_data(as_text=True)
    assert "Bakkerij Peeters BV est déjà dans Panda." in home  # Eva reads French


def test_the_requester_sees_the_pending_request_at_home_and_can_withdraw_it(
    panda_client, panda_db, login_as, existing, request_to_join
):
    eva = request_to_join.account
    login_as(panda_client, eva)
    home = panda_client.get("/").get_data(as_text=True)
    assert "Vos demandes d'adhésion" in home and "Bakkerij Peeters BV" in home  # Eva reads French
    withdraw_url = f"/requests/{request_to_join.id}/withdraw"
    assert withdraw_url in home

    response = panda_client.post_form(withdraw_url, page="/")
    assert response.status_code == 302
    assert membership_of(panda_db, eva, existing.org).status == MembershipStatus.REMOVED
    assert len(events(panda_db, "membership.request_withdrawn")) == 1
    home = panda_client.get("/").get_data(as_text=True)
    assert "a été retirée" in home
    assert withdraw_url not in home


def test_nobody_else_can_withdraw_a_request(panda_client, panda_db, login_as, make_account, existing, request_to_join):
    login_as(panda_client, existing.ann)
    assert panda_client.post_form(f"/requests/{request_to_join.id}/withdraw", page="/").status_code == 404
    assert panda_client.post_form("/requests/not-a-uuid/withdraw", page="/").status_code == 404
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.PENDING


def test_a_second_request_while_one_is_pending_creates_nothing_and_says_so(
    panda_client, panda_db, login_as, existing, request_to_join
):
    login_as(panda_client, request_to_join.account)
    before = mail_count(panda_db)
    response = add(panda_client)
    assert response.headers["Location"] == "/"
    assert "attend déjà la décision" in panda_client.get("/").get_data(as_text=True)  # Eva reads French
    assert mail_count(panda_db) == before
    assert len(events(panda_db, "membership.requested")) == 0


@pytest.mark.parametrize(
    "who, says",
    [
        ("carl", "You are already a member of Bakkerij Peeters BV."),
        ("ann", "You are already an administrator of Bakkerij Peeters BV."),
    ],
)
def test_a_member_adding_their_organization_again_is_taken_there(panda_client, panda_db, login_as, existing, who, says):
    login_as(panda_client, getattr(existing, who))
    before = mail_count(panda_db)
    response = add(panda_client)
    assert response.headers["Location"] == f"/orgs/{existing.org.id}/"
    assert says in panda_client.get(response.headers["Location"]).get_data(as_text=True)
    assert mail_count(panda_db) == before


@pytest.mark.parametrize("status", [MembershipStatus.REJECTED, MembershipStatus.REMOVED])
def test_someone_rejected_or_removed_before_may_ask_again(
    panda_client, panda_db, login_as, make_account, make_membership, existing, status
):
    eva = make_account()
    old = make_membership(eva, existing.org, status=status, grants=["support_community"])
    login_as(panda_client, eva)
    add(panda_client, message="Please reconsider.")
    membership = membership_of(panda_db, eva, existing.org)
    assert membership.id == old.id
    assert membership.status == MembershipStatus.PENDING
    assert membership.request_message == "Please reconsider."
    assert membership.granted_keys == set()


# -- deciding ----------------------------------------------------------------------------
def test_the_mail_link_opens_the_request_for_an_administrator(panda_client, login_as, existing, request_to_join):
    login_as(panda_client, existing.bert)
    page = panda_client.get(f"/orgs/{existing.org.id}/requests/{request_to_join.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for expected in (
        "Eva Requester",
        "eva@example.org",
        "I am your accountant.",
        "Aanvraag goedkeuren",
        "Aanvraag weigeren",
        'for="approve-message"',
        'for="reject-message"',
    ):  # Bert reads Dutch
        assert expected in html


def test_approving_makes_the_requester_a_member_mails_them_and_lands_on_their_detail_screen(
    panda_client, panda_db, login_as, existing, request_to_join, deliver, mail_sink, rendered_mails
):
    login_as(panda_client, existing.ann)
    url = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    response = panda_client.post_form(url + "/approve", {"approve-message": "Welcome!"}, page=url)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/orgs/{existing.org.id}/members/{request_to_join.id}#access"
    membership = membership_of(panda_db, request_to_join.account, existing.org)
    assert (membership.status, membership.role) == (MembershipStatus.ACTIVE, Role.MEMBER)
    assert membership.active_since is not None and membership.decided_by_id == existing.ann.id
    assert membership.decision_message == "Welcome!"
    assert membership.granted_keys == set()
    assert len(events(panda_db, "membership.approved")) == 1

    deliver()
    mail = mail_sink.last_to("eva@example.org")
    assert "Bakkerij Peeters BV" in mail.subject
    assert "Welcome!" in mail.text
    assert f"http://panda.test/orgs/{existing.org.id}/" in mail.links()
    assert ("emails/join_approved.txt", "fr", "Eva Requester") in rendered_mails

    detail = panda_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is now a member of Bakkerij Peeters BV" in detail
    assert "Support Community" in detail


def test_rejecting_tells_the_requester(panda_client, panda_db, login_as, existing, request_to_join, deliver, mail_sink):
    login_as(panda_client, existing.ann)
    url = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    response = panda_client.post_form(url + "/reject", {"reject-message": "We do not know you."}, page=url)
    assert response.headers["Location"] == f"/orgs/{existing.org.id}/"
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.REJECTED
    assert len(events(panda_db, "membership.rejected")) == 1
    deliver()
    mail = mail_sink.last_to("eva@example.org")
    assert "refusée" in mail.subject  # Eva reads French
    assert "We do not know you." in mail.text


def test_a_request_decided_by_one_administrator_tells_the_other_what_happened(
    panda_client, panda_db, login_as, existing, request_to_join, deliver, mail_sink
):
    url = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    login_as(panda_client, existing.ann)
    panda_client.post_form(url + "/approve", page=url)
    login_as(panda_client, existing.bert)
    response = panda_client.post_form(url + "/reject", page=url)

    assert response.status_code == 302 and response.headers["Location"] == url
    page = panda_client.get(url).get_data(as_text=True)
    assert "Deze aanvraag werd al goedgekeurd door Ann Admin." in page  # Bert reads Dutch
    assert "Aanvraag weigeren" not in page
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.ACTIVE
    deliver()
    assert [m.subject for m in mail_sink.to("eva@example.org")] == [
        "Vous êtes maintenant membre de Bakkerij Peeters BV"
    ]  # Eva reads French


def test_a_withdrawn_request_cannot_be_approved(panda_client, panda_db, login_as, existing, request_to_join):
    service.withdraw_request(request_to_join.id, actor=request_to_join.account)
    url = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    login_as(panda_client, existing.ann)
    panda_client.post_form(url + "/approve", page=url)
    assert "This request was withdrawn." in panda_client.get(url).get_data(as_text=True)
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.REMOVED


@pytest.mark.parametrize("who, status", [("outsider", 404), ("requester", 404), ("carl", 403), ("dora", 404)])
def test_only_administrators_of_the_organization_may_see_or_decide_a_request(
    panda_client, panda_db, login_as, make_account, existing, request_to_join, who, status
):
    account = {"outsider": make_account(), "requester": request_to_join.account}.get(who) or getattr(existing, who)
    login_as(panda_client, account)
    url = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    assert panda_client.get(url).status_code == status
    assert panda_client.post_form(url + "/approve", page="/").status_code == status
    assert panda_client.post_form(url + "/reject", page="/").status_code == status
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.PENDING


def test_an_anonymous_visitor_following_the_mail_link_is_asked_to_sign_in(panda_client, existing, request_to_join):
    response = panda_client.get(f"/orgs/{existing.org.id}/requests/{request_to_join.id}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_request_to_another_organization_is_not_found_there(
    panda_client, panda_db, login_as, make_account, make_org, make_membership, existing, request_to_join
):
    other = make_org()
    make_membership(existing.ann, other, role=Role.ADMIN)
    login_as(panda_client, existing.ann)
    url = f"/orgs/{other.id}/requests/{request_to_join.id}"
    assert panda_client.get(url).status_code == 404
    assert panda_client.post_form(url + "/approve", page="/").status_code == 404
    assert panda_client.get(f"/orgs/{existing.org.id}/requests/not-a-uuid").status_code == 404
    assert panda_client.get(f"/orgs/not-a-uuid/requests/{request_to_join.id}").status_code == 404
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.PENDING


def test_an_approval_without_the_csrf_token_changes_nothing(
    panda_client, panda_db, login_as, existing, request_to_join
):
    login_as(panda_client, existing.ann)
    url = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    assert panda_client.post(url + "/approve", data={}).status_code == 400
    assert membership_of(panda_db, request_to_join.account, existing.org).status == MembershipStatus.PENDING


def test_the_organization_page_lists_pending_requests_for_administrators_only(
    panda_client, login_as, existing, request_to_join
):
    link = f"/orgs/{existing.org.id}/requests/{request_to_join.id}"
    login_as(panda_client, existing.ann)
    assert link in panda_client.get(f"/orgs/{existing.org.id}/").get_data(as_text=True)
    login_as(panda_client, existing.carl)
    assert link not in panda_client.get(f"/orgs/{existing.org.id}/").get_data(as_text=True)


def test_grants_of_an_approved_member_are_left_to_the_administrator(panda_db, existing, request_to_join):
    service.approve_request(existing.org, request_to_join.id, actor=existing.ann)
    assert (
        panda_db.session.scalar(
            select(func.count())
            .select_from(ApplicationGrant)
            .where(ApplicationGrant.membership_id == request_to_join.id)
        )
        == 0
    )


# -- at the same moment, on PostgreSQL (``concurrent_app``) ---------------------------------
def _wait_until_someone_waits_for_a_lock(app, timeout: float = 10.0) -> bool:
    from panda_portal.extensions import db

    engine = db.state(app).engine
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
            conn.rollback()
            if waiting:
                return True
            time.sleep(0.02)
    return False


def _in_request(app, work):
    from panda_portal.extensions import db

    with app.test_request_context("/"):
        try:
            return work(db)
        finally:
            db.session.close()


def test_two_administrators_deciding_at_once_produce_one_decision(concurrent_app):
    from panda_portal.accounts.models import Account

    def seed(db):
        ann = Account(email="ann@example.org", name="Ann Admin", email_verified_at=utcnow())
        bert = Account(email="bert@example.org", name="Bert Beheerder", language="nl", email_verified_at=utcnow())
        eva = Account(email="eva@example.org", name="Eva Requester", email_verified_at=utcnow())
        org = Organization(name="Bakkerij Peeters BV", customer_number="100234", enterprise_number="0403170701")
        db.session.add_all([ann, bert, eva, org])
        db.session.flush()
        for account in (ann, bert):
            db.session.add(
                Membership(
                    organization_id=org.id,
                    account_id=account.id,
                    role=Role.ADMIN,
                    status=MembershipStatus.ACTIVE,
                    active_since=utcnow(),
                )
            )
        request = Membership(
            organization_id=org.id,
            account_id=eva.id,
            role=Role.MEMBER,
            status=MembershipStatus.PENDING,
            requested_at=utcnow(),
        )
        db.session.add(request)
        db.session.commit()
        return org.id, request.id, ann.id, bert.id

    org_id, request_id, ann_id, bert_id = _in_request(concurrent_app, seed)
    ann_has_decided, release_ann = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def ann_approves(db):
        org = db.session.get(Organization, org_id)
        service.approve_request(org, request_id, actor=db.session.get(Account, ann_id))
        ann_has_decided.set()
        release_ann.wait(10)  # hold the row lock while Bert tries
        db.session.commit()
        outcome["ann"] = "approved"

    def bert_rejects(db):
        org = db.session.get(Organization, org_id)
        try:
            service.reject_request(org, request_id, actor=db.session.get(Account, bert_id))
            db.session.commit()
            outcome["bert"] = "rejected"
        except service.RequestAlreadyDecidedError as error:
            outcome["bert"] = error.message

    ann = threading.Thread(target=_in_request, args=(concurrent_app, ann_approves))
    ann.start()
    assert ann_has_decided.wait(10)
    bert = threading.Thread(target=_in_request, args=(concurrent_app, bert_rejects))
    bert.start()
    try:
        assert _wait_until_someone_waits_for_a_lock(concurrent_app), "Bert's decision did not wait for Ann's"
    finally:
        release_ann.set()
        ann.join(10)
        bert.join(10)

    assert outcome == {"ann": "approved", "bert": "This request was already approved by Ann Admin."}

    def stored(db):
        membership = db.session.get(Membership, request_id)
        actions = sorted(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(request_id))))
        subjects = sorted(m.payload["subject"] for m in db.session.scalars(select(OutboxMessage)))
        return membership.status, membership.decided_by_id, actions, subjects

    status, decided_by, actions, subjects = _in_request(concurrent_app, stored)
    assert (status, decided_by) == (MembershipStatus.ACTIVE, ann_id)
    assert actions == ["membership.approved"]
    assert subjects == ["You are now a member of Bakkerij Peeters BV"]


def test_two_people_adding_the_same_new_organization_at_once_create_it_once(concurrent_app):
    from panda_portal.accounts.models import Account
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import CustomerRecord

    def seed(db):
        ann = Account(email="ann@example.org", name="Ann", email_verified_at=utcnow())
        bob = Account(email="bob@example.org", name="Bob", email_verified_at=utcnow())
        db.session.add_all(
            [
                ann,
                bob,
                CustomerRecord(customer_number="100234", enterprise_number="0403170701", name="Bakkerij Peeters BV"),
            ]
        )
        ensure_applications()
        db.session.commit()
        return ann.id, bob.id

    ann_id, bob_id = _in_request(concurrent_app, seed)
    ann_inserted, release_ann = threading.Event(), threading.Event()
    outcome: dict = {}

    def ann_adds(db):
        membership = service.create_organization("100234", "0403170701", actor=db.session.get(Account, ann_id))
        ann_inserted.set()
        release_ann.wait(10)
        db.session.commit()
        outcome["ann"] = membership.status

    def bob_adds(db):
        membership = service.create_organization("100234", "0403.170.701", actor=db.session.get(Account, bob_id))
        db.session.commit()
        outcome["bob"] = membership.status

    ann = threading.Thread(target=_in_request, args=(concurrent_app, ann_adds))
    ann.start()
    assert ann_inserted.wait(10)
    bob = threading.Thread(target=_in_request, args=(concurrent_app, bob_adds))
    bob.start()
    try:
        assert _wait_until_someone_waits_for_a_lock(concurrent_app), "Bob's insert did not wait for Ann's"
    finally:
        release_ann.set()
        ann.join(10)
        bob.join(10)

    assert outcome == {"ann": MembershipStatus.ACTIVE, "bob": MembershipStatus.PENDING}
    count = _in_request(concurrent_app, lambda db: db.session.scalar(select(func.count()).select_from(Organization)))
    assert count == 1
