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


def test_community_demo_at_scale_creates_the_accountant_their_clients_and_cases_once(cli):
    from sqlalchemy import func, select

    from shared import demo_scale
    from support_community.auth.models import PersonOrganization
    from support_community.cases.models import Case, Person

    sub = str(demo_scale.ACCOUNT_ID)
    first = cli("demo", "--scale", "60", "--cases", "500")
    assert first.exit_code == 0, first.output
    assert "57 client organizations" in first.output and "500 case(s) added" in first.output
    assert db.session.get(Person, sub).email == demo_scale.EMAIL
    kept = {
        row.organization_id: row
        for row in db.session.scalars(select(PersonOrganization).where(PersonOrganization.sub == sub))
    }
    granted = [client for client in demo_scale.clients(60) if client.community_granted]
    assert set(kept) == {client.id for client in granted}  # the same ids as Panda's demo
    assert kept[granted[0].id].role == "admin" and kept[granted[0].id].enterprise_number.count(".") == 2
    counted = db.session.scalar(select(func.count()).select_from(Case).where(Case.opened_by_sub == sub))
    assert counted == 500
    spread = db.session.scalar(select(func.count(func.distinct(Case.organization_id))).where(Case.opened_by_sub == sub))
    assert spread == len(granted)
    numbers = db.session.scalars(select(Case.number).where(Case.opened_by_sub == sub)).all()
    assert len(set(numbers)) == 500

    again = cli("demo", "--scale", "60", "--cases", "520")
    assert again.exit_code == 0, again.output
    assert "0 organization(s) added" in again.output and "20 case(s) added, 520 in all" in again.output


def test_a_real_sign_in_replaces_the_demo_list_with_pandas(cli):
    from shared import demo_scale
    from support_community.auth import organizations
    from support_community.auth.access import store

    assert cli("demo", "--scale", "40", "--cases", "0").exit_code == 0
    sub = str(demo_scale.ACCOUNT_ID)
    only = demo_scale.client(0)
    store(sub, orgs=[{"id": str(only.id), "name": only.name, "role": "admin"}], roles=[], version=7)
    assert organizations.count(sub) == 1
    again = cli("demo", "--scale", "40")
    assert "Panda's list kept" in again.output
    assert organizations.count(sub) == 1


def test_community_demo_cases_need_a_scale(cli):
    result = cli("demo", "--cases", "10")
    assert result.exit_code != 0 and "--cases needs --scale" in result.output
