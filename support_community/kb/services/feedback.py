"""What readers tell us about articles: "was this helpful?", and questions answered without a case.

A deflection is counted when someone writing a case says a suggested article answered
their question: the form closes and no case is opened. Both are counted per article
and per language, for the editor and the agents' report.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from shared.database import utcnow
from support_community.cases.models import Person
from support_community.extensions import db
from support_community.kb.models import Article, ArticleFeedback, ArticleTranslation, FeedbackKind
from support_community.kb.services.articles import translations_by_id

REPORT_ROWS = 100


@dataclass
class FeedbackCounts:
    helpful: int = 0
    not_helpful: int = 0
    deflections: int = 0

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def helpful_percent(self) -> int | None:
        return round(100 * self.helpful / self.votes) if self.votes else None

    def add(self, kind: FeedbackKind | str, count: int) -> None:
        if kind == FeedbackKind.HELPFUL:
            self.helpful += count
        elif kind == FeedbackKind.NOT_HELPFUL:
            self.not_helpful += count
        elif kind == FeedbackKind.DEFLECTION:
            self.deflections += count


def _record(
    translation: ArticleTranslation,
    kind: FeedbackKind,
    *,
    actor: Person | None,
    organization_id: uuid.UUID | None = None,
) -> ArticleFeedback:
    row = ArticleFeedback(
        article_id=translation.article_id,
        translation_id=translation.id,
        language=translation.language,
        kind=kind,
        organization_id=organization_id,
        person_sub=actor.sub if actor else None,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def record_vote(translation: ArticleTranslation, *, helpful: bool, actor: Person | None) -> ArticleFeedback:
    """A reader's answer to "was this helpful?" (``actor`` None: a visitor who is not signed in)."""
    return _record(translation, FeedbackKind.HELPFUL if helpful else FeedbackKind.NOT_HELPFUL, actor=actor)


def record_deflection(
    translation: ArticleTranslation, *, organization_id: uuid.UUID | str, actor: Person
) -> ArticleFeedback:
    """``actor`` was writing a case for the organization, and the article answered the question instead."""
    org = organization_id if isinstance(organization_id, uuid.UUID) else uuid.UUID(str(organization_id))
    return _record(translation, FeedbackKind.DEFLECTION, actor=actor, organization_id=org)


def counts_by_language(article: Article) -> dict[str, FeedbackCounts]:
    """The article's counts per language version (the editor's sidebar)."""
    counts: dict[str, FeedbackCounts] = {}
    rows = db.session.execute(
        select(ArticleFeedback.language, ArticleFeedback.kind, func.count())
        .where(ArticleFeedback.article_id == article.id)
        .group_by(ArticleFeedback.language, ArticleFeedback.kind)
    )
    for language, kind, count in rows:
        counts.setdefault(language, FeedbackCounts()).add(kind, count)
    return counts


@dataclass
class ReportRow:
    translation: ArticleTranslation
    counts: FeedbackCounts


@dataclass
class Report:
    since: dt.datetime | None
    totals: FeedbackCounts = field(default_factory=FeedbackCounts)
    rows: list[ReportRow] = field(default_factory=list)


def report(*, days: int | None) -> Report:
    """Deflections and votes per article and language, most deflections first (``days`` None: all time)."""
    since = utcnow() - dt.timedelta(days=days) if days else None
    result = Report(since)
    period = [ArticleFeedback.created_at >= since] if since else []
    for kind, count in db.session.execute(
        select(ArticleFeedback.kind, func.count()).where(*period).group_by(ArticleFeedback.kind)
    ):
        result.totals.add(kind, count)

    def counted(kind: FeedbackKind):  # noqa: ANN202
        return func.sum(case((ArticleFeedback.kind == kind, 1), else_=0))

    deflections, helpful, not_helpful = (
        counted(FeedbackKind.DEFLECTION),
        counted(FeedbackKind.HELPFUL),
        counted(FeedbackKind.NOT_HELPFUL),
    )
    rows = db.session.execute(
        select(ArticleFeedback.translation_id, deflections, helpful, not_helpful)
        .where(*period)
        .group_by(ArticleFeedback.translation_id)
        .order_by(deflections.desc(), helpful.desc(), not_helpful.desc(), ArticleFeedback.translation_id)
        .limit(REPORT_ROWS)
    ).all()
    translations = translations_by_id([row[0] for row in rows])
    for translation_id, deflected, yes, no in rows:
        if translation_id in translations:
            result.rows.append(
                ReportRow(translations[translation_id], FeedbackCounts(int(yes), int(no), int(deflected)))
            )
    return result
