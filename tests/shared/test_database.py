"""SQLite write transactions of one process queue for each other instead of sleeping in SQLite's busy handler."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from shared.database import build_engine

WAIT = 10  # seconds: a bound for "does it happen at all", never a timing measurement


@pytest.fixture()
def engine(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'queue.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, value) VALUES (1, 0)"))
    yield engine
    engine.dispose()


@pytest.fixture()
def statements(engine):
    """Every statement sent to SQLite, with the thread that sent it, in order."""
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args):
        with lock:
            seen.append((threading.current_thread().name, statement.split()[0].upper()))

    @event.listens_for(engine, "commit")
    def _committed(_conn):
        with lock:
            seen.append((threading.current_thread().name, "COMMIT"))

    return seen


def _start(name, work):
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread


def test_a_second_writer_waits_in_the_queue_and_begins_only_after_the_first_committed(engine, statements):
    first_holds, first_may_commit, second_began = threading.Event(), threading.Event(), threading.Event()

    def first():
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET value = value + 1"))
            first_holds.set()
            first_may_commit.wait(WAIT)

    def second():
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET value = value + 10"))
            second_began.set()

    one = _start("first", first)
    assert first_holds.wait(WAIT)
    two = _start("second", second)
    assert not second_began.wait(0.3)
    assert engine.sqlite_writer_queue.busy
    # The second thread has not even asked SQLite for its lock: it waits in the queue.
    assert ("second", "BEGIN") not in statements
    first_may_commit.set()
    one.join(WAIT)
    two.join(WAIT)
    assert second_began.is_set()
    order = [entry for entry in statements if entry[1] in ("BEGIN", "COMMIT")]
    assert order == [("first", "BEGIN"), ("first", "COMMIT"), ("second", "BEGIN"), ("second", "COMMIT")]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM counter")).scalar_one() == 11
    assert not engine.sqlite_writer_queue.busy


@pytest.mark.parametrize("ending", ["rollback", "exception", "returned to the pool", "closed"])
def test_every_way_a_transaction_ends_lets_the_next_writer_in(engine, ending):
    queue = engine.sqlite_writer_queue
    if ending == "rollback":
        with engine.connect() as conn:
            conn.execute(text("UPDATE counter SET value = 5"))
            assert queue.busy
            conn.rollback()
            assert not queue.busy
    elif ending == "exception":
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.execute(text("UPDATE counter SET value = 5"))
            raise RuntimeError("the view failed")
    elif ending == "returned to the pool":
        conn = engine.connect()
        conn.execute(text("UPDATE counter SET value = 5"))
        assert queue.busy
        conn.close()  # no commit: the pool rolls back on return
    else:
        conn = engine.connect()
        conn.execute(text("UPDATE counter SET value = 5"))
        conn.invalidate()  # the DBAPI connection is closed
        conn.close()
    assert not queue.busy
    done = threading.Event()

    def next_writer():
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET value = value + 1"))
        done.set()

    _start("next", next_writer).join(WAIT)
    assert done.is_set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM counter")).scalar_one() == 1


def test_readers_do_not_queue_behind_a_writer(engine):
    with engine.begin() as writer:
        writer.execute(text("UPDATE counter SET value = 7"))
        read = {}

        def reader():
            with engine.connect().execution_options(sqlite_read_only=True) as conn:
                read["value"] = conn.execute(text("SELECT value FROM counter")).scalar_one()

        _start("reader", reader).join(WAIT)
        assert read == {"value": 0}  # the committed value; the writer's change is not visible yet


def test_a_thread_that_opens_a_second_write_transaction_is_not_made_to_wait_for_itself(engine):
    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    engine.dispose()
    with engine.begin() as first:
        first.execute(text("UPDATE counter SET value = 1"))
        with pytest.raises(OperationalError, match="locked"), engine.begin() as second:
            second.execute(text("UPDATE counter SET value = 2"))
    assert not engine.sqlite_writer_queue.busy


def test_many_threads_writing_at_once_all_succeed(engine):
    errors: list[BaseException] = []

    def writer():
        try:
            for _ in range(25):
                with engine.begin() as conn:
                    value = conn.execute(text("SELECT value FROM counter")).scalar_one()
                    conn.execute(text("UPDATE counter SET value = :value"), {"value": value + 1})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [_start(f"writer-{n}", writer) for n in range(8)]
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM counter")).scalar_one() == 200


@pytest.mark.postgres_only
def test_postgresql_connections_plan_without_parallel_workers():
    """A search planned with two workers took 70 ms instead of 10 (the workers' start): connections turn
    them off for their whole session, a rolled-back transaction and a new connection included."""
    from tests.support import test_database_url

    engine = build_engine(test_database_url() or "")
    try:
        for _ in range(2):
            with engine.connect() as conn:
                assert conn.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
                conn.execute(text("SET LOCAL work_mem = '8MB'"))
                conn.rollback()
                assert conn.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
            engine.dispose()  # the second round on a new connection
    finally:
        engine.dispose()
