"""How did we do? A customer rates a solved case good or bad, with an optional comment.

One rating per case, which its customers may change for ``CASE_RATING_DAYS`` days after the
case was solved. The mail that says a case is solved carries two links (good, bad) signed for
its recipient and that case (``read_link``): they open a page without signing in that records
nothing when fetched (mail scanners fetch links) and whose form sends the chosen rating as
soon as a person's browser shows it; then the person may add a comment. The case page asks
the same question to a signed-in customer. Agents see the rating on the case, its history
records it, and reports count it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from shared.errors import DomainError
from support_community.auth import access
from support_community.cases.emails.recipients import community_url
from support_community.cases.models import Case, CaseEvent, Person, Status
from support_community.cases.services.creating import BODY_MAX
from support_community.cases.workspace_models import CaseRating
from support_community.extensions import db

RATINGS = ("good", "bad")
COMMENT_MAX = 2000
_SALT = "case-rating"


class RatingError(DomainError):
    """A rating cannot be given (any more); ``message`` says why."""


def rating_days() -> int:
    return int(current_app.config["CASE_RATING_DAYS"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_token(case: Case, sub: str) -> str:
    return _serializer().dumps({"c": str(case.id), "s": sub})


def rating_links(case: Case, sub: str) -> dict[str, str]:
    """The mail's two links, signed for ``sub`` and this case."""
    token = link_token(case, sub)
    return {rating: f"{community_url()}/rate/{token}?rating={rating}" for rating in RATINGS}


@dataclass(frozen=True)
class LinkHolder:
    case: Case
    person: Person


def read_link(token: str) -> LinkHolder:
    """The case and the customer a rating link was made for; refused when forged, too old or no longer theirs."""
    try:
        data = _serializer().loads(token, max_age=(rating_days() + 1) * 86400)
        case_id, sub = uuid.UUID(str(data["c"])), str(data["s"])
    except (BadData, KeyError, TypeError, ValueError):
        raise RatingError(_("This rating link is not valid (any more). Open the case to rate it.")) from None
    case = db.session.get(Case, case_id)
    person = db.session.get(Person, sub)
    if case is None or person is None or not may_rate(case, person):
        raise RatingError(_("This rating link is not valid (any more). Open the case to rate it."))
    return LinkHolder(case=case, person=person)


def may_rate(case: Case, person: Person) -> bool:
    """Customers of the case's organization rate it (as far as the community knows from Panda)."""
    return not person.is_agent and access.holds(person.sub, case.organization_id)


def window_open(case: Case, *, now: dt.datetime | None = None) -> bool:
    """Whether the case may be rated (or its rating changed) now: solved, and not too long ago."""
    if case.status not in (Status.SOLVED, Status.CLOSED) or case.solved_at is None:
        return False
    return (now or utcnow()) - case.solved_at <= dt.timedelta(days=rating_days())


def rating_of(case: Case) -> CaseRating | None:
    return db.session.scalar(select(CaseRating).where(CaseRating.case_id == case.id))


def rate(case: Case, rating: str, comment: str | None, *, actor: Person, now: dt.datetime | None = None) -> CaseRating:
    """Give or change the case's one rating; the history records it.

    ``comment`` None keeps the comment given before (the mail's one-click rating sends none).
    """
    if rating not in RATINGS:
        raise RatingError(_("Choose good or bad."), field="rating")
    text = (comment or "").replace("\r\n", "\n").strip()
    if len(text) > min(COMMENT_MAX, BODY_MAX):
        raise RatingError(_("A comment can be at most %(max)s characters long.", max=COMMENT_MAX), field="comment")
    moment = now or utcnow()
    if not window_open(case, now=moment):
        raise RatingError(
            _(
                "This case can no longer be rated: ratings are open for %(days)s days after a case is solved.",
                days=rating_days(),
            )
        )
    before = rating_of(case)
    old = before.rating if before is not None else None
    if comment is None:
        text = before.comment if before is not None else ""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CaseRating).values(
        case_id=case.id, rating=rating, comment=text, rated_by_sub=actor.sub, created_at=moment, updated_at=moment
    )
    # Two clicks at once (two links of one mail) leave one rating: the later one.
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["case_id"],
            set_={"rating": rating, "comment": text, "rated_by_sub": actor.sub, "updated_at": moment},
        )
    )
    if old != rating:
        db.session.add(
            CaseEvent(
                case_id=case.id, actor_sub=actor.sub, field="rating", old_value=old, new_value=rating, created_at=moment
            )
        )
    db.session.flush()
    saved = db.session.get(CaseRating, case.id, populate_existing=True)
    assert saved is not None
    return saved
