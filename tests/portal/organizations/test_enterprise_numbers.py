import pytest

from panda_portal.organizations.demo_data import demo_customers
from panda_portal.organizations.enterprise_numbers import (
    InvalidEnterpriseNumber,
    format_enterprise_number,
    normalize_enterprise_number,
)
from panda_portal.organizations.services.customer_register import enterprise_number_with_check_digits


@pytest.mark.parametrize(
    "typed",
    [
        "0403170701",
        "0403.170.701",
        "BE 0403.170.701",
        "BE0403170701",
        "be0403170701",
        "403170701",
        "403.170.701",
        " 0403 170 701 ",
        "0403-170-701",
    ],
)
def test_an_enterprise_number_is_accepted_the_ways_people_type_it(typed):
    assert normalize_enterprise_number(typed) == "0403170701"


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("0403170702", "check digits"),
        ("2403170701", "starts with 0 or 1"),
        ("04031707", "10 digits"),
        ("040317070123", "10 digits"),
        ("0000000097", "not valid"),
        ("abc", "digits"),
        ("", "Enter the enterprise number"),
    ],
)
def test_an_invalid_enterprise_number_is_refused_with_a_reason(typed, reason):
    with pytest.raises(InvalidEnterpriseNumber) as caught:
        normalize_enterprise_number(typed)
    assert reason in str(caught.value.message)


def test_an_enterprise_number_is_shown_with_dots():
    assert format_enterprise_number("0403170701") == "0403.170.701"


def test_check_digits_are_computed_as_mod_97():
    assert enterprise_number_with_check_digits("04031707") == "0403170701"


def test_every_demo_customer_has_a_valid_enterprise_number():
    customers = demo_customers()
    assert len(customers) >= 5
    assert len({customer for customer, _, _ in customers}) == len(customers)
    for _customer, number, _name in customers:
        assert normalize_enterprise_number(number) == number
