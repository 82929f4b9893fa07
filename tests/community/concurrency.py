"""Helpers of the tests that run two transactions at the same moment (PostgreSQL, ``committing_community``)."""

from __future__ import annotations

import sqlalchemy as sa

from support_community.extensions import db


def someone_waits_for_a_lock(app) -> bool:
    """Whether a transaction on ``app``'s database is waiting for a lock another one holds."""
    with db.state(app).engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )
