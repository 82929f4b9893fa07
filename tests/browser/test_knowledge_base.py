"""The knowledge base in Chromium: read, suggested while a case is written, and written by an agent.

A visitor reads the first article in English and in Dutch (its ``hreflang`` links) and finds
it with the search; an accountant writing a case is offered it as he types and says it
answered his question (no case is opened; without JavaScript the first submit offers it);
an agent writes, previews and publishes an article and its Dutch version, and links an
article into a reply. axe-core checks every page of the knowledge base for WCAG 2.2 A and
AA, and none scrolls sideways at a phone's width. Screenshots of the pages at 375 px and
at desktop width are written to ``KB_SCREENSHOTS`` (default: ``/tmp/kb-screenshots``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.browser.harness import DESKTOP, PASSWORD, PHONE, serious_violations
from tests.browser.steps import CUSTOMERS

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("KB_SCREENSHOTS", "/tmp/kb-screenshots"))
CLIENT = "100234"
SEED_EN, SEED_NL = "/kb/en/manage-cases-for-your-clients", "/kb/nl/cases-beheren-voor-uw-klanten"
SUBJECT = "Where do I enter the enterprise number of my client?"
DESCRIPTION = "I want to add the organization of a client to manage its cases, but I cannot find the screen."


@pytest.fixture(scope="module")
def kb_stack(stack):
    """The story's stack with the first article, a client organization administered by Jan, and Sam the agent."""
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db as panda_db
    from panda_portal.organizations.services import joining
    from support_community.extensions import db as community_db
    from support_community.kb.services.seed import seed_knowledge_base

    with stack.community.app_context():
        seed_knowledge_base()
        community_db.session.commit()
    with stack.panda.test_request_context():
        jan = create_account("jan.kb@example.be", "Jan Janssens", PASSWORD, "en", verified=True)
        membership = joining.create_organization(CLIENT, CUSTOMERS[CLIENT], actor=jan)
        stack.client_id = str(membership.organization_id)
        create_account("sam.kb@example.be", "Sam Support", PASSWORD, "en", verified=True, support_agent=True)
        panda_db.session.commit()
    return stack


def signed_in(people, kb_stack, name: str, email: str, **options):
    person = people(name, email, **options)
    person.sign_in_to_panda()
    person.sign_in_to_community()
    return person


def no_sideways_scroll(page) -> list[str]:
    return page.evaluate("""() => {
        const root = document.documentElement;
        if (root.scrollWidth <= root.clientWidth) return [];
        const wide = [...document.querySelectorAll('main *')].filter(element =>
            element.getBoundingClientRect().right > root.clientWidth + 1 && !element.closest('.table-wrap'));
        return [`scrollWidth ${root.scrollWidth}`, ...wide.slice(0, 5).map(e => e.tagName + '.' + e.className)];
    }""")


def check_page(person, axe_source: str, name: str) -> None:
    """No serious axe finding and no sideways scroll, at desktop width and at 375 px; a screenshot of each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = person.page
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert serious_violations(page, axe_source) == [], (name, label)
        assert no_sideways_scroll(page) == [], (name, label)
        page.evaluate("document.activeElement?.blur()")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True, animations="disabled")
    page.set_viewport_size(DESKTOP)


def counted(stack) -> tuple[int, int]:
    """(deflections, cases) in the community's database."""
    from sqlalchemy import func, select

    from support_community.cases.models import Case
    from support_community.extensions import db
    from support_community.kb.models import ArticleFeedback, FeedbackKind

    with stack.community.app_context():
        deflections = select(func.count()).select_from(ArticleFeedback)
        deflections = deflections.where(ArticleFeedback.kind == FeedbackKind.DEFLECTION)
        return db.session.scalar(deflections), db.session.scalar(select(func.count()).select_from(Case))


def test_a_visitor_reads_the_first_article_in_english_and_in_dutch(kb_stack, people, axe_source):
    visitor = people("", "")
    visitor.community("/")
    visitor.follow('header a[href="/kb"]')
    assert visitor.path == "/kb" and visitor.lang == "en"
    check_page(visitor, axe_source, "kb-index")

    visitor.follow(f'main a[href="{SEED_EN}"]')
    page = visitor.page
    assert page.locator('head link[rel=alternate][hreflang="nl"]').get_attribute("href").endswith(SEED_NL)
    assert page.locator('head link[rel=alternate][hreflang="fr"]').count() == 1
    assert "Switch organization" in page.locator("main .kb-body").inner_text()
    check_page(visitor, axe_source, "kb-article")

    # The Dutch version, from the article's own language links; then the page in Dutch too.
    visitor.follow('main .kb-languages a[hreflang="nl"]')
    assert visitor.path == SEED_NL
    assert page.locator("main h1").get_attribute("lang") == "nl"
    assert "Wissel van organisatie" in page.locator("main .kb-body").inner_text()
    visitor.choose_language("nl")
    assert page.locator("main h1").get_attribute("lang") is None  # the page speaks the article's language now
    check_page(visitor, axe_source, "kb-article-nl")

    # The search, in Dutch: the words found are marked in the snippet.
    visitor.community("/kb")
    page.fill("#kb-q", "ondernemingsnummer")
    visitor.submit("main form[role=search]")
    assert page.locator("main .kb-snippet mark").count() >= 1
    check_page(visitor, axe_source, "kb-search-nl")

    # "Was this helpful?", once.
    visitor.community(SEED_NL)
    visitor.submit("main .kb-feedback form", "button[value=yes]")
    assert page.locator("main .kb-feedback form").count() == 0
    assert page.locator(".flash-success").count() == 1
    visitor.choose_language("en")


def test_a_customer_is_offered_the_article_as_he_types_and_it_answers_his_question(kb_stack, people, axe_source):
    jan = signed_in(people, kb_stack, "Jan Janssens", "jan.kb@example.be")
    new_case = f"/orgs/{kb_stack.client_id}/cases/new"
    jan.community(new_case)
    page = jan.page
    page.fill("#subject", SUBJECT)
    page.fill("#description", DESCRIPTION)
    suggestion = page.locator("#kb-suggestions .kb-suggestion")
    suggestion.first.wait_for()
    assert suggestion.count() == 1
    assert page.locator("#kb-suggestions").get_attribute("aria-live") == "polite"
    assert suggestion.first.locator("a").get_attribute("href") == SEED_EN
    check_page(jan, axe_source, "kb-case-suggestions")

    deflections, cases = counted(kb_stack)
    with page.expect_navigation():
        suggestion.first.locator("button[name=answered]").click()
    assert jan.path == f"/orgs/{kb_stack.client_id}/"
    assert page.locator(".flash-success").count() == 1
    assert counted(kb_stack) == (deflections + 1, cases)  # counted, and no case opened


def test_without_javascript_the_first_submit_offers_the_article_and_the_second_opens_the_case(
    kb_stack, people, chromium
):
    jan = signed_in(people, kb_stack, "Jan Janssens", "jan.kb@example.be")
    context = chromium.new_context(viewport=DESKTOP, locale="en-GB", java_script_enabled=False)
    context.add_cookies(jan.context.cookies())
    page = context.new_page()
    try:
        base = kb_stack.community_url
        page.goto(f"{base}/orgs/{kb_stack.client_id}/cases/new")
        product = page.locator("#product option:not([value=''])").first
        page.select_option("#product", product.get_attribute("value"))
        category = page.locator(f'#category optgroup[label="{product.inner_text().strip()}"] option').first
        page.select_option("#category", category.get_attribute("value"))
        page.fill("#subject", SUBJECT)
        page.fill("#description", DESCRIPTION)
        with page.expect_navigation():
            page.locator("main form[action$='/cases/new'] .actions button[type=submit]").click()
        assert page.locator("#kb-suggestions .kb-suggestion").count() == 1
        assert page.input_value("#subject") == SUBJECT
        with page.expect_navigation():
            page.locator("main form[action$='/cases/new'] .actions button[type=submit]").click()
        assert f"/orgs/{kb_stack.client_id}/cases/" in page.url and not page.url.endswith("/new")
        assert page.locator("main h1").inner_text().endswith(SUBJECT)
    finally:
        context.close()


def test_an_agent_writes_previews_and_publishes_an_article_and_its_dutch_version(kb_stack, people, axe_source):
    sam = signed_in(people, kb_stack, "Sam Support", "sam.kb@example.be")
    page = sam.page
    sam.community("/")
    sam.open_user_menu()
    sam.follow('details.user-menu a[href="/agent/kb"]')
    check_page(sam, axe_source, "kb-editor-list")

    sam.follow('main a[href="/agent/kb/new"]')
    title = f"Printing invoices {uuid.uuid4().hex[:6]}"
    page.select_option("#language", "en")
    page.fill("#title", title)
    page.fill("#body", "## Steps\n\n1. Open the invoice.\n2. Choose **Print**.\n\n> Tip: print to PDF first.")
    page.select_option("#product", "invoicing")
    sam.submit("main form:has(#title)", "button[value=preview]")
    assert page.locator("main .kb-preview strong").inner_text() == "Print"
    check_page(sam, axe_source, "kb-editor-preview")
    sam.submit("main form:has(#title)", "button[value=save]")
    assert "/agent/kb/" in sam.path and page.locator(".flash-success").count() == 1
    editor_path = sam.path
    check_page(sam, axe_source, "kb-editor-draft")

    sam.submit(f"main form[action='{editor_path}/publish']")
    sam.follow("main aside a[href^='/kb/en/']")
    assert page.locator("main h1").inner_text() == title

    # The missing Dutch version, from the editor's link, with the English text to translate from.
    sam.community(editor_path)
    sam.follow(f"main aside a.button[href='{editor_path[:-3]}/nl']")
    assert page.locator("main details.kb-reference").count() == 1
    page.fill("#title", "Facturen afdrukken")
    page.fill("#body", "Open de factuur en kies **Afdrukken**.")
    sam.submit("main form:has(#title)", "button[value=publish]")
    sam.community("/kb/nl/facturen-afdrukken")
    assert page.locator("main h1").inner_text() == "Facturen afdrukken"

    sam.community(f"{editor_path[:-3]}/nl/history")
    assert page.locator("main tbody tr").count() == 1
    check_page(sam, axe_source, "kb-editor-history")
    sam.community("/agent/kb/report?days=all")
    check_page(sam, axe_source, "kb-report")


def test_an_agent_links_an_article_into_a_reply_in_the_customers_language(kb_stack, people, axe_source):
    from tests.browser.steps import open_case

    jan = signed_in(people, kb_stack, "Jan Janssens", "jan.kb@example.be")
    jan.community(f"/orgs/{kb_stack.client_id}/")
    case_id = open_case(jan, kb_stack.client_id, "Bank statements missing", "CODA files not imported since Monday.")
    sam = signed_in(people, kb_stack, "Sam Support", "sam.kb@example.be")
    sam.community(f"/agent/cases/{case_id}")
    page = sam.page
    page.fill("#body", "Please read:")
    # "Find" fills the list without leaving the page (the reply stays as typed).
    page.fill("#article-q", "switch organization")
    page.locator("button[form=kb-find]").click()
    page.locator("#kb-insert-status:not(:empty)").wait_for()
    assert page.locator("#article-choice option").first.get_attribute("data-url").endswith(SEED_EN)
    assert page.input_value("#body") == "Please read:"
    page.select_option("#article-choice", index=0)
    page.locator("button[data-kb-insert]").click()  # inserted at the cursor: no page load either
    assert page.input_value("#body") == f"Please read: {kb_stack.community_url}{SEED_EN}"
    check_page(sam, axe_source, "kb-agent-case-link")
