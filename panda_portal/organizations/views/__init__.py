"""HTTP views of the organizations domain, one module per concern, on one blueprint."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

from panda_portal.organizations.views import (  # noqa: E402,F401
    access_asks,
    bulk_adding,
    home,
    invitations,
    joining,
    members,
    requests_to_join,
)
