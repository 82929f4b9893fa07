"""The knowledge base's pages run as many SQL statements for 2 articles as for 25 (no N+1)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from support_community.extensions import db
from support_community.kb.services import feedback
from tests.community.kb.factories import article, translate


@contextmanager
def counted_statements(app):
    statements: list[str] = []
    engine = db.state(app).engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(app, client, url: str) -> int:
    client.get(url)  # the first request may renew the session's expiry; measure the next one
    with counted_statements(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def add_articles(count: int, writer, start: int = 0) -> None:
    from tests.community.factories import make_product

    make_product("invoicing", "Invoicing")
    for n in range(start, start + count):
        english = article(
            f"Ledger question {n:02d}", "The ledger and the invoices.", product="invoicing", author=writer
        )
        translate(english, "nl", f"Grootboekvraag {n:02d}", "Het grootboek en de facturen.", published=n % 2 == 0)
        feedback.record_vote(english, helpful=n % 3 == 0, actor=None)


@pytest.mark.parametrize("url", ["/kb", "/kb?q=ledger", "/agent/kb", "/agent/kb/report"])
def test_a_page_runs_as_many_statements_for_many_articles_as_for_few(community, community_client, login, writer, url):
    login(orgs=[], roles=["support_agent"])
    add_articles(2, writer)
    few = statements_for(community, community_client, url)
    add_articles(23, writer, start=2)
    assert statements_for(community, community_client, url) == few
