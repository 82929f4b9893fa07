"""The cases' command line: ``community demo``, ``community catalog import``, ``community attachments purge``."""

from __future__ import annotations

import datetime as dt
import io
import json
import os

import pytest

from support_community.cases.models import Product
from support_community.extensions import db
from tests.community.files import stored_files


@pytest.fixture()
def cli(community):
    runner = community.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args))

    return run


def test_community_demo_loads_the_catalog_and_can_run_again(cli):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert "added" in first.output
    again = cli("demo")
    assert again.exit_code == 0 and "0 added, 0 updated" in again.output
    assert db.session.get(Product, "invoicing").name_nl == "Panda Facturatie"


def test_community_catalog_import_reads_a_json_file(cli, tmp_path):
    path = tmp_path / "catalog.json"
    names = {"en": "Panda Cash", "nl": "Panda Kassa", "fr": "Panda Caisse"}
    path.write_text(
        json.dumps([{"key": "cash", "names": names, "categories": [{"key": "tickets", "names": {"en": "Receipts"}}]}]),
        encoding="utf-8",
    )
    result = cli("catalog", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged." in result.output
    assert db.session.get(Product, "cash").name_nl == "Panda Kassa"


def test_community_catalog_import_reports_a_bad_file_and_writes_nothing(cli, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("product,name_en\ncash,Cash\nBAD,Bad\n", encoding="utf-8")
    result = cli("catalog", "import", str(path))
    assert result.exit_code != 0
    assert "line 3" in result.output
    assert db.session.get(Product, "cash") is None
    assert cli("catalog", "import", str(tmp_path / "missing.csv")).exit_code != 0


def test_the_purge_command_reports_what_it_deleted(community, store):
    orphan = store.save(io.BytesIO(b"x"))
    old = (dt.datetime.now() - dt.timedelta(days=3)).timestamp()
    os.utime(store.root / orphan[:2] / orphan, (old, old))
    result = community.test_cli_runner().invoke(args=["attachments", "purge", "--older-than-hours", "24"])
    assert result.exit_code == 0, result.output
    assert "1 unreferenced file(s) deleted." in result.output
    assert stored_files(store) == []
