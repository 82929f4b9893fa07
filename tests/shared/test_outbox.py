"""The mail outbox, through Panda's instance: nothing sent before delivery, nothing lost, nothing twice."""
from __future__ import annotations

import datetime as dt
import tempfile
import threading

import pytest
from flask import Flask
from sqlalchemy import select

from panda_portal.outbox.models import OutboxMessage
from panda_portal.outbox.services import outbox
from shared.database import utcnow
from shared.outbox import PermanentDeliveryError
from shared.outbox.service import MAX_ATTEMPTS, MAX_DELAY, backoff
from tests.support import drop_database, free_port, is_postgres, make_database


def queue(db, to: str = "ada@example.com", subject: str = "Verify your address") -> int:
    row = outbox.enqueue_mail(to=to, subject=subject, text="Open http://panda.test/verify/abc",
                              html="<p>Open <a href='http://panda.test/verify/abc'>the link</a></p>")
    db.session.commit()
    return row.id


def reload(db, message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def make_due(db, message_id: int) -> None:
    """What time does for a message waiting for its next attempt."""
    row = reload(db, message_id)
    row.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()


def test_queuing_a_mail_sends_nothing_by_itself(panda, panda_db, mail_sink):
    message_id = queue(panda_db)
    assert mail_sink.messages == []
    row = reload(panda_db, message_id)
    assert row.sent_at is None and row.attempts == 0


def test_a_mail_queued_in_a_rolled_back_transaction_is_never_sent(panda, panda_db, mail_sink):
    outbox.enqueue_mail(to="ada@example.com", subject="Never", text="never")
    panda_db.session.flush()
    panda_db.session.rollback()
    assert outbox.deliver_due(panda) == (0, 0)
    assert mail_sink.messages == []


def test_delivering_sends_a_due_mail_over_smtp(panda, panda_db, mail_sink):
    message_id = queue(panda_db)
    assert outbox.deliver_due(panda) == (1, 0)
    mail = mail_sink.last_to("ada@example.com")
    assert mail.subject == "Verify your address"
    assert "http://panda.test/verify/abc" in mail.text
    assert "the link" in mail.html
    row = reload(panda_db, message_id)
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None


def test_a_sent_mail_is_never_sent_again(panda, panda_db, mail_sink):
    queue(panda_db)
    outbox.deliver_due(panda)
    assert outbox.deliver_due(panda) == (0, 0)
    assert len(mail_sink.to("ada@example.com")) == 1


def test_when_smtp_refuses_the_mail_is_kept_and_retried_later(panda, panda_db, mail_sink):
    message_id = queue(panda_db)
    mail_sink.refuse = True
    before = utcnow()
    assert outbox.deliver_due(panda) == (0, 1)
    row = reload(panda_db, message_id)
    assert row.attempts == 1
    assert row.sent_at is None and row.failed_at is None
    assert "451" in row.last_error
    assert row.next_attempt_at > before
    assert mail_sink.messages == []
    # Not due yet: a second pass leaves it alone.
    assert outbox.deliver_due(panda) == (0, 0)


def test_when_smtp_is_unreachable_nothing_is_lost(panda, panda_db, mail_sink, monkeypatch):
    message_id = queue(panda_db)
    monkeypatch.setattr(panda.extensions["mail"], "port", free_port())  # nothing listens there
    assert outbox.deliver_due(panda) == (0, 1)
    row = reload(panda_db, message_id)
    assert row.attempts == 1 and row.sent_at is None and row.failed_at is None
    assert row.last_error
    assert row.next_attempt_at > utcnow()


def test_a_mail_that_failed_is_sent_once_when_smtp_is_back(panda, panda_db, mail_sink):
    message_id = queue(panda_db)
    mail_sink.refuse = True
    outbox.deliver_due(panda)
    mail_sink.refuse = False
    make_due(panda_db, message_id)
    assert outbox.deliver_due(panda) == (1, 0)
    assert outbox.deliver_due(panda) == (0, 0)
    assert len(mail_sink.to("ada@example.com")) == 1
    row = reload(panda_db, message_id)
    assert row.attempts == 2 and row.sent_at is not None and row.last_error is None


def test_each_failure_waits_longer_up_to_a_ceiling():
    assert backoff(1) < backoff(2) < backoff(3)
    assert backoff(MAX_ATTEMPTS) == MAX_DELAY


def test_after_the_last_attempt_the_message_is_kept_as_failed(panda, panda_db, mail_sink):
    message_id = queue(panda_db)
    row = reload(panda_db, message_id)
    row.attempts = MAX_ATTEMPTS - 1
    panda_db.session.commit()
    mail_sink.refuse = True
    assert outbox.deliver_due(panda) == (0, 1)
    row = reload(panda_db, message_id)
    assert row.failed_at is not None and row.sent_at is None and row.last_error
    mail_sink.refuse = False
    assert outbox.deliver_due(panda) == (0, 0)


def test_a_handler_that_raises_a_permanent_error_marks_the_message_failed(panda, panda_db, monkeypatch):
    calls = []

    def undeliverable(payload: dict) -> None:
        calls.append(payload)
        raise PermanentDeliveryError("the peer refuses this message for good")

    monkeypatch.setitem(outbox.handlers, "test.undeliverable", undeliverable)
    row = outbox.enqueue("test.undeliverable", {"n": 1})
    panda_db.session.commit()
    assert outbox.deliver_due(panda) == (0, 1)
    row = reload(panda_db, row.id)
    assert row.failed_at is not None and row.attempts == 1
    assert row.last_error == "the peer refuses this message for good"
    assert outbox.deliver_due(panda) == (0, 0)
    assert calls == [{"n": 1}]


def test_a_message_of_an_unknown_kind_cannot_be_queued(panda):
    with pytest.raises(ValueError):
        outbox.enqueue("no.such.kind", {})


# -- several workers at once (PostgreSQL) ------------------------------------------------
@pytest.fixture()
def committed_outbox(mail_sink):
    """A Panda outbox on a database of its own, with real commits (not rolled back)."""
    from panda_portal.extensions import db, mail

    url = make_database("outbox", tempfile.mkdtemp(prefix="outbox-"))
    app = Flask("outbox-workers")
    app.config.update(DATABASE_URL=url, MAIL_SERVER=mail_sink.host, MAIL_PORT=mail_sink.port,
                      MAIL_DEFAULT_SENDER="Panda <no-reply@panda.test>", MAIL_SUPPRESS_SEND=False)
    db.init_app(app)
    mail.init_app(app)
    engine = db.state(app).engine
    OutboxMessage.__table__.create(engine)
    yield app, db
    engine.dispose()
    drop_database(url)


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL): two workers claim "
                                              "rows with FOR UPDATE SKIP LOCKED, which SQLite lacks")
def test_two_workers_at_once_deliver_each_message_exactly_once(committed_outbox, mail_sink):
    app, db = committed_outbox
    count = 40
    with db.state(app).sessionmaker() as session:
        for number in range(count):
            session.add(OutboxMessage(kind="mail", attempts=0, next_attempt_at=utcnow(), payload={
                "to": f"person{number}@example.com", "subject": f"Message {number}", "text": "hello",
                "html": None, "sender": None, "headers": {}}))
        session.commit()

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while outbox.deliver_due(app, limit=5) != (0, 0):
                pass
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    subjects = sorted(mail.subject for mail in mail_sink.messages)
    assert subjects == sorted(f"Message {number}" for number in range(count))
    with db.state(app).sessionmaker() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
