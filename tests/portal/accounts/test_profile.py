"""A person's own details (``accounts.services.profile``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panda_portal.accounts.services.profile import update_profile
from panda_portal.audit.models import AuditEvent

pytestmark = pytest.mark.usefixtures("in_request")  # services speak to people, in a request's language


def test_the_profile_changes_name_and_language_and_records_it(panda_db, make_account):
    account = make_account(email="ann@example.org", name="Ann")
    update_profile(account, " Ann Peeters ", "fr", actor=account)
    update_profile(account, "Ann Peeters", "fr", actor=account)
    assert (account.name, account.language) == ("Ann Peeters", "fr")
    recorded = panda_db.session.execute(
        select(AuditEvent.action, AuditEvent.after).where(AuditEvent.subject_account_id == account.id)
    ).all()
    assert [tuple(row) for row in recorded] == [("account.profile_updated", {"name": "Ann Peeters", "language": "fr"})]
