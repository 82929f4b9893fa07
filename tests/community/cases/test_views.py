"""The customer pages of cases, through the browser's eyes (CSRF on, one app context per request)."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from sqlalchemy import select

from shared.database import utcnow
from support_community.cases.models import Attachment, Case, CaseMessage, MessageKind, Person, Status
from support_community.cases.services import attachments as attachment_service
from support_community.cases.services.conversation import is_following
from support_community.extensions import db
from tests.community.factories import JANSSENS, PEETERS, acting_as, category, open_case, user_with
from tests.community.files import HTML, PDF, PNG, stored_files, upload

LIST = f"/orgs/{PEETERS['id']}/cases"
NEW = f"{LIST}/new"


def detail_url(case) -> str:
    return f"/orgs/{case.organization_id}/cases/{case.id}"


def page_of(response) -> str:
    return response.get_data(as_text=True)


def main_of(response) -> str:
    return page_of(response).split('<main id="main"', 1)[1]


@pytest.fixture()
def jan(login, demo_catalog, store):
    """Jan Janssens, an accountant whose token lists Bakkerij Peeters BV and Garage Janssens NV."""
    return login(name="Jan Janssens", email="jan@example.test", orgs=[PEETERS, JANSSENS])


@pytest.fixture()
def case(jan):
    return open_case(PEETERS, acting_as(jan), subject="The VAT return does not balance")


def post_new_case(client, **changes):
    data = {
        "product": "accounting",
        "category": str(category("accounting", "vat").id),
        "severity": "high",
        "subject": "Box 54 is wrong",
        "description": "Since the update, box 54 is wrong.\nSee https://x.test/a",
    }
    data.update(changes)
    return client.post_form(NEW, data, page=NEW, content_type="multipart/form-data")


# -- the organization's list -------------------------------------------------------------------------
def test_the_list_shows_the_cases_with_their_facts_and_whom_the_person_acts_for(community_client, case):
    page = page_of(community_client.get(LIST))
    assert "You are acting for Bakkerij Peeters BV (0403.170.701)" in page
    row = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    for text in (case.number, "The VAT return does not balance", "New", "Normal", "Panda Accounting", "Jan Janssens"):
        assert text in row
    assert f'href="{detail_url(case)}"' in row


def test_the_list_filters_searches_and_sorts_from_the_query_string(community_client, jan, case):
    open_case(PEETERS, acting_as(jan), subject="Payslips", product="payroll", category_key="payslips")
    assert "Payslips" not in main_of(community_client.get(LIST, query_string={"product": "accounting"}))
    assert "Payslips" in main_of(
        community_client.get(LIST, query_string={"q": "payslips", "sort": "severity", "direction": "asc"})
    )
    page = main_of(community_client.get(LIST, query_string={"q": "nothing like it"}))
    assert "No case matches these filters." in page


@pytest.mark.parametrize(
    "query",
    [
        {"status": "<script>"},
        {"sort": "id; drop table cases"},
        {"page": "-3"},
        {"page": "x"},
        {"direction": "sideways"},
        {"opener": "x" * 500},
        {"q": "x" * 5000},
    ],
)
def test_odd_query_strings_are_ignored_not_errors(community_client, case, query):
    response = community_client.get(LIST, query_string=query)
    assert response.status_code == 200
    assert "<script>" not in main_of(response)


def test_the_list_pages_with_links_that_keep_the_filters(community_client, jan):
    ann = acting_as(jan)
    for n in range(26):
        open_case(PEETERS, ann, subject=f"Case {n}", severity="high")
    page = main_of(community_client.get(LIST, query_string={"severity": "high"}))
    assert f'href="{LIST}?severity=high&amp;page=2"' in page
    second = main_of(community_client.get(LIST, query_string={"severity": "high", "page": "2"}))
    assert second.count("<tr>") == 2  # the header and one case
    assert "Previous page" in second


def test_the_opened_by_choices_name_the_people_who_opened_cases(community_client, login, demo_catalog, store):
    bart = acting_as(login(sub="bart", name="Bart Boekhouder", orgs=[PEETERS]))
    open_case(PEETERS, bart)
    login(name="Jan Janssens", orgs=[PEETERS])
    page = page_of(community_client.get(LIST))
    assert '<option value="me">Opened by me</option>' in page
    assert '<option value="bart">Bart Boekhouder</option>' in page


# -- a new case ------------------------------------------------------------------------------------
def test_the_new_case_form_offers_products_and_their_categories(community_client, jan):
    page = page_of(community_client.get(NEW))
    assert "You are acting for Bakkerij Peeters BV" in page
    assert '<option value="accounting">Panda Accounting</option>' in page
    assert '<optgroup label="Panda Payroll">' in page
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input[^>]*multiple[^>]*name="attachments"[^>]*type="file"', page)
    for field in ("product", "category", "severity", "subject", "description", "attachments"):
        assert f'<label for="{field}">' in page


def test_the_form_speaks_the_persons_language_for_product_names(community_client, login, demo_catalog):
    login(orgs=[PEETERS], locale="nl")
    page = page_of(community_client.get(NEW))
    assert ">Panda Boekhouding</option>" in page and ">Btw-aangiften</option>" in page


def test_opening_a_case_goes_to_it_and_records_who_acted_for_whom(community_client, community_db, jan, store):
    response = post_new_case(
        community_client, attachments=[(io.BytesIO(PDF), "aangifte.pdf"), (io.BytesIO(PNG), "scherm.png")]
    )
    assert response.status_code == 302
    case = community_db.session.scalar(select(Case))
    assert response.headers["Location"] == detail_url(case)
    assert (case.organization_id, case.opened_by_sub, case.subject) == (
        uuid.UUID(PEETERS["id"]),
        jan.sub,
        "Box 54 is wrong",
    )
    assert community_db.session.get(Person, jan.sub).name == "Jan Janssens"
    assert len(stored_files(store)) == 2

    page = page_of(community_client.get(response.headers["Location"]))
    assert f"Case {case.number} was opened." in page
    assert "Jan Janssens for Bakkerij Peeters BV" in page
    assert "aangifte.pdf" in page and "scherm.png" in page


def test_a_category_of_another_product_is_refused_next_to_the_field(community_client, community_db, jan):
    response = post_new_case(community_client, category=str(category("payroll", "payslips").id))
    assert response.status_code == 400
    page = page_of(response)
    assert re.search(r'<p class="error" id="category-error">Choose a category of Panda Accounting\.</p>', page)
    assert 'value="Box 54 is wrong"' in page  # what was typed is kept
    assert community_db.session.scalar(select(Case)) is None


def test_a_missing_subject_is_a_form_error(community_client, jan):
    response = post_new_case(community_client, subject="")
    assert response.status_code == 400
    assert 'id="subject-error"' in page_of(response)


@pytest.mark.parametrize("subject", ["Two\nlines", "Invoice \u202egnp.exe", "Line\u2028separator", "Tab\there"])
def test_a_subject_on_more_than_one_line_or_with_hidden_controls_is_a_form_error(
    community_client, community_db, jan, subject
):
    response = post_new_case(community_client, subject=subject)
    assert response.status_code == 400
    assert 'id="subject-error"' in page_of(response)
    assert community_db.session.scalar(select(Case)) is None


def test_a_pdf_that_is_html_is_refused_and_nothing_is_kept(community_client, community_db, jan, store):
    response = post_new_case(community_client, attachments=[(io.BytesIO(HTML), "factuur.pdf")])
    assert response.status_code == 400
    assert "“factuur.pdf” is not a type of file that can be attached." in page_of(response)
    assert community_db.session.scalar(select(Case)) is None
    assert stored_files(store) == []


def test_a_file_over_the_limit_is_refused_with_a_clear_message(
    community, community_client, community_db, jan, store, monkeypatch
):
    monkeypatch.setitem(community.config, "ATTACHMENT_MAX_MB", 1)
    response = post_new_case(community_client, attachments=[(io.BytesIO(b"a" * (1024 * 1024 + 10)), "big.txt")])
    assert response.status_code == 400
    assert "“big.txt” is larger than 1 MB." in page_of(response)
    assert community_db.session.scalar(select(Case)) is None


def test_a_request_over_the_size_limit_gets_a_friendly_page_not_a_crash(community, community_client, jan, monkeypatch):
    token = community_client.csrf_token(NEW)
    monkeypatch.setitem(community.config, "MAX_CONTENT_LENGTH", 2048)
    response = community_client.post(
        NEW,
        data={"csrf_token": token, "subject": "x", "attachments": (io.BytesIO(b"a" * 10_000), "big.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    page = page_of(response)
    assert "The files are too large" in page and "Nothing was saved." in page
    assert f'href="{NEW}"' in page


def test_a_case_cannot_be_opened_for_an_organization_the_token_does_not_list(
    community_client, community_db, login, demo_catalog
):
    login(orgs=[JANSSENS])
    assert community_client.get(NEW).status_code == 404
    token = community_client.csrf_token("/")
    response = community_client.post(
        NEW, data={"csrf_token": token, "product": "accounting", "subject": "x", "description": "y", "severity": "low"}
    )
    assert response.status_code == 404
    assert community_db.session.scalar(select(Case)) is None


def test_a_form_without_its_csrf_token_is_refused(community_client, community_db, jan):
    response = community_client.post(NEW, data={"product": "accounting", "subject": "x", "description": "y"})
    assert response.status_code == 400
    assert community_db.session.scalar(select(Case)) is None


# -- the case --------------------------------------------------------------------------------------
def test_the_conversation_names_customers_for_their_client_and_agents_as_support(community_client, case):
    sam = acting_as_agent()
    add_message(case, sam, "Please send the export.", MessageKind.REPLY)
    page = main_of(community_client.get(detail_url(case)))
    assert "You are acting for" in page_of(community_client.get(detail_url(case)))
    assert page.index("Jan Janssens for Bakkerij Peeters BV") < page.index("Sam Support (Support)")
    assert page.index("Box 54 and box 59 differ") < page.index("Please send the export.")


def test_times_are_shown_in_the_persons_time_zone(community_client, case):
    case.created_at = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    page = main_of(community_client.get(detail_url(case)))
    assert 'datetime="2026-07-01T10:00:00+00:00">1 Jul 2026, 12:00:00' in page  # Brussels, summer time


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "1 Jul 2026, 12:00:00"), ("nl", "1 jul 2026, 12:00:00"), ("fr", "1 juil. 2026, 12:00:00")],
)
def test_dates_are_written_as_in_belgium_in_each_language(community_client, case, language, shown):
    """English pages write day, month, year (en_GB), never the American month first."""
    case.created_at = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    community_client.set_cookie("lang", language)
    assert shown in main_of(community_client.get(detail_url(case)))


def test_internal_notes_and_their_files_never_reach_the_customer(community_client, case, store):
    sam = acting_as_agent()
    note = add_message(case, sam, "Internal: known bug in release 12.3", MessageKind.INTERNAL_NOTE)
    [hidden] = attachment_service.store_files(
        case, attachment_service.check_files([upload("secret.pdf", PDF)]), actor=sam, message=note, internal=True
    )
    response = community_client.get(detail_url(case))
    page = page_of(response)
    assert "known bug" not in page and "secret.pdf" not in page and str(hidden.id) not in page
    assert community_client.get(f"{detail_url(case)}/attachments/{hidden.id}").status_code == 404


def test_user_text_is_escaped_with_line_breaks_and_safe_links(community_client, jan):
    case = open_case(
        PEETERS,
        acting_as(jan),
        subject="<b>bold</b>",
        description='<script>alert(1)</script>\nhttps://x.test/a?b="c" javascript:alert(2)',
    )
    page = main_of(community_client.get(detail_url(case)))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;<br>" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert '<a href="https://x.test/a?b=" rel="nofollow noopener noreferrer">' in page
    assert 'href="javascript' not in page


@pytest.mark.parametrize("who", ["another organization in the token", "an unknown id"])
def test_a_case_is_only_reached_through_its_own_organization(community_client, case, who):
    url = f"/orgs/{JANSSENS['id']}/cases/{case.id}" if who.startswith("another") else f"{LIST}/{uuid.uuid4()}"
    assert community_client.get(url).status_code == 404


def test_a_reply_is_added_and_the_page_jumps_to_it(community_client, community_db, case):
    url = detail_url(case)
    response = community_client.post_form(
        f"{url}/reply", {"body": "Here is the export."}, page=url, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    message = community_db.session.scalar(select(CaseMessage).where(CaseMessage.kind == MessageKind.REPLY))
    assert response.headers["Location"] == f"{url}#message-{message.id}"
    page = page_of(community_client.get(url))
    assert "Your reply was added" in page and f'id="message-{message.id}"' in page


def test_a_reply_to_a_case_waiting_for_the_customer_puts_it_back_in_progress(community_client, community_db, case):
    case.status = Status.WAITING_FOR_CUSTOMER
    url = detail_url(case)
    community_client.post_form(f"{url}/reply", {"body": "Done."}, page=url)
    assert community_db.session.get(Case, case.id).status == Status.IN_PROGRESS


def test_an_empty_reply_shows_the_error_on_the_page(community_client, case):
    url = detail_url(case)
    response = community_client.post_form(f"{url}/reply", {"body": ""}, page=url)
    assert response.status_code == 400
    assert 'id="body-error"' in page_of(response)


def test_files_are_added_to_the_case_and_wrong_ones_explained(community_client, community_db, case, store):
    url = detail_url(case)
    ok = community_client.post_form(
        f"{url}/attachments", {"files": [(io.BytesIO(PNG), "scherm.png")]}, page=url, content_type="multipart/form-data"
    )
    assert ok.status_code == 302
    assert community_db.session.scalar(select(Attachment.filename)) == "scherm.png"
    wrong = community_client.post_form(
        f"{url}/attachments", {"files": [(io.BytesIO(HTML), "page.png")]}, page=url, content_type="multipart/form-data"
    )
    assert wrong.status_code == 400
    assert "“page.png” is not a type of file that can be attached." in page_of(wrong)
    none = community_client.post_form(f"{url}/attachments", {}, page=url, content_type="multipart/form-data")
    assert none.status_code == 400 and "Choose one or more files to attach." in page_of(none)


def test_closing_with_a_comment_then_reopening(community_client, community_db, case):
    url = detail_url(case)
    closed = community_client.post_form(f"{url}/close", {"comment": "Solved it myself."}, page=url)
    assert closed.status_code == 302
    assert community_db.session.get(Case, case.id).status == Status.CLOSED
    page = main_of(community_client.get(url))
    assert "Solved it myself." in page
    assert f'action="{url}/reply"' not in page and f'action="{url}/close"' not in page
    assert f'action="{url}/reopen"' in page

    assert community_client.post_form(f"{url}/reopen", {}, page=url).status_code == 302
    assert community_db.session.get(Case, case.id).status == Status.IN_PROGRESS
    assert "is open again" in page_of(community_client.get(url))


def test_a_case_finished_too_long_ago_cannot_be_reopened(community, community_client, community_db, case, monkeypatch):
    monkeypatch.setitem(community.config, "CASE_REOPEN_DAYS", 14)
    case.status = Status.CLOSED
    case.solved_at = case.closed_at = utcnow() - dt.timedelta(days=15)
    url = detail_url(case)
    page = main_of(community_client.get(url))
    assert f'action="{url}/reopen"' not in page
    assert "up to 14 days after it was solved or closed" in page

    response = community_client.post_form(f"{url}/reopen", {}, page=url)
    assert response.status_code == 302
    assert community_db.session.get(Case, case.id).status == Status.CLOSED
    assert "can no longer be reopened" in page_of(community_client.get(url))


def test_following_and_unfollowing(community_client, case, jan):
    url = detail_url(case)
    assert community_client.post_form(f"{url}/follow", {}, page=url).status_code == 302
    assert is_following(case, jan.sub)
    page = main_of(community_client.get(url))
    assert "You follow case" in page and f'action="{url}/unfollow"' in page
    assert community_client.post_form(f"{url}/unfollow", {}, page=url).status_code == 302
    assert not is_following(case, jan.sub)
    assert f'action="{url}/follow"' in main_of(community_client.get(url))


# -- downloads -------------------------------------------------------------------------------------
@pytest.fixture()
def attached(case, store):
    checked = attachment_service.check_files([upload("Aangifte btw – Q1 “2026”.pdf", PDF)])
    [attachment] = attachment_service.store_files(case, checked, actor=case.opened_by)
    return attachment


def test_a_download_is_an_attachment_that_is_never_sniffed_or_cached(community_client, case, attached):
    response = community_client.get(f"{detail_url(case)}/attachments/{attached.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Aangifte btw  Q1 2026.pdf"; '
        "filename*=UTF-8''Aangifte%20btw%20%E2%80%93%20Q1%20%E2%80%9C2026%E2%80%9D.pdf"
    )


def test_text_is_served_as_plain_text(community_client, case, store):
    [text] = attachment_service.store_files(
        case, attachment_service.check_files([upload("a.csv", b"a;b\n")]), actor=case.opened_by
    )
    response = community_client.get(f"{detail_url(case)}/attachments/{text.id}")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_an_outsider_cannot_download_whatever_url_they_type(community_client, login, case, attached):
    url = f"{detail_url(case)}/attachments/{attached.id}"
    login(name="Eve Outsider", orgs=[JANSSENS])
    assert community_client.get(url).status_code == 404
    assert community_client.get(f"/orgs/{JANSSENS['id']}/cases/{case.id}/attachments/{attached.id}").status_code == 404


def test_an_attachment_of_another_case_is_not_found_through_this_one(community_client, jan, case, attached):
    other = open_case(PEETERS, acting_as(jan), subject="Other")
    assert community_client.get(f"{detail_url(other)}/attachments/{attached.id}").status_code == 404


def test_a_file_lost_from_storage_is_a_404_not_a_crash(community_client, case, attached, store):
    store.delete(attached.storage_key)
    assert community_client.get(f"{detail_url(case)}/attachments/{attached.id}").status_code == 404


# -- across all clients ------------------------------------------------------------------------------
def test_all_my_clients_lists_open_cases_with_their_organization_and_links_into_it(community_client, jan, case):
    janssens = open_case(JANSSENS, acting_as(jan), subject="Garage question")
    solved = open_case(JANSSENS, acting_as(jan), subject="Solved question")
    solved.status = Status.SOLVED
    page = main_of(community_client.get("/cases"))
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "Bakkerij Peeters BV" in rows and "Garage Janssens NV" in rows
    assert f'href="{detail_url(case)}"' in rows and f'href="{detail_url(janssens)}"' in rows
    assert "Solved question" not in rows
    assert "New case" in page and 'href="/cases/new"' in page


def test_all_my_clients_filters_by_organization(community_client, jan, case):
    open_case(JANSSENS, acting_as(jan), subject="Garage question")
    by_id = main_of(community_client.get("/cases", query_string={"org": JANSSENS["id"]}))
    assert "Garage question" in by_id and "The VAT return" not in by_id
    by_name = main_of(community_client.get("/cases", query_string={"org": "peeters"}))
    assert "The VAT return" in by_name and "Garage question" not in by_name.split("<tbody>")[1]


def test_all_my_clients_with_many_organizations_filters_by_text(
    community, community_client, login, demo_catalog, monkeypatch
):
    monkeypatch.setitem(community.config, "ORGANIZATION_SELECT_LIMIT", 1)
    login(orgs=[PEETERS, JANSSENS])
    page = main_of(community_client.get("/cases"))
    assert '<input type="search" id="filter-org" name="org"' in page


def test_all_my_clients_shows_nothing_of_organizations_outside_the_token(community_client, login, demo_catalog, store):
    jan = login(name="Jan Janssens", orgs=[PEETERS, JANSSENS])
    open_case(JANSSENS, acting_as(jan), subject="Garage question")
    login(name="Eve", orgs=[PEETERS])
    page = main_of(community_client.get("/cases", query_string={"org": JANSSENS["id"]}))
    assert "Garage question" not in page


def test_a_new_case_from_all_my_clients_asks_for_the_organization_first(community_client, jan):
    page = main_of(community_client.get("/cases/new"))
    assert f'href="/orgs/{PEETERS["id"]}/cases/new"' in page and f'href="/orgs/{JANSSENS["id"]}/cases/new"' in page
    filtered = main_of(community_client.get("/cases/new", query_string={"q": "0202.239.951"}))
    assert "Garage Janssens NV" in filtered and "Bakkerij Peeters BV" not in filtered


def test_with_one_organization_the_new_case_goes_straight_to_its_form(community_client, login, demo_catalog):
    login(orgs=[PEETERS])
    response = community_client.get("/cases/new")
    assert response.status_code == 302 and response.headers["Location"] == NEW


def test_the_start_page_leads_to_all_my_clients(community_client, jan):
    page = main_of(community_client.get("/"))
    assert 'href="/cases"' in page and "All my clients" in page


def test_the_organization_start_page_shows_its_open_cases(community_client, case):
    page = main_of(community_client.get(f"/orgs/{PEETERS['id']}/"))
    assert case.number in page and f'href="{NEW}"' in page and f'href="{LIST}"' in page


# -- helpers ---------------------------------------------------------------------------------------
def acting_as_agent() -> Person:
    return acting_as(user_with(sub="sam", name="Sam Support", roles=("support_agent",)))


def add_message(case, author, body, kind) -> CaseMessage:
    message = CaseMessage(
        case_id=case.id,
        author_sub=author.sub,
        author=author,
        body=body,
        kind=kind,
        by_agent=author.is_agent,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message
