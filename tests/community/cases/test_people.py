"""The people the community knows: made from the token on their first action, kept up to date."""

from __future__ import annotations

import datetime as dt

from shared.database import utcnow
from support_community.cases.models import Person
from support_community.cases.services.people import person_for
from support_community.extensions import db
from tests.community.factories import PEETERS, user_with


def test_the_first_action_makes_a_person_from_the_token(community):
    person = person_for(user_with(PEETERS, sub="s-1", name="Jan Janssens", email="jan@example.test", locale="nl"))
    assert (person.sub, person.name, person.email, person.locale, person.is_agent) == (
        "s-1",
        "Jan Janssens",
        "jan@example.test",
        "nl",
        False,
    )
    assert person.notify_followed is True
    assert db.session.get(Person, "s-1") is person


def test_a_later_action_refreshes_name_address_language_and_agent_role(community):
    person_for(user_with(sub="s-1", name="Jan", email="jan@old.test", locale="en"))
    person = person_for(
        user_with(sub="s-1", name="Jan Janssens", email="jan@new.test", locale="fr-BE", roles=("support_agent",))
    )
    assert (person.name, person.email, person.locale, person.is_agent) == ("Jan Janssens", "jan@new.test", "fr", True)
    assert db.session.query(Person).filter_by(sub="s-1").count() == 1


def test_a_language_the_community_does_not_speak_becomes_english(community):
    assert person_for(user_with(sub="s-2", locale="de")).locale == "en"
    assert person_for(user_with(sub="s-3", locale=None)).locale == "en"


def test_a_person_who_turned_off_mails_for_followed_cases_keeps_that_choice(community):
    person = person_for(user_with(sub="s-4"))
    person.notify_followed = False
    assert person_for(user_with(sub="s-4", name="Other name")).notify_followed is False


def test_last_seen_is_written_at_most_once_an_hour(community):
    person = person_for(user_with(sub="s-5"))
    earlier = utcnow() - dt.timedelta(minutes=10)
    person.last_seen_at = earlier
    assert person_for(user_with(sub="s-5")).last_seen_at == earlier
    person.last_seen_at = utcnow() - dt.timedelta(hours=2)
    assert person_for(user_with(sub="s-5")).last_seen_at > earlier


def test_overlong_names_are_cut_to_fit(community):
    person = person_for(user_with(sub="s-6", name="N" * 500))
    assert len(person.name) == 200
