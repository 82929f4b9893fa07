"""Case numbers people can read out on the phone: ``CS-2026-000123``, unique, per year.

The counter of the year is taken with one atomic statement::

    INSERT INTO case_counters (year, last_number) VALUES (:year, 1)
    ON CONFLICT (year) DO UPDATE SET last_number = case_counters.last_number + 1
    RETURNING last_number

On PostgreSQL the update takes the row lock exactly like ``SELECT … FOR UPDATE``
followed by an ``UPDATE``: a second transaction that wants a number waits until the
first commits or rolls back, then counts on from what it left. The insert arm covers
the first case of a new year: when two transactions insert that row at once, the
second waits for the first and then updates instead of failing. SQLite has one
writer at a time, so the same statement is enough there.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite

from shared.database import utcnow
from support_community.cases.models import CaseCounter
from support_community.extensions import db

PREFIX = "CS"


def case_year(now: dt.datetime | None = None) -> int:
    """The year a case opened now belongs to, in the service's time zone (New Year's Eve in Brussels)."""
    now = now or utcnow()
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "UTC"
    try:
        return now.astimezone(zoneinfo.ZoneInfo(zone)).year
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.year


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:06d}"


def next_sequence(year: int) -> int:
    """Take the next number of ``year``; the row stays locked until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    take = (
        insert(CaseCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[CaseCounter.year],
            set_={"last_number": CaseCounter.last_number + 1},
        )
        .returning(CaseCounter.last_number)
    )
    return int(db.session.execute(take).scalar_one())


def next_case_number(now: dt.datetime | None = None) -> str:
    year = case_year(now)
    return format_number(year, next_sequence(year))
