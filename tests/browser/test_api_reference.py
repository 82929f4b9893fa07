"""The APIs' reference pages (``/api/v1/docs``) on a phone (375 px): nothing wider than the screen, no serious
accessibility violation, and each starts with what its API is for."""

from __future__ import annotations

import pytest

from tests.browser.harness import PHONE, serious_violations
from tests.browser.test_layout import horizontal_overflow
from tests.live import _ServerThread
from tests.support import TEST_INSTANCE, drop_database, free_port, make_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def references():
    """Both services on free loopback ports, each on a fresh database (the pages need no data)."""
    from panda_portal import create_app as create_panda
    from panda_portal.extensions import db as panda_db
    from support_community import create_app as create_community
    from support_community.extensions import db as community_db

    common = {"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "reference", "RATELIMIT_STORAGE_URI": "memory://"}
    urls, threads, databases = {}, [], []
    for name, create, db in (("panda", create_panda, panda_db), ("community", create_community, community_db)):
        database = make_database(f"apiref{name}", TEST_INSTANCE)
        databases.append(database)
        app = create(common | {"DATABASE_URL": database})
        with app.app_context():
            db.create_all()
        port = free_port()
        thread = _ServerThread(app, port)
        thread.start()
        threads.append((thread, db, app))
        urls[name] = f"http://127.0.0.1:{port}/api/v1/docs"
    yield urls
    for thread, db, app in threads:
        thread.stop()
        db.state(app).engine.dispose()
    for database in databases:
        drop_database(database)


@pytest.mark.parametrize(
    "service, purpose",
    [("panda", "Organizations, their members"), ("community", "Support cases in a client's name")],
)
def test_the_reference_reads_on_a_phone(chromium, axe_source, references, service, purpose):
    page = chromium.new_page(viewport=PHONE)
    try:
        page.goto(references[service])
        assert page.locator("main > p").first.inner_text().startswith(purpose)
        assert horizontal_overflow(page) == []
        assert serious_violations(page, axe_source) == []
        # A table row reads as labelled lines, not as columns squeezed to a word each.
        status = page.locator("td[data-label=Status]").first
        assert status.evaluate("cell => getComputedStyle(cell).display") == "block"
        assert status.evaluate("cell => getComputedStyle(cell, '::before').content").startswith('"Status')
    finally:
        page.close()
