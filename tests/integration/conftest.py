from __future__ import annotations

import pytest

from tests.live import Browser, LiveStack
from tests.support import TEST_INSTANCE


@pytest.fixture(scope="module")
def stack(smtp_sink):
    live = LiveStack(smtp_sink, TEST_INSTANCE).start()
    yield live
    live.stop()


@pytest.fixture()
def browser():
    return Browser()
