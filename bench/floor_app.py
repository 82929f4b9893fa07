"""The floor of ``bench/token_endpoint.py``: a bare Flask app doing one indexed read and one durable write.

    gunicorn -c deploy/gunicorn.conf.py 'bench.floor_app:create_app()'   (FLOOR_DATABASE_URL names the database)

``POST /floor`` with ``key=<n>`` reads one row by a unique indexed column and inserts one
row, committed, in one transaction, on an engine built exactly as the services build
theirs (``shared.database.build_engine``: on SQLite WAL, ``BEGIN IMMEDIATE``, the default
``synchronous=FULL``; on PostgreSQL a pooled psycopg connection with synchronous commit),
and answers a small JSON document. What a refresh grant must do at the least (find the
token, record its successor) costs this much on the same machine, under the same gunicorn
settings; everything a refresh costs above it (plus its signatures) is Panda's own.
"""

from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select

from shared.database import build_engine

ROWS = 1000
metadata = MetaData()
items = Table(
    "bench_floor_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), unique=True, nullable=False),
    Column("value", String(200), nullable=False),
)
writes = Table(
    "bench_floor_writes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
)


def prepare(database_url: str) -> None:
    """Create the two tables with ``ROWS`` items (dropping what a previous run left)."""
    engine = build_engine(database_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(items), [{"key": f"k{n}", "value": f"item {n}"} for n in range(ROWS)])
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    engine = build_engine(os.environ["FLOOR_DATABASE_URL"])

    @app.post("/floor")
    def floor() -> object:
        key = request.form.get("key", "k0")
        with engine.begin() as conn:
            row = conn.execute(select(items.c.id, items.c.value).where(items.c.key == key)).one()
            conn.execute(insert(writes).values(item_id=row.id, written_at=dt.datetime.now(dt.UTC)))
        return jsonify(id=row.id, value=row.value)

    @app.get("/healthz")
    def healthz() -> object:
        return jsonify(status="ok")

    return app
