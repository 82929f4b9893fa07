"""Adding clients in bulk: the preview, the work in the background, failures, limits and the result."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from panda_portal.organizations.models import (
    BulkAddBatch,
    BulkAddRow,
    BulkAddStatus,
    Membership,
    MembershipStatus,
    Organization,
    Role,
)
from panda_portal.organizations.services import bulk_adding as service
from panda_portal.organizations.services import joining
from panda_portal.outbox.models import OutboxMessage
from shared.database import utcnow
from tests.portal.factories import SUPPORT

BAD_CHECK_DIGITS = "0403.170.702"


@pytest.fixture()
def office(make_account, panda_client, login_as):
    accountant = make_account(name="Olga Office", email="olga@example.org")
    login_as(panda_client, accountant)
    return accountant


@pytest.fixture()
def register(make_customer, make_org, make_account, make_membership, office):
    """Two customers not in Panda, two organizations with administrators, one where Olga is a member."""
    new_one = make_customer(customer_number="500001", enterprise_number="0403170701", name="Bakkerij Nieuw BV")
    new_two = make_customer(customer_number="500002", enterprise_number="0202239951", name="Garage Twee BV")
    ann = make_account(name="Ann Admin", email="ann@example.org", language="nl")
    bob = make_account(name="Bob Admin", email="bob@example.org", language="fr")
    shop = make_org(name="Shop Drie BV", customer_number="500003", enterprise_number="0417497106")
    mill = make_org(name="Molen Vier BV", customer_number="500004", enterprise_number="0203201340")
    mine = make_org(name="Eigen Vijf BV", customer_number="500005", enterprise_number="0207437468")
    make_membership(ann, shop, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(ann, mill, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(bob, mill, role=Role.ADMIN, grants=[SUPPORT])
    make_membership(office, mine)
    return {"new": (new_one, new_two), "shop": shop, "mill": mill, "mine": mine, "ann": ann, "bob": bob}


LIST = "\n".join(
    [
        "customer_number,enterprise_number",
        "500001,0403.170.701",  # line 2: new
        "500002,BE0202239951",  # line 3: new
        "500003,417497106",  # line 4: already in Panda, request to join
        "500004,0203.201.340",  # line 5: request to join (two administrators)
        "500005,0207.437.468",  # line 6: already a member
        f"500006,{BAD_CHECK_DIGITS}",  # line 7: check digits
        "999999,0403.170.701",  # line 8: not a pair of the register
        "500001,0403170701",  # line 9: duplicate of line 2
    ]
)


def upload(client, text: str | bytes, *, as_file: bool = False):
    if as_file:
        data = {"file": (io.BytesIO(text if isinstance(text, bytes) else text.encode()), "clients.csv")}
    else:
        data = {"rows": text}
    return client.post_form("/orgs/add/bulk", data, page="/orgs/add/bulk")


def the_batch(panda_db, office) -> BulkAddBatch:
    return panda_db.session.scalars(
        select(BulkAddBatch).where(BulkAddBatch.account_id == office.id).order_by(BulkAddBatch.created_at.desc())
    ).first()


def membership_of(panda_db, account, organization_id) -> Membership | None:
    return (
        panda_db.session.execute(
            select(Membership).where(Membership.account_id == account.id, Membership.organization_id == organization_id)
        )
        .unique()
        .scalar_one_or_none()
    )


def confirm(client, batch):
    url = f"/orgs/add/bulk/{batch.id}"
    return client.post_form(f"{url}/confirm", page=url)


def organization_count(panda_db) -> int:
    return panda_db.session.scalar(select(func.count()).select_from(Organization))


# -- the preview ---------------------------------------------------------------------------
def test_the_preview_says_for_each_line_what_will_happen_and_adds_nothing(panda_client, panda_db, office, register):
    before = organization_count(panda_db)
    response = upload(panda_client, LIST)
    assert response.status_code == 303
    batch = the_batch(panda_db, office)
    assert response.headers["Location"] == f"/orgs/add/bulk/{batch.id}"
    assert (batch.status, batch.total_rows, batch.work_rows) == (BulkAddStatus.PREVIEW, 8, 4)

    html = panda_client.get(f"/orgs/add/bulk/{batch.id}").get_data(as_text=True)
    for text in (
        "New: you become administrator",
        "Already in Panda: a request to join is sent",
        "Already a member",
        "Not in the customer register",
        "its check digits do not match",
        "do not belong together in our customer register",
        "Duplicate row",
        "The same client as on line 2.",
        "Add 4 organizations",
    ):
        assert text in html, text
    assert organization_count(panda_db) == before
    assert membership_of(panda_db, office, register["shop"].id) is None


def test_a_file_with_semicolons_from_excel_is_read_like_a_pasted_list(panda_client, panda_db, office, register):
    assert upload(panda_client, "\ufeff500001;0403.170.701\r\n500003;0417.497.106\r\n", as_file=True).status_code == 303
    batch = the_batch(panda_db, office)
    assert (batch.total_rows, batch.work_rows) == (2, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        ("500001,0403.170.701,Café".encode("latin-1"), "not in UTF-8"),
        ("\n".join(f"{600000 + n},0403.170.701" for n in range(100_000)).encode(), "too large"),
        ("\n".join(f"{600000 + n},0403.170.701" for n in range(5001)).encode(), "At most 5,000 rows"),
        (b'500001,"0403.170.701\n500002,0202239951', "cannot be read as CSV"),
        (b"\n\n  \n", "The list is empty"),
    ],
    ids=["binary", "latin-1", "100000-rows", "5001-rows", "open-quote", "empty"],
)
def test_a_file_that_cannot_be_read_gets_a_clear_error_not_a_server_error(
    panda_client, panda_db, office, content, message
):
    response = upload(panda_client, content, as_file=True)
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert message in response.get_data(as_text=True)
    assert the_batch(panda_db, office) is None


def test_a_huge_cell_is_refused_on_its_line_and_the_others_are_checked(panda_client, panda_db, office, register):
    assert upload(panda_client, f"{'9' * 50_000},0403.170.701\n500001,0403.170.701").status_code == 303
    batch = the_batch(panda_db, office)
    rows = service.batch_rows(batch)
    assert [row.preview for row in rows] == ["not_in_register", "new"]
    assert len(rows[0].customer_number) <= service.CELL_MAX


def test_a_line_without_an_enterprise_number_says_what_is_missing(panda_client, panda_db, office, register):
    upload(panda_client, "500001\n500003,0417.497.106")
    batch = the_batch(panda_db, office)
    html = panda_client.get(f"/orgs/add/bulk/{batch.id}").get_data(as_text=True)
    assert "Each line needs a customer number and an enterprise number" in html


def test_failed_look_ups_in_a_list_count_against_the_single_forms_limit(
    panda, panda_client, panda_db, office, register, monkeypatch
):
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT", "3 per hour")
    # Two pairs that are not in the register: within the limit, and counted.
    assert upload(panda_client, "999991,0403.170.701\n999992,0403.170.701\n500001,0403.170.701").status_code == 303
    # The single form now has one failed look-up left.
    single = {"customer_number": "999993", "enterprise_number": "0403.170.701"}
    assert panda_client.post_form("/orgs/add", single, page="/orgs/add").status_code == 422
    assert panda_client.post_form("/orgs/add", single, page="/orgs/add").status_code == 429
    # And a list is refused too, before anything is looked up.
    blocked = upload(panda_client, "500001,0403.170.701")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_a_list_with_more_failed_look_ups_than_the_limit_shows_nothing_of_them(
    panda, panda_client, panda_db, office, register, monkeypatch
):
    monkeypatch.setitem(panda.config, "ADD_ORGANIZATION_LIMIT", "3 per hour")
    guesses = "\n".join(f"{990000 + n},0403.170.701" for n in range(10))
    response = upload(panda_client, guesses + "\n500001,0403.170.701")
    assert response.status_code == 429
    assert the_batch(panda_db, office) is None
    single = {"customer_number": "500001", "enterprise_number": "0403.170.701"}
    assert panda_client.post_form("/orgs/add", single, page="/orgs/add").status_code == 429


def test_someone_elses_list_is_not_found(panda_client, panda_db, office, register, make_account, login_as):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    login_as(panda_client, make_account())
    assert panda_client.get(f"/orgs/add/bulk/{batch.id}").status_code == 404
    assert panda_client.get(f"/orgs/add/bulk/{batch.id}/result.csv").status_code == 404
    assert confirm(panda_client, batch).status_code == 404


# -- the work ------------------------------------------------------------------------------
def test_a_confirmed_list_waits_for_the_worker_and_the_page_says_so(panda_client, panda_db, office, register, deliver):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    assert confirm(panda_client, batch).status_code == 303
    panda_db.session.refresh(batch)
    assert batch.status == BulkAddStatus.QUEUED
    assert (
        panda_db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "bulk_add"))
        == 1
    )
    html = panda_client.get(f"/orgs/add/bulk/{batch.id}").get_data(as_text=True)
    assert "Waiting to start" in html
    assert '<meta http-equiv="refresh" content="3">' in html
    assert membership_of(panda_db, office, register["shop"].id) is None

    deliver()  # the worker runs
    panda_db.session.refresh(batch)
    assert batch.status == BulkAddStatus.DONE and batch.done_rows == 4
    for customer in register["new"]:
        organization = panda_db.session.scalar(
            select(Organization).where(Organization.customer_number == customer.customer_number)
        )
        membership = membership_of(panda_db, office, organization.id)
        assert (membership.status, membership.role) == (MembershipStatus.ACTIVE, Role.ADMIN)
        assert SUPPORT in membership.granted_keys
    for name in ("shop", "mill"):
        assert membership_of(panda_db, office, register[name].id).status == MembershipStatus.PENDING
    html = panda_client.get(f"/orgs/add/bulk/{batch.id}").get_data(as_text=True)
    assert "http-equiv" not in html
    assert "Download the result (CSV)" in html
    assert "Added: you are administrator" in html and "Request to join sent" in html


def test_confirming_twice_queues_the_work_once(panda_client, panda_db, office, register):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    confirm(panda_client, batch)
    confirm(panda_client, batch)
    assert (
        panda_db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "bulk_add"))
        == 1
    )


def test_an_old_preview_cannot_be_confirmed(panda_client, panda_db, office, register):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    batch.created_at = utcnow() - dt.timedelta(days=2)
    panda_db.session.flush()
    response = confirm(panda_client, batch)
    assert response.status_code == 302 and response.headers["Location"] == "/orgs/add/bulk"
    panda_db.session.refresh(batch)
    assert batch.status == BulkAddStatus.PREVIEW


def test_each_administrator_receives_one_mail_listing_every_request_of_the_list(
    panda_client, panda_db, office, register, deliver, mail_sink
):
    upload(panda_client, LIST)
    confirm(panda_client, the_batch(panda_db, office))
    deliver()  # the work, which queues the mails
    deliver()  # the mails
    to_ann = [mail for mail in mail_sink.messages if mail.to == "ann@example.org"]
    to_bob = [mail for mail in mail_sink.messages if mail.to == "bob@example.org"]
    assert len(to_ann) == 1 and len(to_bob) == 1
    assert "Shop Drie BV" in to_ann[0].text and "Molen Vier BV" in to_ann[0].text
    assert "Olga Office vraagt toetreding tot 2 organisaties" in to_ann[0].subject
    assert "Molen Vier BV" in to_bob[0].text and "Shop Drie BV" not in to_bob[0].text
    assert to_ann[0].link_path(f"/orgs/{register['shop'].id}/requests/")


def test_a_crash_halfway_leaves_no_half_done_line_and_the_next_run_finishes(
    panda_client, panda_db, office, register, monkeypatch
):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    confirm(panda_client, batch)
    monkeypatch.setattr(service, "CHUNK", 2)
    real = joining.create_organization
    calls = []

    def crash_on_the_third(*args, **kwargs):
        calls.append(args)
        membership = real(*args, **kwargs)
        if len(calls) == 3:
            raise RuntimeError("the worker's machine went away")
        return membership

    monkeypatch.setattr(joining, "create_organization", crash_on_the_third)
    panda_db.session.commit()  # the worker works in its own transactions
    with pytest.raises(RuntimeError):
        service.process_bulk_add({"batch_id": str(batch.id)})

    rows = {row.line: row for row in service.batch_rows(batch)}
    assert [line for line, row in rows.items() if row.preview in service.WORK and row.done] == [2, 3]
    # The third line (the shop) was written, then rolled back with the crash: no membership without its record.
    assert membership_of(panda_db, office, register["shop"].id) is None
    for line, row in rows.items():
        if row.preview in service.WORK:
            has_membership = row.membership_id is not None and panda_db.session.get(Membership, row.membership_id)
            assert bool(has_membership) == row.done, line

    monkeypatch.setattr(joining, "create_organization", real)
    service.process_bulk_add({"batch_id": str(batch.id)})
    panda_db.session.refresh(batch)
    assert batch.status == BulkAddStatus.DONE and batch.done_rows == 4
    assert membership_of(panda_db, office, register["shop"].id).status == MembershipStatus.PENDING


def test_when_the_worker_fails_the_outbox_tries_the_list_again_later(
    panda_client, panda_db, office, register, deliver, monkeypatch
):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    confirm(panda_client, batch)
    monkeypatch.setattr(joining, "create_organization", lambda *a, **k: (_ for _ in ()).throw(OSError("disk")))
    deliver()
    message = panda_db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "bulk_add"))
    panda_db.session.refresh(message)
    assert message.sent_at is None and message.failed_at is None and message.attempts == 1
    monkeypatch.undo()
    message.next_attempt_at = utcnow()
    deliver()
    panda_db.session.refresh(batch)
    assert batch.status == BulkAddStatus.DONE


def test_with_the_mail_server_down_the_administrators_mails_wait_and_are_sent_later(
    panda_client, panda_db, office, register, deliver, mail_sink, smtp_sink
):
    upload(panda_client, LIST)
    batch = the_batch(panda_db, office)
    confirm(panda_client, batch)
    smtp_sink.refuse = True
    deliver()
    deliver()
    panda_db.session.refresh(batch)
    assert batch.status == BulkAddStatus.DONE
    waiting = list(panda_db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail")))
    assert waiting and all(message.sent_at is None and message.failed_at is None for message in waiting)
    assert not [mail for mail in mail_sink.messages if mail.to == "ann@example.org"]

    smtp_sink.refuse = False
    for message in waiting:
        message.next_attempt_at = utcnow()
    deliver()
    assert len([mail for mail in mail_sink.messages if mail.to == "ann@example.org"]) == 1


def test_a_line_whose_organization_was_added_meanwhile_becomes_a_request_to_join(
    panda_client, panda_db, office, register, make_account, make_membership, deliver
):
    upload(panda_client, "500001,0403.170.701")
    batch = the_batch(panda_db, office)
    first = make_account()
    joining.create_organization("500001", "0403170701", actor=first)
    confirm(panda_client, batch)
    deliver()
    row = service.batch_rows(batch)[0]
    assert row.outcome == "requested"


# -- the result ----------------------------------------------------------------------------
def test_the_result_can_be_downloaded_and_a_formula_in_it_stays_text(panda_client, panda_db, office, register, deliver):
    upload(panda_client, LIST + '\n"=HYPERLINK(""http://evil.example"")",0403.170.701\n@SUM(A1),0403.170.701')
    batch = the_batch(panda_db, office)
    confirm(panda_client, batch)
    deliver()
    response = panda_client.get(f"/orgs/add/bulk/{batch.id}/result.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Line", "Customer number", "Enterprise number", "Organization", "Outcome", "Reason"]
    by_line = {row[0]: row for row in rows[1:]}
    assert by_line["2"][4] == "Added: you are administrator"
    assert by_line["4"][4] == "Request to join sent"
    assert by_line["7"][4] == "Not in the customer register" and "check digits" in by_line["7"][5]
    assert by_line["10"][1].startswith("'=")
    assert by_line["11"][1].startswith("'@")
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_the_worker_adds_lines_through_the_single_forms_rules(panda_db, office, register):
    """A line is added by ``joining.create_organization``: the register is checked again at that moment."""
    rows = service.read_rows("500001,0403.170.701")
    preview = service.preview_bulk_add(rows, actor=office)
    service.confirm_bulk_add(preview.batch, actor=office)
    panda_db.session.delete(register["new"][0])
    panda_db.session.flush()
    service.process_bulk_add({"batch_id": str(preview.batch.id)})
    row = panda_db.session.scalar(select(BulkAddRow).where(BulkAddRow.batch_id == preview.batch.id))
    assert (row.done, row.outcome) == (True, "not_in_register")


def test_the_result_is_in_the_persons_language(panda_client, panda_db, office, register, deliver):
    office.language = "nl"
    panda_db.session.commit()
    upload(panda_client, f"500001,0403.170.701\n500006,{BAD_CHECK_DIGITS}")
    batch = the_batch(panda_db, office)
    confirm(panda_client, batch)
    deliver()
    text = panda_client.get(f"/orgs/add/bulk/{batch.id}/result.csv").get_data(as_text=True)
    assert text.startswith("\ufeffRegel,Klantnummer,Ondernemingsnummer,Organisatie,Resultaat,Reden")
    assert "Toegevoegd: u bent beheerder" in text and "Niet in het klantenregister" in text


def test_previews_never_confirmed_are_forgotten_after_a_day(panda_client, panda_db, office, register):
    upload(panda_client, LIST)
    old = the_batch(panda_db, office)
    old.created_at = utcnow() - dt.timedelta(days=2)
    old_id = old.id
    panda_db.session.commit()
    upload(panda_client, "500001,0403.170.701")
    panda_db.session.expire_all()
    assert panda_db.session.get(BulkAddBatch, old_id) is None
    assert (
        panda_db.session.scalar(select(func.count()).select_from(BulkAddRow).where(BulkAddRow.batch_id == old_id)) == 0
    )


def test_the_page_of_a_list_reads_the_same_number_of_statements_for_10_and_400_lines(
    panda_client, panda_db, office, register
):
    from flask import g
    from sqlalchemy import event

    def statements(url: str) -> int:
        seen: list[int] = []
        panda_db.session.expunge_all()
        for cached in ("current_account", "org_context", "organization_switcher", "_flask_babel"):
            g.pop(cached, None)

        def count(*_args) -> None:
            seen.append(1)

        event.listen(panda_db.engine, "before_cursor_execute", count)
        try:
            assert panda_client.get(url).status_code == 200
        finally:
            event.remove(panda_db.engine, "before_cursor_execute", count)
        return len(seen)

    counts = []
    office_id = office.id
    for size in (10, 400):
        upload(panda_client, "\n".join(f"{990000 + n},0403.170.701" for n in range(size - 1)) + "\n500001,0403170701")
        batch_id = panda_db.session.scalars(
            select(BulkAddBatch.id).where(BulkAddBatch.account_id == office_id).order_by(BulkAddBatch.created_at.desc())
        ).first()
        panda_client.get(f"/orgs/add/bulk/{batch_id}")
        counts.append(statements(f"/orgs/add/bulk/{batch_id}"))
    assert counts[0] == counts[1], counts


def test_the_worker_tells_the_clients_that_the_persons_access_grew(panda_db, office, register):
    from panda_portal.oidc.events import ACCESS_EVENT
    from panda_portal.oidc.services import register_client

    register_client(
        "support-community",
        ["https://community.test/auth/callback"],
        backchannel_logout_uri="https://community.test/auth/backchannel-logout",
        requires_grant=SUPPORT,
    )
    preview = service.preview_bulk_add(service.read_rows(LIST), actor=office)
    service.confirm_bulk_add(preview.batch, actor=office)
    assert service.process_chunk(preview.batch.id)
    panda_db.session.flush()
    events = [
        message.payload
        for message in panda_db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == ACCESS_EVENT))
    ]
    assert events == [{"client_id": "support-community", "sub": str(office.id), "withdrawn": []}]


def test_the_worker_reads_the_register_once_for_a_chunk_not_once_per_line(panda_db, office, register):
    from sqlalchemy import event

    preview = service.preview_bulk_add(service.read_rows(LIST), actor=office)
    service.confirm_bulk_add(preview.batch, actor=office)
    panda_db.session.flush()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(panda_db.engine, "before_cursor_execute", note)
    try:
        assert service.process_chunk(preview.batch.id)
        panda_db.session.flush()
    finally:
        event.remove(panda_db.engine, "before_cursor_execute", note)
    register_reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM customer_records" in s]
    application_reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM applications" in s]
    assert (len(register_reads), len(application_reads)) == (1, 1)
    rows = {row.line: row for row in service.batch_rows(preview.batch)}
    assert [rows[line].outcome for line in (2, 3, 4, 5)] == ["created", "created", "requested", "requested"]
    assert all(rows[line].done for line in rows)
