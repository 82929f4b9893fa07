"""Two changes of one member made from the same copy at the same moment (real concurrent transactions, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.models import Membership, MembershipStatus, Organization, Role

pytestmark = pytest.mark.postgres_only


def test_only_one_of_two_changes_from_the_same_etag_passes(concurrent_app, monkeypatch):
    from panda_portal.api.views import admin
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.personal_tokens.services import create_token
    from shared.database import utcnow

    with concurrent_app.test_request_context("/"):
        ensure_applications()
        boss = Account(email="boss@race.example", name="Boss", language="en", email_verified_at=utcnow())
        worker = Account(email="worker@race.example", name="Worker", language="en", email_verified_at=utcnow())
        org = Organization(name="Race BV", customer_number="R1", enterprise_number="0403170701")
        db.session.add_all([boss, worker, org])
        db.session.flush()
        for person, role in ((boss, Role.ADMIN), (worker, Role.MEMBER)):
            db.session.add(
                Membership(
                    organization_id=org.id,
                    account_id=person.id,
                    role=role,
                    status=MembershipStatus.ACTIVE,
                    active_since=utcnow(),
                )
            )
        db.session.flush()
        _row, token = create_token(boss, name="race", scopes=["orgs:admin"], actor=boss)
        db.session.commit()
        membership_id = db.session.query(Membership.id).filter_by(account_id=worker.id).scalar()
        url = f"/api/v1/orgs/{org.id}/members/{membership_id}"

    headers = {"Authorization": f"Bearer {token}"}
    read = concurrent_app.test_client(use_cookies=False).get(url, headers=headers)
    assert read.status_code == 200, read.get_data(as_text=True)
    etag = read.headers["ETag"]

    both_arrived = threading.Barrier(2)
    real_loader = admin.locked_member_or_404

    def loader_after_both_arrived(membership_id):
        both_arrived.wait(timeout=10)  # both requests passed the token and access checks
        return real_loader(membership_id)

    monkeypatch.setattr(admin, "locked_member_or_404", loader_after_both_arrived)
    statuses: list[int] = []

    def change(body: dict) -> None:
        client = concurrent_app.test_client(use_cookies=False)
        try:
            statuses.append(client.patch(url, json=body, headers={**headers, "If-Match": etag}).status_code)
        except Exception as error:  # noqa: BLE001 - shown by the assertion
            statuses.append(error)  # type: ignore[arg-type]

    threads = [
        threading.Thread(target=change, args=({"role": "admin"},)),
        threading.Thread(target=change, args=({"applications": ["support_community"]},)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses, key=str) == [200, 412]
