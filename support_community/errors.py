"""The community's explanations on the pages for refused requests (the pages themselves: ``shared.errors``).

Someone who follows a stale link to a case, or opens an organization Panda no
longer lists for them, learns where to go next.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

EXPLANATIONS = {
    401: _l("This page is only for signed-in people. Sign in with Panda and try again."),
    403: _l("Your account has no access to this page."),
    404: _l(
        "This page does not exist, or you have no access to it. A case is only shown in the "
        "organization it belongs to: switch to that organization first."
    ),
}
