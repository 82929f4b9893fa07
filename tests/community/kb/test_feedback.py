"""Votes and deflections are counted per article and per language, and reported over a period."""

from __future__ import annotations

import datetime as dt

from shared.database import utcnow
from support_community.kb.services import feedback
from tests.community.factories import PEETERS, make_person
from tests.community.kb.factories import article, translate


def test_counts_are_kept_per_language(writer):
    english = article(author=writer)
    dutch = translate(english, "nl", "Wissel van organisatie", "Klik op uw naam.")
    reader = make_person("reader")
    feedback.record_vote(english, helpful=True, actor=reader)
    feedback.record_vote(dutch, helpful=False, actor=None)
    feedback.record_deflection(dutch, organization_id=PEETERS["id"], actor=reader)
    counts = feedback.counts_by_language(english.article)
    assert (counts["en"].helpful, counts["en"].not_helpful, counts["en"].deflections) == (1, 0, 0)
    assert (counts["nl"].helpful, counts["nl"].not_helpful, counts["nl"].deflections) == (0, 1, 1)
    assert counts["en"].helpful_percent == 100 and counts["nl"].helpful_percent == 0


def test_the_report_puts_the_articles_that_answer_most_questions_first(writer):
    reader = make_person("reader")
    quiet = article("Printing invoices", "Choose Print.", author=writer)
    busy = article("Switch organization", "Click your name.", author=writer)
    feedback.record_vote(quiet, helpful=True, actor=None)
    for _ in range(3):
        feedback.record_deflection(busy, organization_id=PEETERS["id"], actor=reader)
    report = feedback.report(days=30)
    assert [row.translation.title for row in report.rows] == ["Switch organization", "Printing invoices"]
    assert (report.totals.deflections, report.totals.helpful, report.totals.not_helpful) == (3, 1, 0)


def test_the_report_leaves_out_what_happened_before_the_period(writer):
    old = feedback.record_vote(article(author=writer), helpful=True, actor=None)
    old.created_at = utcnow() - dt.timedelta(days=40)
    assert feedback.report(days=30).rows == []
    assert len(feedback.report(days=None).rows) == 1
