"""A person's data at the community: erased when Panda says their account was deleted, handed to Panda for their
download. Both arrive signed by Panda for this client at the back-channel endpoint; nothing else is obeyed."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from support_community.auth.models import OrganizationChoice, PersonAccess, WebSession
from support_community.cases.models import Case, CaseFollower, Person
from tests.community.auth.fake_op import CLIENT_ID, FORGED_KEY, login_as
from tests.community.factories import PEETERS, acting_as, follow, make_case, make_person

URL = "/auth/backchannel-logout"
ACCOUNT_DELETED = "urn:panda:event:account-deleted"


def panda_token(fake_panda, sub: str, *, typ: str, events: dict | None, key=None, **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": fake_panda.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_hex(12),
        "sub": sub,
    }
    if events is not None:
        claims["events"] = events
    claims.update(changes)
    return fake_panda.sign(claims, header={"typ": typ}, key=key)


def account_deleted(fake_panda, sub: str, **kwargs: Any) -> str:
    return panda_token(fake_panda, sub, typ="account-event+jwt", events={ACCOUNT_DELETED: {}}, **kwargs)


def data_request(fake_panda, sub: str, **kwargs: Any) -> str:
    return panda_token(fake_panda, sub, typ="personal-data-request+jwt", events=None, **kwargs)


def push(client, token: str, content_type: str = "application/secevent+jwt"):
    return client.post(URL, data=token.encode(), headers={"Content-Type": content_type})


@pytest.fixture()
def scene(community, community_db, fake_panda, community_client, demo_catalog):
    """Ann, signed in here, opened a case for Bakkerij Peeters; her colleague Jan reads it."""
    ann_user = fake_panda.add_user(name="Ann Accountant", email="ann@example.test", orgs=[dict(PEETERS)])
    jan_user = fake_panda.add_user(name="Jan Janssens", email="jan@example.test", locale="nl", orgs=[dict(PEETERS)])
    ann = acting_as(ann_user)
    jan = acting_as(jan_user)
    case = make_case(ann, organization_id=PEETERS["id"], subject="De btw-aangifte klopt niet")
    follow(case, ann)
    community_db.session.add(OrganizationChoice(sub=ann.sub, organization_id=case.organization_id, favourite=True))
    community_db.session.commit()
    ann_browser = community.test_client()
    login_as(ann_browser, fake_panda, ann_user)
    login_as(community_client, fake_panda, jan_user)
    community_db.session.commit()
    return {"ann": ann, "jan": jan, "case": case, "ann_browser": ann_browser, "jan_browser": community_client}


def case_page(scene) -> str:
    case = scene["case"]
    return scene["jan_browser"].get(f"/orgs/{case.organization_id}/cases/{case.id}").get_data(as_text=True)


def test_an_erased_person_is_a_former_member_everywhere_and_the_organization_keeps_its_case(
    community, community_db, fake_panda, scene
):
    ann, case = scene["ann"], scene["case"]
    before = case_page(scene)
    assert "Ann Accountant" in before
    assert scene["ann_browser"].get("/cases").status_code == 200

    answer = push(community.test_client(), account_deleted(fake_panda, ann.sub))

    assert answer.status_code == 202
    community_db.session.expire_all()
    page = case_page(scene)
    assert "Ann Accountant" not in page and "ann@example.test" not in page
    assert "Voormalig lid" in page  # Jan reads Dutch
    assert "De btw-aangifte klopt niet" in page and "Box 54" in page  # the case and its text stay
    person = community_db.session.get(Person, ann.sub)
    assert person.email == "" and person.erased_at is not None
    assert community_db.session.get(Case, case.id).opened_by_sub == ann.sub
    assert community_db.session.get(PersonAccess, ann.sub) is None
    assert community_db.session.scalar(select(func.count()).select_from(CaseFollower)) == 0
    assert community_db.session.scalar(select(func.count()).select_from(OrganizationChoice)) == 0
    assert (
        community_db.session.scalar(select(func.count()).select_from(WebSession).where(WebSession.subject == ann.sub))
        == 0
    )
    assert scene["ann_browser"].get("/cases").status_code in (302, 401)  # her session here ended


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda op, sub: account_deleted(op, sub, key=FORGED_KEY), id="forged signature"),
        pytest.param(lambda op, sub: account_deleted(op, sub, aud="another-client"), id="another client"),
        pytest.param(lambda op, sub: account_deleted(op, sub, iss="https://evil.example"), id="another issuer"),
        pytest.param(lambda op, sub: account_deleted(op, sub, iat=int(time.time()) - 3600), id="too old"),
        pytest.param(
            lambda op, sub: panda_token(op, sub, typ="access-event+jwt", events={ACCOUNT_DELETED: {}}),
            id="access event typ",
        ),
        pytest.param(
            lambda op, sub: panda_token(op, sub, typ="account-event+jwt", events={"urn:panda:event:other": {}}),
            id="another event",
        ),
        pytest.param(lambda op, sub: data_request(op, sub), id="a data request posted as an event"),
    ],
)
def test_a_forged_or_misdirected_erasure_is_refused_and_erases_nothing(
    community, community_db, fake_panda, scene, forge
):
    ann = scene["ann"]
    token = forge(fake_panda, ann.sub)
    content_type = "application/secevent+jwt"
    answer = push(community.test_client(), token, content_type)
    assert answer.status_code == 400
    community_db.session.expire_all()
    assert community_db.session.get(Person, ann.sub).erased_at is None
    assert "Ann Accountant" in case_page(scene)


def test_a_replayed_erasure_is_refused(community, community_db, fake_panda, scene):
    token = account_deleted(fake_panda, scene["ann"].sub)
    assert push(community.test_client(), token).status_code == 202
    assert push(community.test_client(), token).status_code == 400


def test_an_erasure_about_someone_never_seen_here_is_accepted_and_changes_nothing(community, community_db, fake_panda):
    assert push(community.test_client(), account_deleted(fake_panda, "never-seen")).status_code == 202
    assert community_db.session.get(Person, "never-seen") is None


def test_panda_s_data_request_gets_what_the_community_holds_about_the_person(
    community, community_db, fake_panda, scene
):
    ann, case = scene["ann"], scene["case"]

    answer = push(community.test_client(), data_request(fake_panda, ann.sub), "application/jwt")

    assert answer.status_code == 200
    data = answer.get_json()
    assert data["person"]["name"] == "Ann Accountant" and data["person"]["email"] == "ann@example.test"
    assert [item["number"] for item in data["cases_opened"]] == [case.number]
    assert data["messages"][0]["body"] == "Box 54 and box 59 differ by one cent."
    assert data["follows"] == [{"case": case.number, "since": data["follows"][0]["since"]}]
    assert data["favourites_and_recent"][0]["favourite"] is True
    assert data["organizations"][0]["id"] == PEETERS["id"]
    assert "Jan Janssens" not in answer.get_data(as_text=True)  # nobody else's data
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda op, sub: data_request(op, sub, key=FORGED_KEY), id="forged signature"),
        pytest.param(lambda op, sub: data_request(op, sub, aud="another-client"), id="another client"),
        pytest.param(lambda op, sub: data_request(op, sub, exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda op, sub: account_deleted(op, sub), id="an erasure posted as a request"),
    ],
)
def test_a_forged_data_request_gets_nothing(community, community_db, fake_panda, scene, forge):
    answer = push(community.test_client(), forge(fake_panda, scene["ann"].sub), "application/jwt")
    assert answer.status_code == 400
    assert "Ann Accountant" not in answer.get_data(as_text=True)
    community_db.session.expire_all()
    assert community_db.session.get(Person, scene["ann"].sub).erased_at is None


def test_a_data_request_works_once(community, fake_panda, scene):
    token = data_request(fake_panda, scene["ann"].sub)
    assert push(community.test_client(), token, "application/jwt").status_code == 200
    assert push(community.test_client(), token, "application/jwt").status_code == 400


def test_a_data_request_for_someone_unknown_answers_an_empty_record(community, fake_panda):
    answer = push(community.test_client(), data_request(fake_panda, "never-seen"), "application/jwt")
    assert answer.status_code == 200
    assert answer.get_json()["person"] is None and answer.get_json()["cases_opened"] == []


def test_an_erased_person_is_never_named_in_mails_either(community, community_db, fake_panda, scene):
    from support_community.cases.models import Person

    push(community.test_client(), account_deleted(fake_panda, scene["ann"].sub))
    community_db.session.expire_all()
    person = community_db.session.get(Person, scene["ann"].sub)
    from flask_babel import force_locale

    with community.test_request_context("/"), force_locale("fr"):
        assert person.name == "Ancien membre"
    assert make_person(name="Someone Else").name == "Someone Else"


def test_an_erased_agent_s_cases_go_back_to_the_queue(community, community_db, fake_panda, scene):
    from support_community.cases.models import CaseEvent
    from tests.community.factories import make_agent

    sam = make_agent(name="Sam Support")
    case = community_db.session.get(Case, scene["case"].id)
    case.assignee_sub = sam.sub
    community_db.session.add(CaseEvent(case_id=case.id, actor_sub=sam.sub, field="assignee", new_value="Sam Support"))
    community_db.session.commit()

    assert push(community.test_client(), account_deleted(fake_panda, sam.sub)).status_code == 202

    community_db.session.expire_all()
    assert community_db.session.get(Case, case.id).assignee_sub is None
    history = community_db.session.scalars(select(CaseEvent.new_value).where(CaseEvent.case_id == case.id)).all()
    assert "Sam Support" not in history and "Former member" in history


def test_a_new_address_in_panda_reaches_the_case_mails_at_the_next_token_renewal(
    community, community_db, fake_panda, community_client, demo_catalog, monkeypatch
):
    from tests.community.auth.fake_op import expire_access_token, sign_in

    eva = fake_panda.add_user(name="Eva Claes", email="eva@old.example", orgs=[dict(PEETERS)])
    sign_in(community_client, fake_panda, eva)
    community_db.session.expire_all()
    assert community_db.session.get(Person, eva.sub).email == "eva@old.example"

    # Panda's access tokens carry the profile claims of their scopes, as Panda's do.
    plain = fake_panda.access_token
    monkeypatch.setattr(
        fake_panda, "access_token", lambda user: _with_profile(fake_panda, plain(user), user), raising=False
    )
    eva.email = "eva@new.example"  # confirmed in Panda
    expire_access_token(community_client)

    assert community_client.get("/cases").status_code == 200
    community_db.session.expire_all()
    assert community_db.session.get(Person, eva.sub).email == "eva@new.example"


def _with_profile(fake_panda, token: str, user) -> str:
    from joserfc import jwt

    claims = dict(jwt.decode(token, fake_panda.signing_key).claims)
    claims.update(name=user.name, email=user.email, locale=user.locale)
    return fake_panda.sign(claims, header={"typ": "at+jwt"})
