"""HTTP views of the organizations domain, one module per concern, on one blueprint."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)


def _connect_signals(_state: object) -> None:
    """A person turning two-step verification on or off changes which organizations they may act for."""
    from panda_portal.mfa import signals as mfa_signals
    from panda_portal.organizations.services import two_step_requirement

    mfa_signals.two_step_enabled.connect(two_step_requirement.after_two_step_enabled, weak=False)
    mfa_signals.two_step_disabled.connect(two_step_requirement.after_two_step_disabled, weak=False)


bp.record_once(_connect_signals)

from panda_portal.organizations.views import (  # noqa: E402,F401
    access_asks,
    bulk_adding,
    home,
    invitations,
    joining,
    members,
    requests_to_join,
    settings,
)
