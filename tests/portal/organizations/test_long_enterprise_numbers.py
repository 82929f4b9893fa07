"""An enterprise or customer number of thousands of digits gets a message, not a server error.

Python refuses to turn more than 4,300 digits into an integer, and python-stdnum does that
before it counts the digits: the length is checked before anything is parsed
(``organizations.enterprise_numbers``, ``organizations.forms.joining``).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from panda_portal.organizations.enterprise_numbers import InvalidEnterpriseNumber, normalize_enterprise_number
from panda_portal.organizations.models import Membership, Organization
from panda_portal.organizations.services.customer_register import NotInRegisterError, find_customer, import_customers

TEN_DIGITS = "An enterprise number has 10 digits, for example 0403.170.701."
HUGE = {
    "5,000 nines": "9" * 5_000,
    "4,301 ones": "1" * 4_301,
    "BE and 5,000 zeros": "BE" + "0" * 5_000,
    "a valid number a thousand times": "0403.170.701" * 1_000,
    "41 characters": "0403 170 701" + " " * 20 + "0403170701",
}


@pytest.fixture()
def customer(make_customer):
    return make_customer(customer_number="100234", enterprise_number="0403170701", name="Bakkerij Peeters BV")


def _add(client, customer_number: str, enterprise_number: str):
    data = {"customer_number": customer_number, "enterprise_number": enterprise_number, "message": ""}
    return client.post_form("/orgs/add", data, page="/orgs/add")


def _nothing_created(panda_db) -> bool:
    count = panda_db.session.scalar(select(func.count()).select_from(Organization))
    members = panda_db.session.scalar(select(func.count()).select_from(Membership))
    return count == 0 and members == 0


@pytest.mark.parametrize("typed", HUGE.values(), ids=HUGE.keys())
def test_a_huge_enterprise_number_is_refused_with_the_number_of_digits_it_needs(typed):
    with pytest.raises(InvalidEnterpriseNumber) as refused:
        normalize_enterprise_number(typed)
    assert str(refused.value.message) == TEN_DIGITS
    assert refused.value.field == "enterprise_number"


def test_the_longest_accepted_input_is_still_parsed():
    assert normalize_enterprise_number("BE 0403.170.701" + " " * 25) == "0403170701"


@pytest.mark.parametrize("typed", HUGE.values(), ids=HUGE.keys())
def test_adding_an_organization_with_a_huge_enterprise_number_explains_it_at_the_field(
    panda_client, panda_db, make_account, login_as, customer, typed
):
    login_as(panda_client, make_account())
    response = _add(panda_client, "100234", typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = re.findall(r'id="enterprise_number-error">([^<]*)<', html)
    assert [error.strip() for error in errors] == [TEN_DIGITS]  # said once
    assert _nothing_created(panda_db)


def test_adding_an_organization_with_a_huge_customer_number_explains_it_at_the_field(
    panda_client, panda_db, make_account, login_as, customer
):
    login_as(panda_client, make_account())
    response = _add(panda_client, "9" * 5_000, "0403.170.701")
    assert response.status_code == 422
    assert re.search(r'id="customer_number-error">[^<]*at most 32 characters', response.get_data(as_text=True))
    assert _nothing_created(panda_db)


def test_both_numbers_huge_get_both_messages(panda_client, panda_db, make_account, login_as, customer):
    login_as(panda_client, make_account())
    response = _add(panda_client, "9" * 5_000, "9" * 5_000)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="customer_number-error"' in html and 'id="enterprise_number-error"' in html
    assert _nothing_created(panda_db)


@pytest.mark.parametrize("language, message", [("nl", "10 cijfers"), ("fr", "10 chiffres")])
def test_the_message_is_in_the_persons_language(panda_client, make_account, login_as, customer, language, message):
    login_as(panda_client, make_account(language=language))
    response = _add(panda_client, "100234", "9" * 5_000)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_looking_up_the_register_with_huge_numbers_refuses_without_a_server_error(customer):
    with pytest.raises(InvalidEnterpriseNumber):
        find_customer("100234", "9" * 5_000)
    with pytest.raises(NotInRegisterError):
        find_customer("9" * 5_000, "0403.170.701")


def test_a_register_file_with_a_huge_enterprise_number_rejects_that_row_and_imports_the_rest(panda, panda_db):
    rows = [(2, ["100234", "9" * 5_000, "Bakkerij Peeters BV"]), (3, ["100235", "0403.170.701", "Garage BV"])]
    report = import_customers(rows, actor=None)
    assert report.added == 1
    assert [rejection.line for rejection in report.rejected] == [2]
    assert TEN_DIGITS in report.rejected[0].reason
