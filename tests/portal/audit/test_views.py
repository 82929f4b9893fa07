"""The audit log: recorded with before, after and address; shown to administrators and to each person."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import g
from sqlalchemy import event, select

from panda_portal.audit.models import AuditEvent
from panda_portal.audit.services import PER_PAGE, record
from panda_portal.organizations.models import Role
from tests.portal.factories import SUPPORT, switch_to


@pytest.fixture()
def team(make_account, make_org, make_membership, panda_client, login_as):
    admin = make_account(name="Ann Admin", email="ann@example.org")
    member = make_account(name="Bert Member", email="bert@example.org")
    org = make_org(name="Bloemen Janssens BV")
    admin_membership = make_membership(admin, org, role=Role.ADMIN, grants=[SUPPORT])
    member_membership = make_membership(member, org)
    switch_to(panda_client, login_as, admin)
    return org, admin, member, admin_membership, member_membership


def test_a_change_made_through_a_page_is_recorded_with_who_what_before_after_and_address(team, panda_client, panda_db):
    org, admin, member, _, membership = team
    url = f"/orgs/{org.id}/members/{membership.id}"
    panda_client.post_form(
        url,
        {"role": "member", "applications": [SUPPORT], "confirmed": "yes"},
        page=url,
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
        headers={"User-Agent": "Firefox/140"},
    )
    recorded = panda_db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "membership.access_changed")
    ).one()
    assert recorded.actor_id == admin.id
    assert recorded.actor_label == "Ann Admin <ann@example.org>"
    assert recorded.organization_id == org.id
    assert recorded.subject_account_id == member.id
    assert recorded.target_type == "membership" and recorded.target_id == str(membership.id)
    assert recorded.before == {"applications": []}
    assert recorded.after == {"applications": [SUPPORT]}
    assert recorded.ip_address == "203.0.113.7"
    assert recorded.user_agent == "Firefox/140"
    assert recorded.occurred_at.tzinfo is not None


def test_administrators_read_their_organizations_log_in_words(team, panda_client, panda_db):
    org, admin, member, _, membership = team
    url = f"/orgs/{org.id}/members/{membership.id}"
    panda_client.post_form(url, {"role": "admin", "applications": [SUPPORT], "confirmed": "yes"}, page=url)
    page = panda_client.get(f"/orgs/{org.id}/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Role changed" in html
    assert "Application access changed" in html
    assert "role: member → administrator" in html
    assert "application access: – → Support Community" in html
    assert "Ann Admin &lt;ann@example.org&gt;" in html
    assert "Bert Member" in html
    assert "membership.role_changed" not in html


def test_the_log_shows_only_the_organizations_own_events(team, panda_client, make_org):
    org, admin, *_ = team
    other = make_org(name="Transport Willems NV")
    record(
        "membership.removed",
        actor=admin,
        target_type="membership",
        organization_id=other.id,
        before={"status": "active"},
        after={"status": "removed"},
    )
    html = panda_client.get(f"/orgs/{org.id}/audit").get_data(as_text=True)
    assert "Member removed" not in html


def test_a_member_may_not_read_the_log_and_an_outsider_does_not_see_it(team, panda_client, login_as, make_account):
    org, _admin, member, *_ = team
    switch_to(panda_client, login_as, member)
    assert panda_client.get(f"/orgs/{org.id}/audit").status_code == 403
    switch_to(panda_client, login_as, make_account())
    assert panda_client.get(f"/orgs/{org.id}/audit").status_code == 404


def test_everyone_reads_what_they_did_and_what_was_done_to_them(team, panda_client, login_as, panda_db, make_account):
    org, admin, member, _, membership = team
    stranger = make_account(name="Stranger")
    record(
        "membership.role_changed",
        actor=admin,
        target_type="membership",
        organization_id=org.id,
        subject_account_id=member.id,
        before={"role": "member"},
        after={"role": "admin"},
    )
    record(
        "membership.left",
        actor=member,
        target_type="membership",
        organization_id=org.id,
        subject_account_id=member.id,
        before={"status": "active"},
        after={"status": "removed"},
    )
    record(
        "membership.removed",
        actor=admin,
        target_type="membership",
        organization_id=org.id,
        subject_account_id=stranger.id,
    )
    switch_to(panda_client, login_as, member)
    page = panda_client.get("/account/activity")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Role changed" in html
    assert "Left the organization" in html
    assert "Member removed" not in html
    assert "Bloemen Janssens BV" in html


def test_the_activity_page_needs_a_signed_in_person(panda_client):
    response = panda_client.get("/account/activity")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_log_is_paginated_newest_first_with_a_constant_number_of_queries(team, panda_client, panda_db):
    org, admin, member, *_ = team
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for minute in range(PER_PAGE + 10):
        event_ = record(
            "membership.role_changed",
            actor=admin,
            target_type="membership",
            organization_id=org.id,
            subject_account_id=member.id,
            before={"role": "member"},
            after={"role": "admin"},
        )
        event_.occurred_at = start + dt.timedelta(minutes=minute)
        event_.target_id = f"event-{minute}"
    panda_db.session.commit()
    url = f"/orgs/{org.id}/audit"
    panda_client.get(url)  # the session's first use after sign-in refreshes its expiry

    def queries(path: str) -> tuple[int, str]:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        panda_db.session.expunge_all()
        for cached in ("current_account", "org_context"):
            g.pop(cached, None)
        event.listen(panda_db.engine, "before_cursor_execute", listener)
        try:
            response = panda_client.get(path)
        finally:
            event.remove(panda_db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    first_count, first = queries(url)
    second_count, second = queries(url + "?page=2")
    assert first_count == second_count
    assert first.count("<tr>") - 1 == PER_PAGE
    assert second.count("<tr>") - 1 == 10
    assert "Older" in first and "Older" not in second and "Newer" in second
    assert first.index('datetime="2026-01-01T00:59:00+00:00"') < first.index('datetime="2026-01-01T00:58:00+00:00"')
    assert 'datetime="2026-01-01T00:09:00+00:00"' in second


def test_a_nonsense_page_number_shows_the_first_page(team, panda_client):
    org, *_ = team
    assert panda_client.get(f"/orgs/{org.id}/audit?page=abc").status_code == 200
    assert panda_client.get(f"/orgs/{org.id}/audit?page=-4").status_code == 200
