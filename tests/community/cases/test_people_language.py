"""Mails follow the language the person chose in Panda, from their next sign-in or switch on."""

from __future__ import annotations

from support_community.cases.models import Person
from tests.community.auth.fake_op import sign_in


def test_signing_in_records_the_person_and_their_language(community, community_client, community_db, fake_panda):
    ann = fake_panda.add_user(locale="nl")
    assert sign_in(community_client, fake_panda, ann).status_code == 302
    person = community_db.session.get(Person, ann.sub)
    assert person is not None and person.locale == "nl"


def test_a_language_changed_in_panda_reaches_the_person_at_the_next_sign_in_or_switch(
    community, community_client, community_db, fake_panda
):
    ann = fake_panda.add_user(locale="nl")
    sign_in(community_client, fake_panda, ann)
    ann.locale = "fr"  # changed in Panda
    assert community_client.get("/switch").status_code == 200
    assert community_db.session.get(Person, ann.sub).locale == "fr"
    ann.locale = "en"
    sign_in(community.test_client(), fake_panda, ann)  # another browser, a new sign-in
    assert community_db.session.get(Person, ann.sub).locale == "en"
