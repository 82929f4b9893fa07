"""Belgian enterprise numbers (ondernemingsnummer / numéro d'entreprise).

Accepted the ways people type them (``0403170701``, ``0403.170.701``,
``BE 0403.170.701``, ``403170701``), validated with python-stdnum (ten digits,
first digit 0 or 1, mod-97 check digits), stored as ten digits, shown as
``0403.170.701``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from stdnum.be import vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from shared.errors import DomainError

# Longer than any way of typing one (``BE 0403.170.701`` has 15 characters), with room
# for stray spaces. Checked before anything is parsed: python-stdnum turns the digits
# into an integer before it looks at their number, and Python refuses to turn more than
# 4,300 digits into an integer (a ValueError, so a server error, not a message).
ENTERPRISE_NUMBER_INPUT_MAX = 40


class InvalidEnterpriseNumber(DomainError, ValueError):
    """The enterprise number as typed is not one; ``message`` tells the person why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message), field="enterprise_number")


def normalize_enterprise_number(value: str) -> str:
    """Ten digits, or ``InvalidEnterpriseNumber`` with a message a person understands."""
    if value is None or not str(value).strip():
        raise InvalidEnterpriseNumber(_l("Enter the enterprise number."))
    typed = str(value).strip()
    if len(typed) > ENTERPRISE_NUMBER_INPUT_MAX:
        raise InvalidEnterpriseNumber(_l("An enterprise number has 10 digits, for example 0403.170.701."))
    try:
        number = vat.validate(typed)
    except InvalidChecksum:
        raise InvalidEnterpriseNumber(
            _l("This enterprise number is not valid: its check digits do not match. Check for a typing error.")
        ) from None
    except InvalidLength:
        raise InvalidEnterpriseNumber(_l("An enterprise number has 10 digits, for example 0403.170.701.")) from None
    except InvalidComponent:
        raise InvalidEnterpriseNumber(_l("An enterprise number starts with 0 or 1.")) from None
    except (InvalidFormat, ValidationError):
        raise InvalidEnterpriseNumber(_l("Enter the enterprise number as digits, for example 0403.170.701.")) from None
    if int(number[:8]) == 0:
        raise InvalidEnterpriseNumber(_l("This enterprise number is not valid."))
    return number


def format_enterprise_number(number: str | None) -> str:
    """``0403170701`` → ``0403.170.701`` (anything else is returned unchanged)."""
    if not number or len(number) != 10 or not number.isdigit():
        return number or ""
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def normalize_customer_number(value: str) -> str:
    """Customer numbers are the vendor's own: digits and letters, compared without spaces."""
    cleaned = "".join(str(value or "").split()).upper()
    if not cleaned:
        raise ValueError("empty customer number")
    return cleaned
