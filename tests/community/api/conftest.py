"""Calling the community's API with tokens the fake Panda signs (JWTs) or knows (personal access tokens)."""

from __future__ import annotations

import pytest

from tests.community.api.support import Api


@pytest.fixture(autouse=True)
def _forget_introspections():
    from support_community.api.tokens import ANSWERS

    ANSWERS.clear()
    yield
    ANSWERS.clear()


@pytest.fixture()
def api(community_client) -> Api:
    return Api(community_client)
