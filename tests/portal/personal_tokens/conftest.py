"""Fixtures of the personal access token tests.

pat = make_pat(account, scopes=["orgs:read"], days=90)   # the token's value (made by the service)
"""

from __future__ import annotations

import pytest


@pytest.fixture()
def make_pat(panda, panda_db):
    from panda_portal.personal_tokens.services import create_token

    def make(account, *, scopes=("orgs:read",), days: int = 90, name: str = "script") -> str:
        with panda.test_request_context("/"):
            _row, value = create_token(account, name=name, scopes=list(scopes), days=days, actor=account)
        panda_db.session.commit()
        return value

    return make
