"""A PostgreSQL database of a benchmark's own, beside the one the environment names."""

from __future__ import annotations

import os
import sys


def database_url(why: str) -> str:
    """The PostgreSQL URL from BENCH_DATABASE_URL, COMMUNITY_DATABASE_URL or TEST_DATABASE_URL; exits without one."""
    url = next(
        (
            os.environ[name]
            for name in ("BENCH_DATABASE_URL", "COMMUNITY_DATABASE_URL", "TEST_DATABASE_URL")
            if os.environ.get(name, "").startswith("postgres")
        ),
        None,
    )
    if not url:
        sys.exit(f"set COMMUNITY_DATABASE_URL (or BENCH_DATABASE_URL) to a PostgreSQL database: {why}")
    return url


def bench_database(admin_url: str, suffix: str, *, reuse: bool) -> tuple[str, bool]:
    """``<database>_<suffix>`` on the same server, created (or emptied unless ``reuse``); its URL, and whether kept."""
    import sqlalchemy as sa

    admin = sa.engine.make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{admin.database}_{suffix}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists and not reuse:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False), bool(exists)


def ensure_database(url: str) -> str:
    """``url`` itself, its PostgreSQL database created first when the server does not have it yet."""
    if not url.startswith("postgres"):
        return url
    import sqlalchemy as sa

    wanted = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": wanted.database}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{wanted.database}"'))
    engine.dispose()
    return url
