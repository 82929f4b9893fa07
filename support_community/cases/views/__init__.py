"""The customer side of cases, one module per concern, on one blueprint ("cases").

Every organization-owned route carries the organization in its URL and declares
the capability it needs; ``permissions.can`` has answered 404 before the view runs
when the token does not list that organization. A case is always loaded with
``get_case_or_404(org_id, case_id)``, which filters by that organization.
Mail preferences (``/account/notifications``) are on a blueprint of their own
(``views.preferences``).
"""

from flask import Blueprint

bp = Blueprint("cases", __name__)

from support_community.cases.views import conversation, creating, downloads, home, listing, too_large  # noqa: E402,F401
