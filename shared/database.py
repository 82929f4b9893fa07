"""Database plumbing shared by both services.

Each service declares its own ``DeclarativeBase`` (with ``NAMING_CONVENTION``) and owns its
own database; this module only provides the engine/session lifecycle and a few
column types, so both services handle transactions the same way:
one session per application context, committed explicitly by the view (or CLI
command / worker), rolled back and closed at teardown.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any, cast

from flask import Flask, Response, current_app, g
from sqlalchemy import DateTime, create_engine, event, text
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


SQLITE_BUSY_TIMEOUT_SECONDS = 10


class SQLiteWriterQueue:
    """One write transaction at a time per engine, in the order the threads asked.

    SQLite lets one writer in; the others wait in its busy handler, which sleeps 1, 2, 5, 10
    … 100 ms between tries, so under contention a thread waits up to 100 ms longer than the
    writer ahead of it needed. Threads of one process queue here instead and are woken as soon
    as the writer before them commits or rolls back. Other processes still meet at SQLite's
    own lock (``busy_timeout``).

    A thread that already holds the queue and begins a second write transaction on another
    connection is not queued (it would wait for itself): SQLite decides, as without the queue.
    A thread that waited ``timeout`` seconds goes on to SQLite's lock anyway.
    """

    def __init__(self, timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._holder: tuple[int, int] | None = None  # (thread id, id of the DBAPI connection)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def enter(self, dbapi_connection: Any) -> None:
        thread = threading.get_ident()
        holder = self._holder
        if holder is not None and holder[0] == thread:
            return
        if self._lock.acquire(timeout=self.timeout):
            self._holder = (thread, id(_raw(dbapi_connection)))

    def leave(self, dbapi_connection: Any) -> None:
        holder = self._holder
        if holder is not None and holder[1] == id(_raw(dbapi_connection)):
            self._holder = None
            self._lock.release()


def _raw(dbapi_connection: Any) -> Any:
    """The driver's connection, whether SQLAlchemy hands over its pool proxy or the connection."""
    return getattr(dbapi_connection, "dbapi_connection", None) or dbapi_connection


def _tune_sqlite(engine: Engine) -> None:
    """Make pysqlite behave: real transactions (SAVEPOINT works), FKs, WAL, writers wait for each other."""
    queue = SQLiteWriterQueue()
    engine.sqlite_writer_queue = queue  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # pragma: no cover - exercised on sqlite
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception:  # in-memory databases have no WAL
            pass
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:  # pragma: no cover - exercised on sqlite
        # Take the write lock up front: a transaction that reads and then writes while
        # another connection committed in between would otherwise fail at once with
        # "database is locked" (SQLite does not wait in that case). SQLite has one
        # writer at a time anyway; this makes the others wait, queued per process.
        # Read-only work (health checks) begins deferred and never waits for a writer.
        if conn.get_execution_options().get("sqlite_read_only"):
            conn.exec_driver_sql("BEGIN")
            return
        dbapi_connection = conn.connection.dbapi_connection
        queue.enter(dbapi_connection)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.leave(dbapi_connection)
            raise

    # The transaction ends in the dialect (a commit or rollback of the connection, the pool's
    # reset on return, or the connection closed): leave the queue there, whatever ended it.
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
        setattr(dialect, name, _leaving(queue, getattr(dialect, name)))


def _leaving(queue: SQLiteWriterQueue, end: Any) -> Any:
    def ended(dbapi_connection: Any) -> None:
        try:
            end(dbapi_connection)
        finally:
            queue.leave(dbapi_connection)

    return ended


def _tune_postgresql(engine: Engine) -> None:
    """Each connection runs its statements without parallel workers.

    Pages read a few ranges of an index; where PostgreSQL's estimate for a search crosses its
    threshold it plans two workers, and starting them costs more than the whole statement
    (a search of 10 ms took 70 ms so, depending on the statistics' last sample). Set for the
    connection's session, committed, so that no rollback takes it back.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_connection.commit()


def begin_read(session: Session) -> None:
    """Begin ``session``'s transaction as a read: on SQLite deferred, without the write lock or a
    place in the writers' queue (work that only reads: health checks, a session's lookup, what
    comes before a password hash). A transaction already open stays as it is."""
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_read_only": True})


def build_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    options: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        options.pop("pool_pre_ping")
        options["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    options.update(kwargs)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _tune_postgresql(engine)
    return engine


class Database:
    """Per-app engine + one session per application context.

    ``db.session`` is the current app context's session. Services ``flush``;
    views, CLI commands and workers ``commit`` once.
    """

    def __init__(self, base: type[DeclarativeBase], config_key: str = "DATABASE_URL") -> None:
        self.Model = base
        self.metadata = base.metadata
        self.config_key = config_key
        self._extension_key = f"database:{base.__name__}"

    def init_app(self, app: Flask) -> None:
        url = app.config[self.config_key]
        engine = build_engine(url)
        app.extensions[self._extension_key] = _State(engine)
        app.after_request(self._end_request_transaction)
        app.teardown_appcontext(self._teardown)

    def state(self, app: Flask | None = None) -> _State:
        return (app or current_app).extensions[self._extension_key]

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @property
    def session(self) -> Session:
        key = self._extension_key
        sessions = g.setdefault("_db_sessions", {})
        if key not in sessions:
            sessions[key] = self.state().sessionmaker()
        return sessions[key]

    def _end_request_transaction(self, response: Response) -> Response:
        """Close the request's session once the view is done, before the session cookie is saved.

        Views commit explicitly; whatever is left uncommitted is abandoned here rather than
        at teardown, so the connection goes back to the pool before the response is sent.
        """
        session = g.get("_db_sessions", {}).pop(self._extension_key, None)
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()
        return response

    def _teardown(self, _exc: BaseException | None) -> None:
        sessions = g.pop("_db_sessions", {})
        for session in sessions.values():
            try:
                session.rollback()
            finally:
                session.close()

    def ping(self) -> bool:
        with self.engine.connect().execution_options(sqlite_read_only=True) as conn:
            conn.execute(text("SELECT 1"))
        return True

    def create_all(self) -> None:
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        self.metadata.drop_all(self.engine)


class _State:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False, future=True)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (SQLAlchemy types ``execute`` as a plain ``Result``)."""
    return cast(CursorResult[Any], result).rowcount or 0
