"""Access removed in Panda: from the next request on, the organization's cases are gone for that person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from support_community.cases.models import Attachment
from support_community.extensions import db
from tests.community.auth.fake_op import expire_access_token, path_of, sign_in, visit_panda
from tests.community.factories import JANSSENS, PEETERS, acting_as, open_case
from tests.community.files import PDF, upload


@pytest.fixture()
def jan(fake_panda, community_client, demo_catalog, store):
    user = fake_panda.add_user(name="Jan Janssens", email="jan@example.test", orgs=[dict(PEETERS), dict(JANSSENS)])
    sign_in(community_client, fake_panda, user)
    user.sid = fake_panda.panda_sid
    return user


@pytest.fixture()
def peeters_case(jan):
    case = open_case(PEETERS, acting_as(jan), subject="Peeters VAT question", uploads=[upload("aangifte.pdf", PDF)])
    attachment = db.session.scalar(select(Attachment).where(Attachment.case_id == case.id))
    return case, attachment


def urls(case, attachment) -> dict[str, str]:
    base = f"/orgs/{PEETERS['id']}/cases"
    return {
        "list": base,
        "case": f"{base}/{case.id}",
        "download": f"{base}/{case.id}/attachments/{attachment.id}",
        "new": f"{base}/new",
    }


def remove_peeters(user) -> None:
    user.orgs[:] = [claim for claim in user.orgs if claim["id"] != PEETERS["id"]]


def test_before_the_change_everything_is_there(community_client, peeters_case):
    case, attachment = peeters_case
    for url in urls(case, attachment).values():
        assert community_client.get(url).status_code == 200, url
    assert "Peeters VAT question" in community_client.get("/cases").get_data(as_text=True)


def test_after_a_refresh_without_the_organization_its_pages_and_files_are_gone(
    community_client, fake_panda, jan, peeters_case
):
    case, attachment = peeters_case
    remove_peeters(jan)
    expire_access_token(community_client)

    for name, url in urls(case, attachment).items():
        assert community_client.get(url).status_code == 404, name
    page = community_client.get("/cases").get_data(as_text=True)
    assert "Peeters VAT question" not in page
    assert "Bakkerij Peeters BV" not in page
    assert fake_panda.token_requests[-1]["grant_type"] == "refresh_token"


def test_after_a_refresh_the_organization_is_gone_even_when_asked_for_by_id(community_client, jan, peeters_case):
    case, _ = peeters_case
    remove_peeters(jan)
    expire_access_token(community_client)
    page = community_client.get("/cases", query_string={"org": PEETERS["id"]}).get_data(as_text=True)
    assert "Peeters VAT question" not in page


def test_after_a_back_channel_logout_the_next_sign_in_brings_the_shorter_list(
    community, community_client, fake_panda, jan, peeters_case
):
    case, attachment = peeters_case
    remove_peeters(jan)
    logout = community.test_client().post(
        "/auth/backchannel-logout", data={"logout_token": fake_panda.logout_token(sub=jan.sub, sid=jan.sid)}
    )
    assert logout.status_code == 200

    # The next page asks Panda silently (prompt=none) and comes back with today's organizations.
    location = community_client.get(urls(case, attachment)["case"]).headers["Location"]
    back = community_client.get(path_of(visit_panda(location).headers["Location"]))
    assert back.status_code == 302

    for name, url in urls(case, attachment).items():
        assert community_client.get(url).status_code == 404, name
    assert "Peeters VAT question" not in community_client.get("/cases").get_data(as_text=True)
    janssens_list = community_client.get(f"/orgs/{JANSSENS['id']}/cases")
    assert janssens_list.status_code == 200
