"""The agents' workspace on a phone, in Dutch and French: due times, bulk changes, canned replies, reports.

Two agents at 375 px: Lotte (Dutch) and Sophie (French). Each page is checked with axe-core and
for sideways scrolling, and photographed (``make screenshots`` keeps the pictures in
``docs/screenshots/``; otherwise they go to the test's own folder).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.browser.harness import PHONE, BrowserStack, Crowd, serious_violations
from tests.browser.site import add_case
from tests.browser.test_layout import horizontal_overflow
from tests.support import TEST_INSTANCE

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ORG = "6a1e0b2c-2222-4c4c-8d8d-000000000001"


def _seed(live: BrowserStack) -> list[str]:
    """Cases of a bakery: two long overdue, one due soon, one low, one waiting; a canned reply in three languages."""
    from shared.database import utcnow
    from support_community.cases.models import Person, Severity, Status
    from support_community.cases.services import canned, sla
    from support_community.extensions import db

    with live.community.app_context():
        customer = Person(sub="jan-sub", name="Jan Peeters", email="jan@bakkerij.example", locale="nl")
        writer = Person(sub="writer-sub", name="Eva Claes", email="eva@vendor.example", is_agent=True)
        db.session.add_all([customer, writer])
        numbers = []
        for n, (subject, severity, status, days) in enumerate(
            [
                ("Btw-aangifte klopt niet", Severity.CRITICAL, Status.NEW, 6),
                ("Export naar de boekhouder mislukt", Severity.HIGH, Status.IN_PROGRESS, 4),
                ("Factuur met verkeerde btw-code", Severity.NORMAL, Status.NEW, 0),
                ("Logo op de factuur", Severity.LOW, Status.NEW, 0),
                ("Wachtwoord van de boekhouder", Severity.NORMAL, Status.WAITING_FOR_CUSTOMER, 2),
            ],
            start=1,
        ):
            opened = utcnow() - dt.timedelta(days=days, hours=1)
            case = add_case(
                customer,
                org_id=ORG,
                subject=subject,
                opened=opened,
                severity=severity,
                status=status,
                number=f"CS-2026-{n:06d}",
            )
            if status == Status.WAITING_FOR_CUSTOMER:
                case.sla_paused_since = opened
            sla.refresh(case)
            numbers.append(str(case.id))
        canned.create(
            actor=writer,
            title="Export opnieuw vragen",
            bodies={
                "en": "Hello {first_name}, could you send the export of {case_number} again?",
                "nl": "Dag {first_name}, kunt u de export van {case_number} opnieuw bezorgen?",
                "fr": "Bonjour {first_name}, pourriez-vous renvoyer l'export de {case_number} ?",
            },
            set_status="waiting_for_customer",
        )
        db.session.commit()
        return numbers


@pytest.fixture(scope="module")
def workspace(chromium, smtp_sink):
    live = BrowserStack(smtp_sink, TEST_INSTANCE, name="workspace").start()
    crowd = Crowd(chromium, live)
    try:
        cases = _seed(live)
        agents = {}
        for key, name, email, language in (
            ("lotte", "Lotte Peeters", "lotte@vendor.example", "nl"),
            ("sophie", "Sophie Dubois", "sophie@vendor.example", "fr"),
        ):
            live.create_agent(email, name, language)
            person = crowd(name, email, language, viewport=PHONE)
            person.sign_in_to_panda()
            person.sign_in_to_community()
            if person.lang != language:
                person.choose_language(language)
            agents[key] = person
        yield agents, cases
    finally:
        crowd.close()
        live.stop()


def _look(person, filename: str, axe_source: str, tmp_path: Path) -> None:
    assert serious_violations(person.page, axe_source) == [], filename
    assert horizontal_overflow(person.page) == [], filename
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    person.page.evaluate("document.activeElement?.blur()")
    person.page.screenshot(path=str(folder / filename), full_page=True, animations="disabled", caret="hide")
    assert (folder / filename).stat().st_size > 10_000


@pytest.mark.parametrize(("who", "language"), [("lotte", "nl"), ("sophie", "fr")])
def test_the_queue_with_due_times_and_bulk_changes_on_a_phone(workspace, who, language, axe_source, tmp_path):
    agents, _cases = workspace
    person = agents[who]
    person.community("/agent?status=open&assignee=any&sort=due")
    page = person.page
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".due-overdue").count() == 2
    assert page.locator("a[href='/agent?view=breaching']").inner_text().endswith("(2)")
    # "Select every case on this page" (the script ticks the boxes without reloading).
    page.locator("a[data-select-all]").click()
    assert page.locator("input[form=bulk][name=case]:checked").count() == 5
    page.locator("a[data-select-all]").click()
    assert page.locator("input[form=bulk][name=case]:checked").count() == 0
    page.locator("input[form=bulk][name=case]").nth(0).check()
    page.locator("input[form=bulk][name=case]").nth(1).check()
    page.select_option("#bulk_severity", "critical")
    _look(person, f"community-agent-queue-sla-bulk-{language}.png", axe_source, tmp_path)


def test_a_bulk_change_is_reviewed_then_confirmed(workspace, axe_source, tmp_path):
    agents, _cases = workspace
    lotte = agents["lotte"]
    lotte.community("/agent?status=open&assignee=any&sort=due")
    page = lotte.page
    page.locator("input[form=bulk][name=case]").nth(0).check()
    page.locator("input[form=bulk][name=case]").nth(1).check()
    page.select_option("#bulk_assignee", label="Lotte Peeters")
    lotte.submit("form#bulk")
    assert lotte.path == "/agent/bulk"
    assert page.locator("h1").inner_text() == "2 cases wijzigen?"
    assert serious_violations(page, axe_source) == []
    lotte.submit("main form[action='/agent/bulk/apply']")
    assert lotte.path.startswith("/agent")
    assert "2 cases zijn gewijzigd." in page.locator("main").inner_text()


def test_a_canned_reply_goes_in_at_the_cursor_in_the_customers_language(workspace):
    agents, cases = workspace
    sophie = agents["sophie"]
    sophie.community(f"/agent/cases/{cases[1]}")
    page = sophie.page
    page.fill("#body", "Merci.")
    page.locator("button[data-canned-insert]").click()
    text = page.input_value("#body")
    assert text.startswith(
        "Merci.\n\nDag Jan, kunt u de export van CS-2026-000002 opnieuw bezorgen?"
    )  # Jan reads Dutch
    assert page.input_value("#new_status") == "waiting_for_customer"
    assert sophie.path.startswith(f"/agent/cases/{cases[1]}")  # no page was loaded


@pytest.mark.parametrize(("who", "language"), [("lotte", "nl"), ("sophie", "fr")])
def test_the_report_on_a_phone(workspace, who, language, axe_source, tmp_path):
    agents, _cases = workspace
    person = agents[who]
    person.community("/agent/reports?days=7")
    page = person.page
    assert page.locator("svg.report-chart rect").count() == 14
    assert page.locator("svg.report-chart title").first.text_content()
    _look(person, f"community-agent-report-{language}.png", axe_source, tmp_path)
    with page.expect_download() as download:
        page.locator("a[download]").click()
    assert download.value.suggested_filename.endswith(".csv")
