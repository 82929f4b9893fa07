"""Forms of "Add an organization" and of the decision on a request to join."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from panda_portal.organizations.enterprise_numbers import (
    ENTERPRISE_NUMBER_INPUT_MAX,
    InvalidEnterpriseNumber,
    normalize_enterprise_number,
)
from panda_portal.organizations.services.joining import MESSAGE_MAX


class AddOrganizationForm(FlaskForm):
    customer_number = StringField(
        _l("Customer number"),
        validators=[
            DataRequired(_l("Enter the customer number.")),
            Length(max=32, message=_l("A customer number has at most 32 characters.")),
        ],
        description=_l("The number your client has as a customer of ours, for example 100234. It is on every invoice."),
    )
    enterprise_number = StringField(
        _l("Enterprise number"),
        validators=[
            DataRequired(_l("Enter the enterprise number.")),
            Length(
                max=ENTERPRISE_NUMBER_INPUT_MAX,
                message=_l("An enterprise number has 10 digits, for example 0403.170.701."),
            ),
        ],
        description=_l("The Belgian company registration number, for example 0403.170.701 or BE 0403.170.701."),
    )
    message = TextAreaField(
        _l("Message for the administrators (optional)"),
        validators=[Length(max=MESSAGE_MAX)],
        description=_l(
            "If the organization is already in Panda, your request to join goes to its "
            "administrators with this message."
        ),
    )

    def validate_enterprise_number(self, field: StringField) -> None:
        if field.errors:
            return  # too long: said once, and never parsed
        try:
            normalize_enterprise_number(field.data or "")
        except InvalidEnterpriseNumber as error:
            raise ValidationError(str(error.message)) from None


class ConfirmOrganizationForm(FlaskForm):
    # A signed, short-lived token from the look-up, not the numbers themselves.
    token = HiddenField(validators=[DataRequired()])


class DecisionForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the requester (optional)"),
        validators=[Length(max=MESSAGE_MAX)],
        description=_l("Sent with the e-mail that tells them your decision."),
    )


class WithdrawForm(FlaskForm):
    """A button that withdraws a request: only the CSRF token."""
