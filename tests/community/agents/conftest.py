"""An agent signed in to the community: a token with ``roles: ["support_agent"]``."""

from __future__ import annotations

import pytest

from tests.community.factories import make_person


@pytest.fixture()
def agent(login):
    """Sam Support signed in as an agent; returns Sam's ``Person`` row (as the first request would make it)."""
    user = login(name="Sam Support", email="sam@vendor.test", roles=["support_agent"], orgs=[])
    return make_person(user.sub, name=user.name, email=user.email, is_agent=True)
