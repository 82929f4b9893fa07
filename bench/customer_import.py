"""Benchmark of ``panda customers import``: N generated rows into the configured database.

    .venv/bin/python bench/customer_import.py --rows 500000
    PANDA_DATABASE_URL=postgresql://… .venv/bin/python bench/customer_import.py --rows 500000

Without ``PANDA_DATABASE_URL`` it uses a fresh SQLite file in a temporary folder.
The first run adds every row; a second run over the same rows (``--twice``)
measures the "nothing changed" path of a routine re-import.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def write_rows(path: Path, count: int, rename_every: int = 0) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_number", "enterprise_number", "name"])
        for n in range(count):
            stem = f"0{2000000 + n:07d}"
            number = f"{stem}{97 - int(stem) % 97:02d}"
            suffix = " (renamed)" if rename_every and n % rename_every == 0 else ""
            writer.writerow([f"{300000 + n}", f"{number[:4]}.{number[4:7]}.{number[7:]}", f"Customer {n} BV{suffix}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--twice", action="store_true", help="import again with 1 row in 10 renamed")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="panda-bench-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # its database and instance folder
    os.environ.setdefault("APP_ENV", "development")
    os.environ.setdefault("INSTANCE_PATH", str(tmp))
    os.environ.setdefault("PANDA_DATABASE_URL", f"sqlite:///{tmp}/bench.db")
    os.environ.setdefault("MAIL_SERVER", "127.0.0.1")

    from panda_portal import create_app
    from panda_portal.extensions import db
    from panda_portal.organizations.models import CustomerRecord
    from panda_portal.organizations.services.customer_register import import_customers, read_register_csv

    app = create_app()
    with app.app_context():
        db.create_all()
        if db.session.query(CustomerRecord).count():
            sys.exit("the benchmark needs an empty customer register (it writes rows)")

    runs = [("first import", 0)] + ([("re-import, 1 in 10 renamed", 10)] if args.twice else [])
    for label, rename_every in runs:
        path = tmp / "customers.csv"
        write_rows(path, args.rows, rename_every)
        with app.app_context():
            started = time.perf_counter()
            with path.open("rb") as stream:
                report = import_customers(read_register_csv(stream), actor=None)
            db.session.commit()
            elapsed = time.perf_counter() - started
        print(
            f"{label}: {args.rows} rows on {db.state(app).engine.dialect.name} in {elapsed:.1f}s "
            f"= {args.rows / elapsed:,.0f} rows/s "
            f"({report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.rejected)} rejected)"
        )


if __name__ == "__main__":
    main()
