"""Benchmark: the accountant with thousands of client organizations, in the Support Community.

    .venv/bin/python bench/community_many_clients.py --scale 2000 --cases 100000
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_community \\
        .venv/bin/python bench/community_many_clients.py --scale 2000 --cases 1000000

Prepares its own data with what ``community demo --scale N --cases M`` runs (on a fresh
SQLite file, or on the PostgreSQL database ``BENCH_DATABASE_URL`` names, which is emptied
first), signs the accountant in (a server-side session, as a sign-in leaves it), pins a few
organizations and uses a few, then asks, in process and after a warm-up, for every page
such a person sees and for every kind of switcher search: the start page, the switcher
page and its pages, the searches as you type, the new-case picker, "All my clients" with
its filters, sorts and full-text search, one organization's pages and a case.

For each: median and p95 server time (ms), HTML size (KB) and SQL statements. Before the
pages, ``community cases recount`` is timed and must find nothing to correct. Panda's
userinfo round trip of an unfiltered switcher page is left out (``reread_claims`` is
replaced by a no-op): it is Panda's time, measured by ``bench/accountant.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BUDGET_MS = 50
BUDGET_KB = 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=2000, help="client organizations (as `community demo --scale`)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--csv", action="store_true", help="also time the CSV export of every open case")
    return parser.parse_args()


def percentile95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(len(ordered) * 0.95 + 0.5) - 1, 0)]


def main() -> None:
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="community-bench-")
    os.environ.setdefault("APP_ENV", "testing")
    os.environ["INSTANCE_PATH"] = tmp
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/community.db"

    from sqlalchemy import event, text

    from shared import demo_scale
    from support_community import create_app
    from support_community.auth import organizations, services
    from support_community.cases.services.demo_data import load_demo
    from support_community.cases.services.demo_scale import case_id, load_scale
    from support_community.extensions import db

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "PANDA_ISSUER": "http://panda.bench",
            "COMMUNITY_URL": "http://community.bench",
            "COMMUNITY_CLIENT_ID": "bench",
            "COMMUNITY_CLIENT_SECRET": "bench",
            "WTF_CSRF_ENABLED": False,
        }
    )
    logging.getLogger("shared.requests").setLevel(logging.WARNING)  # one log line per request is noise here
    services.reread_claims = lambda: None  # Panda's userinfo: Panda's time, not the community's
    sub = str(demo_scale.ACCOUNT_ID)
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_demo()
        report = load_scale(args.scale, args.cases)
        clients = [client for client in demo_scale.clients(args.scale) if client.community_granted]
        for client in clients[10:13]:
            organizations.set_favourite(sub, client.id, favourite=True)
        for client in clients[100:105]:
            organizations.remember_use(sub, client.id)
        db.session.commit()
        db.session.commit()
        # Fresh statistics, and on PostgreSQL a visibility map, so index-only scans are possible as in production.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    print(
        f"{db.state(app).engine.dialect.name}: {report.organizations} organizations with the community, "
        f"{report.cases_total} cases, prepared in {time.perf_counter() - started:.1f} s"
    )
    with app.app_context():
        # The totals per status read counts the database keeps; `community cases recount` rebuilds them.
        from support_community.cases.services.status_counts import recount

        started = time.perf_counter()
        recounted = recount()
        db.session.commit()
        assert recounted.corrected == 0, "the counts kept while loading differ from the cases"
        print(f"community cases recount: {recounted.cases} cases in {time.perf_counter() - started:.2f} s")

    browser = app.test_client()
    with browser.session_transaction() as session:
        session["sub"] = sub
        session["claims"] = {"sub": sub, "name": demo_scale.NAME, "email": demo_scale.EMAIL, "locale": "en"}
        session["tokens"] = {"access_token": "bench", "expires_at": int(time.time()) + 86_400}

    some = clients[len(clients) // 2]
    some_case = case_id(0)
    with app.app_context():
        from support_community.cases.models import Case

        first_case = db.session.get(Case, some_case)
        case_org = first_case.organization_id if first_case else some.id
    rare_number = some.customer_number
    pages = [
        ("start page (recent, favourites, search)", "/"),
        ("switch organization, first page", "/switch"),
        ("switch organization, page 20", "/switch?page=20"),
        ("switch: search by name", "/switch?q=bakkerij+gent"),
        ("switch: customer number", f"/switch?q={rare_number}"),
        ("switch: 0403.170.701 spelling", f"/switch?q={some.enterprise_number[:4]}.{some.enterprise_number[4:7]}"),
        ("switch: BE0… spelling", f"/switch?q=BE{some.enterprise_number}"),
        ("switch: nine digits", f"/switch?q={some.enterprise_number[1:]}"),
        ("as you type: 'b'", "/organizations/search?q=b&target=switch"),
        ("as you type: 'bakk'", "/organizations/search?q=bakk&target=switch"),
        ("as you type: 'bakkerij gent'", "/organizations/search?q=bakkerij+gent&target=switch"),
        ("as you type: '7001'", "/organizations/search?q=7001&target=new_case"),
        ("as you type: nothing found", "/organizations/search?q=zzzz&target=switch"),
        ("new case: which organization?", "/cases/new"),
        ("new case: search", "/cases/new?q=garage"),
        ("all my clients (open)", "/cases"),
        ("all my clients, page 10", "/cases?page=10"),
        ("all my clients, history by severity", "/cases?status=any&sort=severity"),
        ("all my clients, by status", "/cases?sort=status&direction=asc"),
        ("all my clients, waiting for me", "/cases?status=waiting_for_customer"),
        ("all my clients, full text", "/cases?q=peppol&status=any"),
        ("all my clients, case number", "/cases?q=CS-2026-000001&status=any"),
        ("all my clients, organization by text", "/cases?org=gent"),
        ("all my clients, one organization", f"/cases?org={some.id}&status=any"),
        ("one organization's start page", f"/orgs/{case_org}/"),
        ("one organization's cases", f"/orgs/{case_org}/cases?status=any"),
        ("one organization's cases, full text", f"/orgs/{case_org}/cases?q=coda&status=any"),
        ("a case", f"/orgs/{case_org}/cases/{some_case}"),
        ("new case form", f"/orgs/{case_org}/cases/new"),
    ]
    if args.csv:
        pages.append(("CSV of every open case (not a page)", "/cases/export.csv"))

    engine = db.state(app).engine
    count = [0]

    def on_execute(*_: object) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    print(f"{'what':46} {'median ms':>9} {'p95 ms':>7} {'KB':>6} {'SQL':>4}")
    over = []
    for label, path in pages:
        response = browser.get(path)  # warm-up (and the first request's session write)
        assert response.status_code == 200, (path, response.status_code)
        samples, statements = [], set()
        size = 0
        for _ in range(args.repeat):
            count[0] = 0
            begin = time.perf_counter()
            response = browser.get(path)
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            statements.add(count[0])
            size = len(response.get_data())
        p95 = percentile95(samples)
        kb = size / 1024
        spread = "–".join(str(n) for n in sorted(statements)) if len(statements) > 1 else str(statements.pop())
        print(f"{label:46} {statistics.median(samples):9.1f} {p95:7.1f} {kb:6.1f} {spread:>4}")
        if (p95 > BUDGET_MS or kb > BUDGET_KB) and "CSV" not in label:
            over.append(label)
    event.remove(engine, "before_cursor_execute", on_execute)
    print(f"budget {BUDGET_MS} ms p95 and {BUDGET_KB} KB: " + ("all within" if not over else f"over: {over}"))


if __name__ == "__main__":
    main()
