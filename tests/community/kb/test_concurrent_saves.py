"""Two agents saving the same article at the same moment: one wins, the other is told (PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest

from support_community.extensions import db
from support_community.kb.services import editing
from support_community.kb.services.articles import find_article
from support_community.kb.services.errors import EditConflict
from tests.community.concurrency import someone_waits_for_a_lock


def _save(article_id, body: str):
    article = find_article(article_id)
    return editing.save_translation(
        article,
        "en",
        actor=None,
        title="Printing invoices",
        body=body,
        base_revision=1,
        product_key=None,
        category_id=None,
        visibility="public",
    )


@pytest.mark.postgres_only
def test_two_saves_on_the_same_version_give_one_revision_and_one_conflict(committing_community):
    app = committing_community
    with app.app_context():
        saved = editing.create_article(
            actor=None,
            language="en",
            title="Printing invoices",
            body="Choose Print.",
            product_key=None,
            category_id=None,
            visibility="public",
        )
        article_id = saved.translation.article_id
        db.session.commit()

    outcomes: list[str] = []
    errors: list[BaseException] = []
    first_saved, second_waited = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with app.app_context():
                _save(article_id, "The first agent's text.")
                outcomes.append("saved")
                first_saved.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if someone_waits_for_a_lock(app):
                        second_waited.set()
                        break
                    time.sleep(0.02)
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)
            first_saved.set()

    def second() -> None:
        try:
            first_saved.wait(10)
            with app.app_context():
                try:
                    _save(article_id, "The second agent's text.")
                    outcomes.append("saved")
                    db.session.commit()
                except EditConflict:
                    outcomes.append("conflict")
                    db.session.rollback()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert second_waited.is_set(), "the second save never waited for the article's lock"
    assert sorted(outcomes) == ["conflict", "saved"]
    with app.app_context():
        translation = find_article(article_id).translation("en")
        assert (translation.latest_revision, translation.body) == (2, "The first agent's text.")
