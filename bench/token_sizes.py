"""Benchmark: how large Panda's tokens and answers are for an accountant with thousands of clients.

    .venv/bin/python bench/token_sizes.py --orgs 2000
    .venv/bin/python bench/token_sizes.py --orgs 100 --orgs 2000 --orgs 10000

Prepares its own data on a fresh SQLite file, signs the accountant in, runs the real
authorization-code exchange, and prints the size in bytes of what each party carries:

* the ID token and the access token (they travel in headers and in the logout URL:
  they must stay under 8 KB, the smallest header limit of common proxies);
* the token response, userinfo's answer and the access read's answer (bodies: the
  ``orgs`` list travels there, in the claim's shape);
* an access event (a body, pushed to the client's back-channel endpoint);
* for comparison, what an ID token carrying the whole list would weigh (how Panda
  signed them before the list left the tokens).

Sizes do not vary between runs (timings are ``bench/accountant.py``'s business).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER_LIMIT = 8 * 1024


def measure(orgs: int) -> dict[str, int]:
    tmp = tempfile.mkdtemp(prefix="panda-bench-sizes-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # its database and instance folder
    os.environ.setdefault("APP_ENV", "testing")
    os.environ["INSTANCE_PATH"] = tmp

    from panda_portal import create_app
    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.oidc import keys
    from panda_portal.oidc.access import orgs_snapshot
    from panda_portal.oidc.events import ACCESS_EVENT_TYPE, access_event_claims
    from panda_portal.oidc.services import get_client, register_client
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import ApplicationGrant, Membership, MembershipStatus, Organization, Role
    from shared.database import utcnow

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp}/panda.db",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "PANDA_ISSUER": "https://panda.example.com",
        }
    )
    with app.app_context():
        db.create_all()
        ensure_applications()
        account = Account(
            email="accountant@bench.example", name="Bench Accountant", language="nl", email_verified_at=utcnow()
        )
        db.session.add(account)
        db.session.flush()
        now = utcnow()
        for n in range(orgs):
            stem = f"0{3000000 + n:07d}"
            organization = Organization(
                name=f"Client {n:05d} with a realistic legal name BV",
                customer_number=f"B{n:06d}",
                enterprise_number=f"{stem}{97 - int(stem) % 97:02d}",
            )
            db.session.add(organization)
            db.session.flush()
            membership = Membership(
                organization_id=organization.id,
                account_id=account.id,
                role=Role.MEMBER,
                status=MembershipStatus.ACTIVE,
                active_since=now,
            )
            membership.grants = [ApplicationGrant(application_key="support_community")]
            db.session.add(membership)
        _client, secret = register_client(
            "support-community",
            ["https://community.example.com/auth/callback"],
            backchannel_logout_uri="https://community.example.com/auth/backchannel-logout",
            requires_grant="support_community",
        )
        db.session.commit()
        account_id = account.id

    browser = app.test_client()
    with browser.session_transaction() as session:
        session.update(account_id=str(account_id), auth_time=int(time.time()), sid="bench")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": "support-community",
        "redirect_uri": "https://community.example.com/auth/callback",
        "scope": "openid profile email orgs",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    code = parse_qs(urlsplit(browser.get("/authorize?" + urlencode(params)).headers["Location"]).query)["code"][0]
    auth = base64.b64encode(f"support-community:{secret}".encode()).decode()
    answer = browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {auth}"},
    )
    tokens = answer.get_json()
    userinfo = browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    access_read = browser.post("/access", data={"sub": str(account_id)}, headers={"Authorization": f"Basic {auth}"})
    assert len(userinfo.get_json()["orgs"]) == orgs == len(access_read.get_json()["orgs"])

    with app.app_context():
        client = get_client("support-community")
        person = db.session.get(Account, account_id)
        snapshot = orgs_snapshot(person, client)
        event = keys.sign(
            access_event_claims(client, sub=str(account_id), version=snapshot.version, withdrawn=["*"]),
            typ=ACCESS_EVENT_TYPE,
        )
        id_claims = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
        with_the_list = keys.sign(dict(id_claims, orgs=snapshot.orgs), typ="JWT")
        db.session.rollback()

    return {
        "organizations": orgs,
        "ID token": len(tokens["id_token"]),
        "access token": len(tokens["access_token"]),
        "token response": len(answer.get_data()),
        "userinfo response": len(userinfo.get_data()),
        "access read response": len(access_read.get_data()),
        "access event": len(event),
        "ID token with the list (before)": len(with_the_list),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, action="append", help="organizations (repeat for several runs)")
    args = parser.parse_args()
    results = [measure(count) for count in (args.orgs or [2000])]
    names = [name for name in results[0] if name != "organizations"]
    print("| what | " + " | ".join(f"{r['organizations']:,} orgs" for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{r[name]:,} B" for r in results) + " |")
    small = all(r["ID token"] < HEADER_LIMIT and r["access token"] < HEADER_LIMIT for r in results)
    print(f"\nID and access tokens under {HEADER_LIMIT:,} bytes: {'yes' if small else 'NO'}")
    if not small:
        sys.exit(1)


if __name__ == "__main__":
    main()
