"""Benchmark: an accountant with thousands of client organizations, in Panda.

    .venv/bin/python bench/accountant.py --orgs 2000
    PANDA_DATABASE_URL=postgresql://…/bench .venv/bin/python bench/accountant.py --orgs 5000

Prepares its own data (on a fresh SQLite file unless PANDA_DATABASE_URL is set: that
database is emptied first), then times, in process and after a warm-up, what such a
person does most: the home page with the switcher, the organizations page filtered,
one organization's page, building the ``orgs`` claim, and a full authorization-code
exchange whose tokens carry every organization. Prints the median and p95 of each,
and the number of SQL statements, which must not grow with --orgs.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import hashlib
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="panda-bench-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # its database and instance folder
    os.environ.setdefault("APP_ENV", "testing")
    os.environ["INSTANCE_PATH"] = tmp
    url = os.environ.get("PANDA_DATABASE_URL") or f"sqlite:///{tmp}/panda.db"

    from sqlalchemy import event

    from panda_portal import create_app
    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.oidc.claims import orgs_claim
    from panda_portal.oidc.services import register_client
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import ApplicationGrant, Membership, MembershipStatus, Organization, Role
    from shared.database import utcnow

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "PANDA_ISSUER": "http://panda.bench"}
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_applications()
        account = Account(
            email="accountant@bench.example", name="Bench Accountant", language="nl", email_verified_at=utcnow()
        )
        db.session.add(account)
        db.session.flush()
        now = utcnow()
        for n in range(args.orgs):
            stem = f"0{3000000 + n:07d}"
            org = Organization(
                name=f"Client {n:05d} BV",
                customer_number=f"B{n:06d}",
                enterprise_number=f"{stem}{97 - int(stem) % 97:02d}",
            )
            db.session.add(org)
            db.session.flush()
            membership = Membership(
                organization_id=org.id,
                account_id=account.id,
                role=Role.MEMBER,
                status=MembershipStatus.ACTIVE,
                active_since=now,
            )
            membership.grants = [ApplicationGrant(application_key="support_community")]
            db.session.add(membership)
        client, secret = register_client("bench-rp", ["https://rp.bench/cb"], requires_grant="support_community")
        db.session.commit()
        account_id, some_org = account.id, org.id

    browser = app.test_client()
    with browser.session_transaction() as session:
        session.update(account_id=str(account_id), auth_time=int(time.time()), sid="bench")

    statements: list[int] = []

    def counting(fn):
        def run():
            count = [0]

            def on_execute(*_):
                count[0] += 1

            with app.app_context():
                engine = db.engine
            event.listen(engine, "before_cursor_execute", on_execute)
            try:
                fn()
            finally:
                event.remove(engine, "before_cursor_execute", on_execute)
            statements.append(count[0])

        return run

    def page(path: str):
        def get():
            response = browser.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return get

    def claim():
        with app.app_context():
            from panda_portal.oidc.services import get_client

            assert len(orgs_claim(db.session.get(Account, account_id), get_client("bench-rp"))) == args.orgs

    def token_exchange():
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": "bench-rp",
                "redirect_uri": "https://rp.bench/cb",
                "scope": "openid profile orgs",
                "state": "s",
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        location = browser.get(f"/authorize?{query}").headers["Location"]
        assert "code=" in location, location
        code = parse_qs(urlsplit(location).query)["code"][0]
        response = browser.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "https://rp.bench/cb",
                "code_verifier": verifier,
            },
            auth=("bench-rp", secret),
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    cases = [
        ("home page with the switcher", page("/")),
        ("organizations page, filtered", page("/orgs?q=Client+01")),
        ("one organization's page", page(f"/orgs/{some_org}/")),
        ("orgs claim", claim),
        ("authorize + token exchange", token_exchange),
    ]
    print(f"{args.orgs} organizations, database {url.split(':')[0]}, {args.repeat} runs after 3 warm-ups")
    print(f"{'what':34} {'median ms':>10} {'p95 ms':>8} {'SQL':>5}")
    for label, fn in cases:
        for _ in range(3):
            fn()
        statements.clear()
        median, p95 = timed(counting(fn), args.repeat)
        print(f"{label:34} {median:10.1f} {p95:8.1f} {max(statements):5d}")


if __name__ == "__main__":
    main()
