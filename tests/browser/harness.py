"""What the browser tests are made of: Chromium's settings, the live stack, people at a browser."""

from __future__ import annotations

import os
import time

import pytest

from tests.live import LiveStack
from tests.support import SmtpSink

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
PASSWORD = "a long and personal passphrase"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # WCAG 2.2 A and AA


def unavailable(reason: str) -> None:
    """Skip, or fail where CI demands the browser tests (``CI_REQUIRE_BROWSER=1``)."""
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CI_REQUIRE_BROWSER=1 requires the browser tests to run)", pytrace=False)
    pytest.skip(reason)


def serious_violations(page, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        nodes = "; ".join(
            f"{node['target']}: {node.get('failureSummary', '')}".replace("\n", " ") for node in violation["nodes"][:3]
        )
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {nodes}")
    return found


# -- the services ---------------------------------------------------------------------------
class BrowserStack(LiveStack):
    """The live stack with the community's demo products, so cases can be opened."""

    def start(self) -> BrowserStack:
        from panda_portal.extensions import limiter as panda_limiter
        from support_community.cases.services.demo_data import load_demo
        from support_community.extensions import db as community_db
        from support_community.extensions import limiter as community_limiter

        super().start()
        with self.community.app_context():
            load_demo()
            community_db.session.commit()
        # The limiters' memory stores outlive an app: start this stack's people with a clean slate.
        panda_limiter.reset()
        community_limiter.reset()
        return self

    def create_agent(self, email: str, name: str, language: str) -> None:
        """Support agents are flagged by an operator, never by a page."""
        from panda_portal.accounts.services.administration import create_account
        from panda_portal.extensions import db as panda_db

        with self.panda.app_context():
            create_account(email, name, PASSWORD, language, verified=True, support_agent=True)
            panda_db.session.commit()


# -- people ---------------------------------------------------------------------------------
class Mailbox:
    """The links people follow from their mails; each link is followed once."""

    def __init__(self, smtp: SmtpSink) -> None:
        self.smtp = smtp
        self.followed: set[str] = set()

    def link(self, address: str, contains: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in reversed(self.smtp.to(address)):
                for link in mail.links():
                    if contains in link and link not in self.followed:
                        self.followed.add(link)
                        return link
            time.sleep(0.05)
        raise AssertionError(
            f"no mail to {address} with a link containing {contains!r}: "
            f"{[(m.to, m.subject) for m in self.smtp.messages]}"
        )


class Person:
    """Someone at a browser: their own window (cookies, language), moving through both services."""

    def __init__(self, stack: BrowserStack, context, *, name: str, email: str, language: str) -> None:
        self.stack, self.context = stack, context
        self.page = context.new_page()
        self.name, self.email, self.language = name, email, language

    # navigation
    def panda(self, path: str = "/"):
        return self.page.goto(self.stack.panda_url + path)

    def community(self, path: str = "/"):
        return self.page.goto(self.stack.community_url + path)

    def follow(self, selector: str) -> None:
        """Click a link (or button) that leads to another page, and wait for that page."""
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def submit(self, form: str, button: str = "[type=submit]") -> None:
        """Press the submit button of the form matched by ``form``, and wait for the next page."""
        with self.page.expect_navigation():
            self.page.locator(form).first.locator(button).first.click()

    @property
    def path(self) -> str:
        url = self.page.url
        for base in (self.stack.panda_url, self.stack.community_url):
            if url.startswith(base):
                return url[len(base) :] or "/"
        return url

    @property
    def lang(self) -> str | None:
        return self.page.locator("html").get_attribute("lang")

    def has_link(self, href_part: str, within: str = "body") -> bool:
        return self.page.locator(f'{within} a[href*="{href_part}"]').count() > 0

    # the shared layout
    def choose_language(self, language: str) -> None:
        """The language menu in the page's header (a select and a button; no script needed)."""
        self.page.select_option("#language-select", language)
        self.submit("form.language-form")
        assert self.lang == language

    def open_user_menu(self) -> None:
        menu = self.page.locator("details.user-menu")
        if menu.get_attribute("open") is None:
            menu.locator("summary").click()
        assert menu.get_attribute("open") is not None

    def switch_to(self, org_id: str) -> None:
        """Top right: my name → "Switch organization" → the organization."""
        self.open_user_menu()
        self.follow(f'details.user-menu .org-list a[href*="/orgs/{org_id}/"]')
        assert f"/orgs/{org_id}/" in self.path

    def switcher_lists(self, org_id: str) -> bool:
        self.open_user_menu()
        return self.page.locator(f'details.user-menu .org-list a[href*="/orgs/{org_id}/"]').count() > 0

    # Panda's accounts
    def register_and_verify(self, mailbox: Mailbox) -> None:
        self.panda("/register")
        if self.lang != self.language:
            self.choose_language(self.language)
        page = self.page
        page.fill("#name", self.name)
        page.fill("#email", self.email)
        page.fill("#password", PASSWORD)
        page.select_option("form[action='/register'] select#language", self.language)
        self.submit("form[action='/register']")
        assert self.path.startswith("/register") and page.locator("main [role=status]").count() == 1
        self.page.goto(mailbox.link(self.email, "/verify/"))
        self.submit("main form[action*='/verify/']")
        assert self.path.startswith("/sign-in"), self.path

    def sign_in_to_panda(self) -> None:
        if not self.path.startswith("/sign-in"):
            self.panda("/sign-in")
        self.page.fill("#email", self.email)
        self.page.fill("#password", PASSWORD)
        self.submit("main form[action^='/sign-in']")
        assert self.page.locator("details.user-menu summary").inner_text().strip() == self.name

    def sign_in_to_community(self) -> None:
        """ "Sign in with Panda": signed in there already, no password is asked."""
        self.community("/")
        self.follow('a[href^="/auth/sign-in"]')
        assert self.page.url.startswith(self.stack.community_url), self.page.url
        assert self.page.locator("details.user-menu summary").inner_text().strip() == self.name


class Crowd:
    """Makes people, each with their own browser window (cookies, language); closes them all at the end."""

    def __init__(self, chromium, stack: BrowserStack) -> None:
        self.chromium, self.stack, self.contexts = chromium, stack, []

    def __call__(self, name: str, email: str, language: str = "en", viewport: dict | None = None) -> Person:
        # An English browser: the person chooses their language in the page's menu.
        context = self.chromium.new_context(viewport=viewport or DESKTOP, locale="en-GB")
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return Person(self.stack, context, name=name, email=email, language=language)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
