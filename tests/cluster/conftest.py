"""The cluster tests start ``make cluster`` once for the session (see ``harness.ClusterRun``)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.cluster.harness import ClusterBrowser, ClusterRun


@pytest.fixture(scope="session")
def cluster():
    run = ClusterRun()
    try:
        run.start()
        yield run
    finally:
        status = run.stop()
        run.drop_databases()
        # The whole output of the run stays for whoever reads a failure (CI prints where).
        kept = Path(tempfile.gettempdir()) / "cluster-test-last.log"
        kept.write_text(run.log())
        print(f"make cluster's output: {kept}")
        shutil.rmtree(run.folder, ignore_errors=True)
        assert status == 0, f"make cluster exited with {status}; its output: {kept}"


@pytest.fixture()
def browser(cluster):
    return ClusterBrowser(cluster.ca)
