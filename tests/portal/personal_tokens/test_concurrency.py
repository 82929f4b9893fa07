"""Two administrators forbidding personal access tokens at once (real concurrent transactions, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from panda_portal.accounts.models import Account
from panda_portal.extensions import db
from panda_portal.organizations.models import Organization

pytestmark = pytest.mark.postgres_only


def test_two_administrators_forbidding_at_once_both_succeed_and_the_change_is_recorded_once(concurrent_app):
    from panda_portal.audit.models import AuditEvent
    from panda_portal.personal_tokens.services import forbids_personal_tokens, set_personal_tokens_forbidden

    with concurrent_app.app_context():
        people = [Account(email=f"admin{n}@race.example", name=f"Admin {n}", language="en") for n in range(2)]
        org = Organization(name="Race BV", customer_number="R1", enterprise_number="0403170701")
        db.session.add_all([*people, org])
        db.session.commit()
        ids, org_id = [p.id for p in people], org.id

    results: list[object] = []
    both_started = threading.Barrier(2)

    def request(account_id) -> None:
        with concurrent_app.test_request_context("/"):
            try:
                actor = db.session.get(Account, account_id)
                organization = db.session.get(Organization, org_id)
                both_started.wait(timeout=10)
                results.append(set_personal_tokens_forbidden(organization, forbid=True, actor=actor))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
                results.append(error)
            finally:
                db.session.close()

    threads = [threading.Thread(target=request, args=(account_id,)) for account_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results, key=str) == [False, True]
    with concurrent_app.app_context():
        assert forbids_personal_tokens(db.session.get(Organization, org_id))
        recorded = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "organization.personal_tokens_forbidden")
        )
        assert recorded == 1
