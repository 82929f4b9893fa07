from __future__ import annotations

import pytest

from tests.conftest import _TMP
from tests.live import Browser, LiveStack


@pytest.fixture(scope="module")
def stack(smtp_sink):
    live = LiveStack(smtp_sink, _TMP).start()
    yield live
    live.stop()


@pytest.fixture()
def browser():
    return Browser()
