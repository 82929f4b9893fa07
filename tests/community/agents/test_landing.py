"""Where a sign-in ends: agents on their queue, everyone on the page they asked for."""

from __future__ import annotations

from tests.community.auth.fake_op import org, sign_in


def test_an_agent_who_signs_in_lands_on_the_queue_not_on_the_customer_start_page(community_client, fake_panda):
    sam = fake_panda.add_user(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])

    response = sign_in(community_client, fake_panda, sam)

    assert response.status_code == 302
    assert response.headers["Location"] == "/agent"
    assert community_client.get("/agent").status_code == 200


def test_an_agent_who_followed_a_link_lands_on_that_page(community_client, fake_panda):
    sam = fake_panda.add_user(name="Sam Support", email="sam@vendor.test", roles=["support_agent"])

    response = sign_in(community_client, fake_panda, sam, next_url="/agent/kb")

    assert response.headers["Location"] == "/agent/kb"


def test_a_customer_who_signs_in_lands_on_the_start_page(community_client, fake_panda):
    ann = fake_panda.add_user(orgs=[org("Bakkerij Peeters BV")])

    response = sign_in(community_client, fake_panda, ann)

    assert response.headers["Location"] == "/"
