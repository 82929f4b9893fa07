"""The mail outbox, through Panda's instance: nothing sent before delivery, nothing lost, nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest
from flask import Flask
from sqlalchemy import select

from panda_portal.outbox.models import OutboxMessage
from panda_portal.outbox.services import outbox
from shared.database import utcnow
from shared.outbox import PermanentDeliveryError
from shared.outbox.service import MAX_ATTEMPTS, MAX_DELAY, backoff
from tests.support import TEST_INSTANCE, base_config, drop_database, free_port, is_postgres, make_database


def queue(db, to: str = "ada@example.com", subject: str = "Verify your address") -> int:
    row = outbox.enqueue_mail(
        to=to,
        subject=subject,
        text="Open http://panda.test/verify/abc",
        html="<p>Open <a href='http://panda.test/verify/abc'>the link</a></p>",
    )
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
    app.config.update(
        DATABASE_URL=url,
        MAIL_SERVER=mail_sink.host,
        MAIL_PORT=mail_sink.port,
        MAIL_DEFAULT_SENDER="Panda <no-reply@panda.test>",
        MAIL_SUPPRESS_SEND=False,
    )
    db.init_app(app)
    mail.init_app(app)
    engine = db.state(app).engine
    OutboxMessage.__table__.create(engine)
    yield app, db
    engine.dispose()
    drop_database(url)


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not is_postgres(),
    reason="needs PostgreSQL (TEST_DATABASE_URL): two workers claim "
    "rows with FOR UPDATE SKIP LOCKED, which SQLite lacks",
)
def test_two_workers_at_once_deliver_each_message_exactly_once(committed_outbox, mail_sink):
    app, db = committed_outbox
    count = 40
    with db.state(app).sessionmaker() as session:
        for number in range(count):
            session.add(
                OutboxMessage(
                    kind="mail",
                    attempts=0,
                    next_attempt_at=utcnow(),
                    payload={
                        "to": f"person{number}@example.com",
                        "subject": f"Message {number}",
                        "text": "hello",
                        "html": None,
                        "sender": None,
                        "headers": {},
                    },
                )
            )
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


# -- mail that always goes out, once ------------------------------------------------------------
def test_a_mail_with_one_long_paragraph_passes_a_strict_smtp_server_intact(panda, panda_db, mail_sink):
    paragraph = " ".join(["Het boekhoudpakket weigert de factuur van één klant"] * 40)  # about 2,000 characters
    assert len(paragraph) > 1900
    outbox.enqueue_mail(to="ada@example.com", subject="Lang", text=paragraph, html=f"<p>{paragraph}</p>")
    panda_db.session.commit()
    assert outbox.deliver_due(panda) == (1, 0)
    mail = mail_sink.last_to("ada@example.com")
    assert mail.text.strip() == paragraph
    assert paragraph in mail.html
    raw_lines = mail.message.as_bytes().split(b"\n")
    assert max(len(line) for line in raw_lines) <= 998


def test_a_permanent_refusal_is_not_retried_and_is_shown_to_operators(panda, panda_db, mail_sink):
    message_id = queue(panda_db, to="gone@example.com")
    mail_sink.refuse_permanently = True
    assert outbox.deliver_due(panda) == (0, 1)
    row = reload(panda_db, message_id)
    assert row.failed_at is not None and row.attempts == 1 and "550" in row.last_error
    mail_sink.refuse_permanently = False
    make_due(panda_db, message_id)
    assert outbox.deliver_due(panda) == (0, 0), "a message refused for good is not tried again"
    assert [failed.id for failed in outbox.failed()] == [message_id]
    assert outbox.failed_count() == 1
    assert panda.test_client().get("/readyz").get_json()["outbox_failed"] == 1


def test_an_operator_lists_and_retries_failed_messages_from_the_command_line(panda, panda_db, mail_sink):
    message_id = queue(panda_db, to="gone@example.com")
    mail_sink.refuse_permanently = True
    outbox.deliver_due(panda)
    mail_sink.refuse_permanently = False
    runner = panda.test_cli_runner()
    listing = runner.invoke(args=["outbox", "failed"])
    assert listing.exit_code == 0
    assert f"{message_id}\tmail\tgone@example.com\t1 attempt(s)" in listing.output
    assert "550" in listing.output and "1 failed message(s)." in listing.output
    retried = runner.invoke(args=["outbox", "retry", str(message_id)])
    assert retried.exit_code == 0 and "1 message(s) queued again." in retried.output
    assert outbox.deliver_due(panda) == (1, 0)
    assert mail_sink.last_to("gone@example.com")
    assert runner.invoke(args=["outbox", "retry", str(message_id)]).exit_code == 1


def test_a_mail_keeps_its_message_id_across_retries(panda, panda_db, mail_sink):
    message_id = queue(panda_db)
    mail_sink.refuse = True
    outbox.deliver_due(panda)
    mail_sink.refuse = False
    make_due(panda_db, message_id)
    outbox.deliver_due(panda)
    chosen = reload(panda_db, message_id).payload["message_id"]
    assert chosen.startswith("<") and chosen.endswith("@panda.localhost>")
    assert mail_sink.last_to("ada@example.com").message["Message-ID"] == chosen


def test_a_worker_asked_to_stop_finishes_the_message_in_hand_and_takes_no_other(panda, panda_db, mail_sink):
    first, second = queue(panda_db, to="first@example.com"), queue(panda_db, to="second@example.com")
    mail_sink.delay = 1.0
    stop = threading.Event()
    worker = threading.Thread(target=outbox.work, args=(panda,), kwargs={"interval": 0.1, "should_stop": stop.is_set})
    worker.start()
    assert mail_sink.receiving.wait(timeout=10), "the worker never reached the SMTP server"
    stop.set()  # while the first message is in hand
    worker.join(timeout=5)
    assert not worker.is_alive(), "the worker must stop within seconds"
    sent = [row for row in (reload(panda_db, first), reload(panda_db, second)) if row.sent_at is not None]
    assert len(sent) == 1, "the message in hand is finished, the next one left for another worker"
    assert len(mail_sink.messages) == 1


def test_a_worker_killed_mid_delivery_loses_nothing(smtp_sink, tmp_path):
    """The worker dies while the SMTP server is receiving: once the lease runs out, the mail goes out."""
    from panda_portal import create_app
    from panda_portal.extensions import db

    smtp_sink.clear()
    url = make_database("outbox_kill", TEST_INSTANCE)
    app = create_app(base_config(smtp_sink, url))
    try:
        with app.app_context():
            db.create_all()
            row = outbox.enqueue_mail(to="ada@example.com", subject="Once", text="Hello")
            db.session.commit()
            message_id = row.id
        smtp_sink.delay = 1.5
        env = dict(
            os.environ,
            APP_ENV="testing",
            INSTANCE_PATH=str(tmp_path),
            PANDA_DATABASE_URL=url,
            MAIL_SERVER=smtp_sink.host,
            MAIL_PORT=str(smtp_sink.port),
        )
        worker = subprocess.Popen(
            [sys.executable, "-c", "from panda_portal.cli import main; main()", "outbox", "work", "--interval", "0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert smtp_sink.receiving.wait(timeout=60), "the worker never reached the SMTP server"
        worker.kill()  # no chance to record anything
        worker.wait(timeout=10)
        time.sleep(smtp_sink.delay + 0.5)
        with app.app_context():
            row = db.session.get(OutboxMessage, message_id)
            assert row.sent_at is None and row.failed_at is None and row.attempts == 1, "claimed, kept"
            row.next_attempt_at = utcnow() - dt.timedelta(seconds=1)  # the lease has run out
            db.session.commit()
        smtp_sink.delay = 0.0
        assert outbox.deliver_due(app) == (1, 0)
        delivered = smtp_sink.to("ada@example.com")
        assert len(delivered) == 1
        with app.app_context():
            assert delivered[0].message["Message-ID"] == db.session.get(OutboxMessage, message_id).payload["message_id"]
    finally:
        smtp_sink.delay = 0.0
        db.state(app).engine.dispose()
        drop_database(url)


def test_a_mail_sent_again_after_a_crash_before_its_record_is_recognisably_the_same(
    panda, panda_db, mail_sink, monkeypatch
):
    """At least once: a worker that stops between the server's acceptance and the record sends it again."""
    message_id = queue(panda_db)
    sessions = panda_db.state(panda).sessionmaker
    calls = {"n": 0}

    class CrashOnRecord:
        def __call__(self):
            calls["n"] += 1
            if calls["n"] == 2:  # the session that records the outcome
                raise RuntimeError("worker stopped")
            return sessions()

    monkeypatch.setattr(panda_db.state(panda), "sessionmaker", CrashOnRecord())
    with pytest.raises(RuntimeError):
        outbox.deliver_due(panda)
    monkeypatch.setattr(panda_db.state(panda), "sessionmaker", sessions)
    make_due(panda_db, message_id)
    assert outbox.deliver_due(panda) == (1, 0)
    first, second = mail_sink.to("ada@example.com")
    assert first.message["Message-ID"] == second.message["Message-ID"]


def test_a_worker_serves_its_deliveries_and_the_backlog_on_a_metrics_port(smtp_sink, tmp_path):
    """Workers answer no HTTP: with ``--metrics-port`` Prometheus can still scrape what they delivered."""
    from panda_portal import create_app
    from panda_portal.extensions import db

    smtp_sink.clear()
    url = make_database("outbox_metrics", TEST_INSTANCE)
    app = create_app(base_config(smtp_sink, url))
    port = free_port()
    try:
        with app.app_context():
            db.create_all()
            outbox.enqueue_mail(to="ada@example.com", subject="Counted", text="Hello")
            db.session.commit()
        env = dict(
            os.environ,
            APP_ENV="testing",
            INSTANCE_PATH=str(tmp_path),
            PANDA_DATABASE_URL=url,
            MAIL_SERVER=smtp_sink.host,
            MAIL_PORT=str(smtp_sink.port),
        )
        command = "from panda_portal.cli import main; main()"
        worker = subprocess.Popen(
            [sys.executable, "-c", command, "outbox", "work", "--interval", "0.1", "--metrics-port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            text = ""
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                        text = answer.read().decode()
                except OSError:
                    text = ""
                if 'outbox_delivery_attempts_total{kind="mail",outcome="sent",service="panda_portal"} 1.0' in text:
                    break
                time.sleep(0.2)
            assert 'outbox_delivery_attempts_total{kind="mail",outcome="sent",service="panda_portal"} 1.0' in text
            assert 'outbox_backlog{service="panda_portal"} 0.0' in text
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        assert len(smtp_sink.to("ada@example.com")) == 1
    finally:
        db.state(app).engine.dispose()
        drop_database(url)


def test_a_mail_carries_the_headers_it_was_queued_with(panda, panda_db, mail_sink):
    outbox.enqueue_mail(
        to="ada@example.com",
        subject="About your case",
        text="Hello",
        headers={"Reply-To": "support+abc@community.test", "References": "<case.1@community.test>"},
    )
    panda_db.session.commit()
    outbox.deliver_due(panda)

    mail = mail_sink.last_to("ada@example.com")
    assert mail.message["Reply-To"] == "support+abc@community.test"
    assert mail.message["References"] == "<case.1@community.test>"


@pytest.mark.parametrize(
    "headers",
    [
        {"Reply-To": "a@b.test\r\nBcc: victim@example.com"},
        {"References": "<x@y>\nX-Injected: yes"},
        {"X-Bad Name": "value"},
        {"Bcc": "victim@example.com"},
        {"Subject": "another subject"},
    ],
)
def test_a_header_that_could_inject_another_is_refused_when_queued(panda, headers):
    with pytest.raises(ValueError):
        outbox.enqueue_mail(to="ada@example.com", subject="Hi", text="Hello", headers=headers)
