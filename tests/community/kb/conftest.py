"""The knowledge base's tests: an agent who writes, a customer who reads (see ``tests.community.kb.factories``)."""

from __future__ import annotations

import pytest

from tests.community.factories import JANSSENS, PEETERS, make_person


@pytest.fixture()
def agent_login(login):
    """Sam Support signed in as an agent; returns Sam's ``Person`` row."""
    user = login(name="Sam Support", email="sam@vendor.test", roles=["support_agent"], orgs=[])
    return make_person(user.sub, name=user.name, email=user.email, is_agent=True)


@pytest.fixture()
def customer_login(login, demo_catalog, store):
    """Jan Janssens, an accountant whose token lists Bakkerij Peeters BV and Garage Janssens NV."""
    return login(name="Jan Janssens", email="jan@example.test", orgs=[PEETERS, JANSSENS])


@pytest.fixture()
def writer(community):
    """An agent's row, for articles made directly through the services."""
    return make_person("writer-sub", name="Wendy Writer", is_agent=True)
