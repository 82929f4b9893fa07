"""Panda's explanations on the pages for refused requests (the pages themselves: ``shared.errors``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

EXPLANATIONS = {
    401: _l("This page is only for signed-in people. Sign in and try again."),
    403: _l(
        "Your account has no access to this page. If you think it should, ask an administrator of the organization."
    ),
    404: _l(
        "This page does not exist, or you have no access to it. Check the address, or start again "
        "from the Panda portal."
    ),
}
