"""HTTP views of the organizations domain, one module per concern, on one blueprint."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

from panda_portal.organizations.views import home, invitations, joining, members  # noqa: E402,F401
