"""Claiming an organization: whoever knows the two numbers becomes its administrator, so guessing is
limited three ways (per account, per client address, per enterprise number) and the customer's own
contact address, when the register has one, hears who did it."""

from __future__ import annotations

import pytest

from panda_portal.organizations.services import joining
from tests.portal.organizations.test_joining import add, confirm, confirmation_token


@pytest.fixture()
def customer(make_customer, panda_db):
    record = make_customer(customer_number="100234", enterprise_number="0403170701", name="Bakkerij Peeters BV")
    record.contact_email = "boekhouding@bakkerij-peeters.be"
    record.language = "nl"
    panda_db.session.flush()
    return record


# -- the customer hears of it ----------------------------------------------------------------------
def test_the_customer_s_contact_address_hears_in_its_language_who_added_the_organization(
    panda, panda_client, make_account, login_as, customer, applications, deliver
):
    login_as(panda_client, make_account(name="Eva Claes", email="eva@fiduciaire.example"))

    confirm(panda_client, confirmation_token(add(panda_client)))
    mail = deliver("boekhouding@bakkerij-peeters.be")

    assert '<html lang="nl">' in mail.html
    assert "Eva Claes" in mail.subject and "Bakkerij Peeters BV" in mail.subject
    assert "eva@fiduciaire.example" in mail.text
    assert "0403.170.701" in mail.text and "100234" in mail.text
    assert "Klopt dat niet, neem dan contact met ons op:" in mail.text
    assert panda.config["VENDOR_SUPPORT_URL"] in mail.links()


def test_the_support_link_can_be_set(panda, panda_db, make_account, customer, applications, deliver, monkeypatch):
    monkeypatch.setitem(panda.config, "VENDOR_SUPPORT_URL", "https://support.vendor.example/contact")
    joining.create_organization("100234", "0403170701", actor=make_account())

    assert "https://support.vendor.example/contact" in deliver("boekhouding@bakkerij-peeters.be").links()


def test_without_a_contact_address_no_one_is_mailed_and_a_request_to_join_mails_no_contact(
    panda, panda_db, make_account, customer, applications, deliver, mail_sink
):
    customer.contact_email = None
    founder = make_account(email="founder@example.org")
    organization = joining.create_organization("100234", "0403170701", actor=founder).organization
    deliver()
    assert mail_sink.messages == []

    customer.contact_email = "boekhouding@bakkerij-peeters.be"
    joining.request_to_join(organization, actor=make_account())
    deliver()
    assert mail_sink.to("boekhouding@bakkerij-peeters.be") == []


# -- guessing is limited ---------------------------------------------------------------------------
def _guess(client, *, address: str, customer_number: str = "999999"):
    return client.post_form(
        "/orgs/add",
        {"customer_number": customer_number, "enterprise_number": "0403.170.701", "message": ""},
        page="/orgs/add",
        environ_base={"REMOTE_ADDR": address},
    )


def test_failed_look_ups_are_limited_per_client_address_whichever_account_makes_them(
    panda, panda_client, make_account, login_as, customer, monkeypatch
):
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT_PER_ADDRESS", "3 per hour")
    for _ in range(3):
        login_as(panda_client, make_account())  # a new account each time: the per-account limit never bites
        assert _guess(panda_client, address="198.51.100.7").status_code == 422

    login_as(panda_client, make_account())
    blocked = _guess(panda_client, address="198.51.100.7", customer_number="100234")  # even the right pair
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    assert _guess(panda_client, address="198.51.100.8").status_code == 422  # another address goes on


def test_failed_look_ups_are_limited_per_enterprise_number_whoever_and_wherever_they_come_from(
    panda, panda_client, make_account, login_as, customer, make_customer, monkeypatch
):
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT_PER_ENTERPRISE_NUMBER", "3 per day")
    for n in range(3):
        login_as(panda_client, make_account())
        assert _guess(panda_client, address=f"203.0.113.{n}").status_code == 422

    login_as(panda_client, make_account())
    blocked = _guess(panda_client, address="203.0.113.99", customer_number="100234")
    page = blocked.get_data(as_text=True)
    assert blocked.status_code == 429
    assert "To protect the company, it cannot be added for a while." in page

    other = make_customer(customer_number="100235", enterprise_number="0712345630", name="Garage Dubois SRL")
    answer = panda_client.post_form(
        "/orgs/add",
        {"customer_number": other.customer_number, "enterprise_number": "0712.345.630", "message": ""},
        page="/orgs/add",
        environ_base={"REMOTE_ADDR": "203.0.113.99"},
    )
    assert answer.status_code == 200  # another company is not affected


def test_a_successful_look_up_never_counts(panda, panda_client, make_account, login_as, customer, monkeypatch):
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT_PER_ENTERPRISE_NUMBER", "2 per day")
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT_PER_ADDRESS", "2 per hour")
    login_as(panda_client, make_account())
    for _ in range(5):
        assert _guess(panda_client, address="192.0.2.1", customer_number="100234").status_code == 200
