"""An organization may require two-step verification of everyone who acts for it.

Its administrators turn it on in the organization's settings (audit log). A member
without two-step verification keeps the membership; Panda marks the organization for
them with a way to set it up, and the client applications do not list it in ``orgs``:
userinfo and the access read name it in ``held_back``. Every move in or out of
``orgs`` reaches the clients at once as an access event.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from panda_portal.audit.models import AuditEvent
from panda_portal.mfa.services import two_step
from panda_portal.oidc.claims import held_back_claim, orgs_claim
from panda_portal.oidc.events import ACCESS_EVENT
from panda_portal.oidc.services import register_client
from panda_portal.organizations.models import Role
from panda_portal.organizations.services import two_step_requirement as service
from panda_portal.outbox.models import OutboxMessage
from tests.portal.factories import SUPPORT, switch_to
from tests.portal.mfa.helpers import code, turn_on
from tests.portal.oidc.helpers import basic_auth


def _events(panda_db) -> list[tuple[str, list[str]]]:
    panda_db.session.flush()
    rows = panda_db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == ACCESS_EVENT).order_by(OutboxMessage.id)
    )
    return [(row.payload["sub"], row.payload["withdrawn"]) for row in rows]


def _forget_events(panda_db) -> None:
    panda_db.session.flush()
    for row in panda_db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == ACCESS_EVENT)):
        panda_db.session.delete(row)
    panda_db.session.flush()


@pytest.fixture()
def community(panda_db, applications):
    client, secret = register_client(
        "support-community",
        ["https://community.test/auth/callback"],
        backchannel_logout_uri="https://community.test/auth/backchannel-logout",
        requires_grant=SUPPORT,
    )
    panda_db.session.flush()
    client.plain_secret = secret
    return client


@pytest.fixture()
def team(panda, panda_db, make_account, make_org, make_membership):
    """Bakkerij Peeters: Ann administers it (with two-step verification), Jan and Piet are members without it."""
    ann = make_account(name="Ann Admin", email="ann@example.test")
    jan = make_account(name="Jan Accountant", email="jan@example.test")
    piet = make_account(name="Piet Peeters", email="piet@example.test")
    bakery = make_org(name="Bakkerij Peeters BV")
    make_membership(ann, bakery, role=Role.ADMIN, grants=[SUPPORT])
    jan_membership = make_membership(jan, bakery, grants=[SUPPORT])
    make_membership(piet, bakery)  # no access to the community
    with panda.test_request_context("/"):
        secret, _codes = turn_on(ann)
    return type(
        "Team",
        (),
        {"ann": ann, "jan": jan, "piet": piet, "bakery": bakery, "secret": secret, "jan_membership": jan_membership},
    )


def _require(panda, team, required: bool = True) -> bool:
    with panda.test_request_context("/"):
        return service.set_requirement(team.bakery, required, actor=team.ann)


# -- what client applications see ---------------------------------------------------------------
def test_a_member_without_two_step_loses_the_organization_from_orgs_and_sees_it_held_back(
    panda, panda_db, community, team
):
    assert [o["name"] for o in orgs_claim(team.jan, community)] == ["Bakkerij Peeters BV"]
    _require(panda, team)

    assert orgs_claim(team.jan, community) == []
    assert held_back_claim(team.jan, community) == [
        {"id": str(team.bakery.id), "name": "Bakkerij Peeters BV", "reason": "two_step_required"}
    ]
    # Ann has it: nothing changes for her.
    assert [o["name"] for o in orgs_claim(team.ann, community)] == ["Bakkerij Peeters BV"]
    assert held_back_claim(team.ann, community) == []
    # Piet has no access to the community at all: nothing to explain there.
    assert held_back_claim(team.piet, community) == []


def test_setting_up_two_step_gives_the_organization_back_and_turning_it_off_withdraws_it(
    panda, panda_db, community, team
):
    _require(panda, team)
    _forget_events(panda_db)

    with panda.test_request_context("/"):
        turn_on(team.jan)
    assert [o["name"] for o in orgs_claim(team.jan, community)] == ["Bakkerij Peeters BV"]
    assert held_back_claim(team.jan, community) == []
    assert _events(panda_db) == [(str(team.jan.id), [])]
    _forget_events(panda_db)

    with panda.test_request_context("/"):
        two_step.turn_off(team.jan, actor=team.jan)
    assert orgs_claim(team.jan, community) == []
    assert _events(panda_db) == [(str(team.jan.id), [str(team.bakery.id)])]


def test_turning_the_requirement_on_tells_the_clients_at_once_for_every_member_without_it(
    panda, panda_db, community, team
):
    assert _require(panda, team) is True

    assert sorted(_events(panda_db)) == sorted(
        [(str(team.jan.id), [str(team.bakery.id)]), (str(team.piet.id), [str(team.bakery.id)])]
    )
    _forget_events(panda_db)
    assert _require(panda, team) is False  # already on: nothing happens
    assert _events(panda_db) == []

    assert _require(panda, team, False) is True
    assert sorted(_events(panda_db)) == sorted([(str(team.jan.id), []), (str(team.piet.id), [])])
    assert [o["name"] for o in orgs_claim(team.jan, community)] == ["Bakkerij Peeters BV"]


def test_the_change_is_in_the_audit_log(panda, panda_db, team):
    _require(panda, team)
    _require(panda, team, False)
    events = panda_db.session.scalars(select(AuditEvent).where(AuditEvent.organization_id == team.bakery.id)).all()
    actions = sorted(
        (event.action, event.actor_id, event.after["requires_two_step"])
        for event in events
        if event.target_type == "organization"
    )
    assert actions == [
        ("organization.two_step_no_longer_required", team.ann.id, False),
        ("organization.two_step_required", team.ann.id, True),
    ]


def test_an_administrator_without_two_step_cannot_require_it(panda, panda_db, team):
    with panda.test_request_context("/"):
        two_step.turn_off(team.ann, actor=team.ann)
        with pytest.raises(service.TwoStepNeededFirstError):
            service.set_requirement(team.bakery, True, actor=team.ann)
    assert team.bakery.requires_two_step is False


def test_the_access_read_and_userinfo_say_which_organizations_are_held_back(
    panda, panda_db, panda_client, community, team
):
    _require(panda, team)
    panda_db.session.commit()

    read = panda_client.post(
        "/access", data={"sub": str(team.jan.id)}, headers=basic_auth("support-community", community.plain_secret)
    )
    assert read.status_code == 200
    body = read.get_json()
    assert body["orgs"] == []
    assert body["held_back"] == [
        {"id": str(team.bakery.id), "name": "Bakkerij Peeters BV", "reason": "two_step_required"}
    ]

    from panda_portal.oidc.claims import user_claims

    claims = user_claims(team.jan, community, "openid orgs", with_orgs=True)
    assert claims["orgs"] == [] and claims["held_back"][0]["id"] == str(team.bakery.id)
    # The tokens never carry the list, nor what is held back.
    assert "held_back" not in user_claims(team.jan, community, "openid orgs")


def test_the_version_of_the_list_moves_when_the_requirement_withdraws_it(panda, panda_db, community, team):
    from panda_portal.oidc.access import orgs_snapshot, orgs_version

    before = orgs_snapshot(team.jan, community).version
    assert orgs_version(team.jan, community) == before  # the token's cheap path: nothing changed
    _require(panda, team)
    assert orgs_version(team.jan, community) == before + 1  # the token sees it at once, no recheck wait


# -- Panda's pages ------------------------------------------------------------------------------
def _step_up_done(client) -> None:
    with client.session_transaction() as session:
        session["second_factor_at"] = int(time.time())
        session["amr"] = ["pwd", "otp", "mfa"]


def test_the_administrator_turns_it_on_in_the_settings_after_a_recent_second_factor(
    panda, panda_db, panda_client, login_as, team
):
    switch_to(panda_client, login_as, team.ann)
    url = f"/orgs/{team.bakery.id}/settings"
    page = panda_client.get(url)
    assert page.status_code == 200
    assert "Require two-step verification" in page.get_data(as_text=True)

    asked = panda_client.post_form(url, {"requires_two_step": "y"}, page=url)
    assert asked.status_code == 302 and asked.location.startswith("/account/two-step/confirm")
    panda_client.post_form("/account/two-step/confirm", {"code": code(team.secret), "next": url}, page=url)

    done = panda_client.post_form(url, {"requires_two_step": "y"}, page=url)
    assert done.status_code == 302 and done.location == url
    panda_db.session.refresh(team.bakery)
    assert team.bakery.requires_two_step is True
    assert "2 members have not set it up yet" in panda_client.get(url).get_data(as_text=True)


def test_an_administrator_without_two_step_is_sent_to_set_it_up_first(panda, panda_db, panda_client, login_as, team):
    with panda.test_request_context("/"):
        two_step.turn_off(team.ann, actor=team.ann)
    switch_to(panda_client, login_as, team.ann)
    url = f"/orgs/{team.bakery.id}/settings"

    answer = panda_client.post_form(url, {"requires_two_step": "y"}, page=url)

    assert answer.status_code == 302
    assert answer.location == f"/account/two-step/set-up?next=/orgs/{team.bakery.id}/settings"
    panda_db.session.refresh(team.bakery)
    assert team.bakery.requires_two_step is False
    set_up = panda_client.get(answer.location).get_data(as_text=True)
    assert f'name="next" value="/orgs/{team.bakery.id}/settings"' in set_up


def test_members_cannot_change_the_settings(panda, panda_client, login_as, team):
    switch_to(panda_client, login_as, team.jan)
    url = f"/orgs/{team.bakery.id}/settings"
    assert panda_client.get(url).status_code == 403
    assert panda_client.post_form(url, {"requires_two_step": "y"}, page="/").status_code == 403


def test_the_members_list_shows_who_has_two_step_and_filters_on_it(panda, panda_db, panda_client, login_as, team):
    _require(panda, team)
    panda_db.session.commit()
    switch_to(panda_client, login_as, team.ann)
    url = f"/orgs/{team.bakery.id}/members"

    page = panda_client.get(url).get_data(as_text=True)
    assert "Two-step verification" in page
    assert page.count("Not set up: no access to the applications") == 2

    without = panda_client.get(url, query_string={"two_step": "off"}).get_data(as_text=True)
    members = without.split('id="members-heading"', 1)[1].split("</section>", 1)[0]
    assert "Jan Accountant" in members and "Piet Peeters" in members and "Ann Admin" not in members
    with_it = panda_client.get(url, query_string={"two_step": "on"}).get_data(as_text=True)
    members = with_it.split('id="members-heading"', 1)[1].split("</section>", 1)[0]
    assert "Ann Admin" in members and "Jan Accountant" not in members
    assert panda_client.get(url, query_string={"two_step": "<script>"}).status_code == 200


def test_a_member_without_two_step_sees_the_organization_marked_with_a_way_to_set_it_up(
    panda, panda_db, panda_client, login_as, team
):
    _require(panda, team)
    panda_db.session.commit()
    switch_to(panda_client, login_as, team.jan)
    mark = "Set up two-step verification to work for this organization"
    set_up = f"/account/two-step/set-up?next=/orgs/{team.bakery.id}/"

    for path in ("/", "/orgs", "/orgs/switch", f"/orgs/{team.bakery.id}/"):
        page = panda_client.get(path).get_data(as_text=True)
        assert mark in page, path
        assert set_up in page, path
    menu = (
        panda_client.get("/account").get_data(as_text=True).split('class="user-menu"', 1)[1].split("</details>", 1)[0]
    )
    assert mark in menu

    switch_to(panda_client, login_as, team.ann)
    assert mark not in panda_client.get(f"/orgs/{team.bakery.id}/").get_data(as_text=True)


# -- step-up for handing administration over and granting access -------------------------------
def test_making_someone_administrator_or_granting_access_asks_for_a_recent_second_factor(
    panda, panda_db, panda_client, login_as, team
):
    switch_to(panda_client, login_as, team.ann)
    detail = f"/orgs/{team.bakery.id}/members/{team.jan_membership.id}"

    promote = panda_client.post_form(detail, {"role": "admin", "applications": [SUPPORT]}, page=detail)
    assert promote.status_code == 302 and promote.location == f"/account/two-step/confirm?next={detail}"
    panda_db.session.refresh(team.jan_membership)
    assert team.jan_membership.role == Role.MEMBER

    _step_up_done(panda_client)
    preview = panda_client.post_form(detail, {"role": "admin", "applications": [SUPPORT]}, page=detail)
    assert preview.status_code == 200
    confirmed = panda_client.post_form(
        detail, {"role": "admin", "applications": [SUPPORT], "confirmed": "yes"}, page=detail
    )
    assert confirmed.status_code == 302 and confirmed.location == detail
    panda_db.session.refresh(team.jan_membership)
    assert team.jan_membership.role == Role.ADMIN


def test_unticking_an_access_needs_no_step_up(panda, panda_db, panda_client, login_as, team):
    switch_to(panda_client, login_as, team.ann)
    detail = f"/orgs/{team.bakery.id}/members/{team.jan_membership.id}"
    done = panda_client.post_form(detail, {"role": "member", "confirmed": "yes"}, page=detail)
    assert done.status_code == 302 and done.location == detail


def test_stepping_down_asks_for_a_recent_second_factor(panda, panda_db, panda_client, login_as, team):
    switch_to(panda_client, login_as, team.ann)
    url = f"/orgs/{team.bakery.id}/step-down"
    assert panda_client.get(url).location == f"/account/two-step/confirm?next={url}"
    _step_up_done(panda_client)
    assert panda_client.get(url).status_code == 200


def test_inviting_an_administrator_or_with_an_access_asks_for_a_recent_second_factor(
    panda, panda_db, panda_client, login_as, team
):
    switch_to(panda_client, login_as, team.ann)
    new = f"/orgs/{team.bakery.id}/invitations/new"

    opened = panda_client.get(new, query_string={"role": "admin"})
    assert opened.status_code == 302 and opened.location.startswith("/account/two-step/confirm?next=")
    assert panda_client.get(new).status_code == 200  # a member without access: nothing to confirm

    data = {"email": "new@example.test", "role": "member", "applications": [SUPPORT], "language": "en"}
    asked = panda_client.post_form(new, data, page=new)
    assert asked.status_code == 302 and asked.location.startswith("/account/two-step/confirm?next=")
    assert "new%40example.test" in asked.location or "new@example.test" in asked.location

    _step_up_done(panda_client)
    sent = panda_client.post_form(new, data, page=new)
    assert sent.status_code == 302 and sent.location == f"/orgs/{team.bakery.id}/members"
