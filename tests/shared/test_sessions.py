"""Browser sessions kept in the database: expired ones are purged by a command, live ones stay."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shared.database import utcnow


@pytest.mark.parametrize("service", ["panda", "community"])
def test_sessions_purge_deletes_expired_sessions_and_keeps_live_ones(request, service):
    app = request.getfixturevalue(service)
    db = __import__(f"{app.import_name}.extensions", fromlist=["db"]).db
    model = app.session_interface.model
    now = utcnow()
    db.session.add_all(
        [
            model(
                id="expired-" + "0" * 56,
                subject="s",
                sid="a",
                data={},
                created_at=now,
                updated_at=now,
                expires_at=now - dt.timedelta(minutes=1),
            ),
            model(
                id="live-" + "0" * 59,
                subject="s",
                sid="b",
                data={},
                created_at=now,
                updated_at=now,
                expires_at=now + dt.timedelta(hours=1),
            ),
        ]
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 expired session(s)." in result.output
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 1
