"""The customer register: ``panda customers import`` and the look-up of a pair."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panda_portal.audit.models import AuditEvent
from panda_portal.organizations.enterprise_numbers import InvalidEnterpriseNumber
from panda_portal.organizations.models import CustomerRecord
from panda_portal.organizations.services.customer_register import NotInRegisterError, find_customer

HEADER = "customer_number,enterprise_number,name\n"


@pytest.fixture()
def run_import(panda, tmp_path):
    runner = panda.test_cli_runner()

    def run(content: str | bytes, name: str = "customers.csv"):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return runner.invoke(args=["customers", "import", str(path)])

    return run


def register(panda_db) -> dict[str, tuple[str, str]]:
    panda_db.session.expire_all()
    return {r.customer_number: (r.enterprise_number, r.name) for r in panda_db.session.scalars(select(CustomerRecord))}


def test_importing_adds_every_valid_row_stored_normalized(run_import, panda_db):
    result = run_import(
        HEADER + "100234,0403.170.701,Bakkerij Peeters BV\n"
        "100235,BE 0712.345.630,Garage Dubois SRL\n"
        " 100236 ,876543270,  Brouwerij   De Smedt NV \n"
        "a-17,0456789034,Fiduciaire Lambert SC\n"
    )
    assert result.exit_code == 0, result.output
    assert "4 added, 0 updated, 0 unchanged, 0 rejected." in result.stdout
    assert register(panda_db) == {
        "100234": ("0403170701", "Bakkerij Peeters BV"),
        "100235": ("0712345630", "Garage Dubois SRL"),
        "100236": ("0876543270", "Brouwerij De Smedt NV"),
        "A-17": ("0456789034", "Fiduciaire Lambert SC"),
    }


def test_importing_again_updates_changed_names_and_counts_the_unchanged(run_import, panda_db):
    run_import(HEADER + "100234,0403170701,Bakkerij Peeters\n100235,0712345630,Garage Dubois SRL\n")
    result = run_import(
        HEADER + "100234,0403170701,Bakkerij Peeters BV\n"
        "100235,0712345630,Garage Dubois SRL\n"
        "100236,0876543270,Brouwerij De Smedt NV\n"
    )
    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated, 1 unchanged, 0 rejected." in result.stdout
    assert register(panda_db)["100234"] == ("0403170701", "Bakkerij Peeters BV")


def test_invalid_rows_are_reported_with_their_line_and_reason_and_the_rest_is_imported(run_import, panda_db):
    result = run_import(
        HEADER + "100234,0403170701,Bakkerij Peeters BV\n"  # line 2
        "100235,0403170702,Bad check digits\n"  # line 3
        "100236,,No number\n"  # line 4
        ",0712345630,No customer\n"  # line 5
        "100234,0712345630,Twice in the file\n"  # line 6
        "100237,0712345630\n"  # line 7
        "100238,2403170701,Starts with 2\n"  # line 8
        "\n"  # line 9 (blank, skipped)
        "100239,0876543270,Fine too\n"
    )  # line 10
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged, 6 rejected." in result.stdout
    problems = result.stderr
    assert "line 3: rejected: invalid enterprise number '0403170702'" in problems
    assert "check digits" in problems
    assert "line 4: rejected: missing enterprise_number" in problems
    assert "line 5: rejected: missing customer_number" in problems
    assert "line 6: rejected: customer number 100234 already on line 2" in problems
    assert "line 7: rejected: expected 3 fields, found 2" in problems
    assert "line 8: rejected: invalid enterprise number" in problems
    assert set(register(panda_db)) == {"100234", "100239"}
    assert register(panda_db)["100234"][1] == "Bakkerij Peeters BV"


def test_odd_digits_and_huge_values_are_rejected_with_a_short_reason_not_a_crash(run_import, panda_db):
    result = run_import(
        HEADER + "100240,04031707\u00b9\u00b2,Superscript digits\n"  # line 2
        "100241," + "9" * 5000 + ",A number of five thousand digits\n"  # line 3
        "100242,0876543270,Fine\n"
    )
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 unchanged, 2 rejected." in result.stdout
    problems = result.stderr
    assert "line 2: rejected: invalid enterprise number" in problems
    assert "line 3: rejected: invalid enterprise number '" + "9" * 40 + "…'" in problems
    assert len(problems) < 2000, "the report does not repeat what was refused in full"
    assert set(register(panda_db)) == {"100242"}


def test_a_semicolon_separated_file_with_a_byte_order_mark_is_accepted(run_import, panda_db):
    content = "\ufeffcustomer_number;enterprise_number;name\r\n100234;0403.170.701;Peeters; Bakkerij\r\n"
    result = run_import(content.replace("Peeters; Bakkerij", '"Peeters; Bakkerij"').encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert register(panda_db) == {"100234": ("0403170701", "Peeters; Bakkerij")}


@pytest.mark.parametrize(
    "content",
    [
        "number,enterprise,name\n100234,0403170701,Bakkerij\n",
        "100234,0403170701,Bakkerij\n",
        "",
        b"customer_number,enterprise_number,name\n100234,0403170701,Bakkerij \xff\xfe\n",
    ],
)
def test_a_file_with_a_wrong_header_or_encoding_exits_with_an_error_and_imports_nothing(run_import, panda_db, content):
    result = run_import(content)
    assert result.exit_code != 0
    assert "Error" in result.output
    assert register(panda_db) == {}


def test_a_missing_file_exits_with_an_error(panda, tmp_path):
    result = panda.test_cli_runner().invoke(args=["customers", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0
    assert "cannot read" in result.output


def test_an_import_is_recorded_in_the_audit_log(run_import, panda_db):
    run_import(HEADER + "100234,0403170701,Bakkerij Peeters BV\n100235,x,Bad\n")
    event = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.action == "customers.imported")).one()
    assert event.after == {"added": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert event.actor_id is None


def test_rows_beyond_one_batch_are_all_imported(panda, panda_db, tmp_path):
    rows = "".join(f"{500000 + n},{_number(n)},Customer {n}\n" for n in range(23))
    path = tmp_path / "many.csv"
    path.write_text(HEADER + rows)
    result = panda.test_cli_runner().invoke(args=["customers", "import", "--batch-size", "5", str(path)])
    assert result.exit_code == 0, result.output
    assert "23 added" in result.stdout
    assert len(register(panda_db)) == 23


def _number(n: int) -> str:
    stem = f"0{3000000 + n:07d}"
    return f"{stem}{97 - int(stem) % 97:02d}"


# -- the look-up behind "Add an organization" ---------------------------------------------
def test_a_pair_from_the_register_is_found_whatever_way_the_number_is_typed(make_customer):
    record = make_customer(customer_number="100234", enterprise_number="0403170701")
    for typed in ("0403170701", "BE 0403.170.701", "403170701"):
        assert find_customer(" 100234 ", typed) == record


def test_a_pair_that_does_not_belong_together_is_not_found(make_customer):
    make_customer(customer_number="100234", enterprise_number="0403170701")
    make_customer(customer_number="100235", enterprise_number="0712345630")
    for customer, enterprise in (("100234", "0712345630"), ("999999", "0403170701"), ("", "0403170701")):
        with pytest.raises(NotInRegisterError):
            find_customer(customer, enterprise)


def test_an_invalid_enterprise_number_is_refused_before_the_register_is_read(make_customer):
    with pytest.raises(InvalidEnterpriseNumber):
        find_customer("100234", "0403170702")


# -- demo data -----------------------------------------------------------------------------
def test_the_demo_customers_and_applications_can_be_loaded_twice(panda_db):
    from panda_portal.organizations.demo_data import demo_customers, ensure_applications, ensure_demo_customers
    from panda_portal.organizations.models import Application

    assert ensure_demo_customers() == len(demo_customers())
    assert ensure_applications() == 1
    assert ensure_demo_customers() == 0 and ensure_applications() == 0
    assert len(register(panda_db)) == len(demo_customers())
    community = panda_db.session.get(Application, "support_community")
    assert {community.name("en"), community.name("nl"), community.name("fr")} == {"Support Community"}
    assert community.description("nl") != community.description("en")
    find_customer("100234", "BE 0403.170.701")


# -- the optional contact columns ------------------------------------------------------------------
def contacts(panda_db) -> dict[str, tuple[str | None, str | None]]:
    panda_db.session.expire_all()
    return {r.customer_number: (r.contact_email, r.language) for r in panda_db.session.scalars(select(CustomerRecord))}


def test_a_file_may_carry_a_contact_address_and_its_language(run_import, panda_db):
    result = run_import(
        "customer_number,enterprise_number,name,contact_email,language\n"
        "100234,0403170701,Bakkerij Peeters BV, Boekhouding@Bakkerij-Peeters.be ,NL\n"
        "100235,0712345630,Garage Dubois SRL,,\n"
    )
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout
    assert contacts(panda_db) == {"100234": ("boekhouding@bakkerij-peeters.be", "nl"), "100235": (None, None)}


def test_the_columns_may_come_in_any_order_and_alone(run_import, panda_db):
    result = run_import("customer_number,enterprise_number,name,language\n100234,0403170701,Bakkerij Peeters BV,fr\n")
    assert result.exit_code == 0, result.output
    assert contacts(panda_db) == {"100234": (None, "fr")}


def test_a_file_without_the_contact_columns_leaves_the_stored_ones_alone(run_import, panda_db):
    run_import(
        "customer_number,enterprise_number,name,contact_email,language\n"
        "100234,0403170701,Bakkerij Peeters,boekhouding@bakkerij-peeters.be,nl\n"
    )
    result = run_import(HEADER + "100234,0403170701,Bakkerij Peeters BV\n")
    assert "0 added, 1 updated" in result.stdout
    assert contacts(panda_db) == {"100234": ("boekhouding@bakkerij-peeters.be", "nl")}
    assert register(panda_db)["100234"][1] == "Bakkerij Peeters BV"


def test_an_empty_contact_clears_it_and_an_unchanged_one_counts_as_unchanged(run_import, panda_db):
    header = "customer_number,enterprise_number,name,contact_email,language\n"
    run_import(header + "100234,0403170701,Bakkerij Peeters BV,boekhouding@bakkerij-peeters.be,nl\n")
    assert (
        "1 unchanged"
        in run_import(header + "100234,0403170701,Bakkerij Peeters BV,boekhouding@bakkerij-peeters.be,nl\n").stdout
    )
    assert "1 updated" in run_import(header + "100234,0403170701,Bakkerij Peeters BV,,\n").stdout
    assert contacts(panda_db) == {"100234": (None, None)}


def test_a_wrong_contact_address_or_language_rejects_the_row(run_import, panda_db):
    result = run_import(
        "customer_number,enterprise_number,name,contact_email,language\n"
        "100234,0403170701,Bakkerij Peeters BV,not an address,nl\n"
        "100235,0712345630,Garage Dubois SRL,garage@dubois.be,de\n"
        "100236,0876543270,Brouwerij De Smedt NV,bier@desmedt.be,nl\n"
    )
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 unchanged, 2 rejected." in result.stdout
    assert "line 2: rejected: invalid contact e-mail address 'not an address'" in result.stderr
    assert "line 3: rejected: language must be one of" in result.stderr
    assert contacts(panda_db) == {"100236": ("bier@desmedt.be", "nl")}


def test_an_unknown_column_stops_the_import(run_import, panda_db):
    result = run_import("customer_number,enterprise_number,name,phone\n100234,0403170701,Bakkerij,0470\n")
    assert result.exit_code != 0
    assert "contact_email and language" in result.output
    assert register(panda_db) == {}
