"""Create a service's tables from its models for as long as it has no migrations.

    python -m devserver.schema panda|community

``make run`` runs this after ``db upgrade``. Once a service has Alembic migrations in
``<service>/migrations/versions/``, they alone define the schema and this does nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path


def has_migrations(migrations_dir: Path) -> bool:
    return any((migrations_dir / "versions").glob("*.py"))


def ensure_schema(service: str) -> str:
    """Returns what was done, for the log."""
    if service == "panda":
        from panda_portal import create_app
        from panda_portal.cli import MIGRATIONS_DIR
        from panda_portal.extensions import db
    elif service == "community":
        from support_community import create_app
        from support_community.cli import MIGRATIONS_DIR
        from support_community.extensions import db
    else:
        raise ValueError(f"unknown service {service!r}")
    if has_migrations(MIGRATIONS_DIR):
        return "schema comes from the migrations"
    app = create_app()
    with app.app_context():
        db.create_all()  # only creates the tables that are missing
    db.state(app).engine.dispose()
    return "no migrations yet: created the missing tables from the models"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in {"panda", "community"}:
        print("usage: python -m devserver.schema panda|community", file=sys.stderr)
        return 2
    print(ensure_schema(args[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
