"""A deleted person's name is "Former member" in the reader's language wherever the community shows it.

Pages that read the name from the person object were right already; lists, the "opened by"
choices and the CSV exports read it straight from the table (``Person.name`` in SQL), and
must not fall back to the English words stored in place of the erased name.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from support_community.cases.models import Person
from tests.community.auth.fake_op import login_as
from tests.community.auth.test_personal_data import account_deleted, push
from tests.community.factories import PEETERS, acting_as, follow, make_case

READERS = [("nl", "Voormalig lid"), ("fr", "Ancien membre"), ("en", "Former member")]
LIST = f"/orgs/{PEETERS['id']}/cases"


@pytest.fixture()
def erased_opener(community, community_db, fake_panda, demo_catalog):
    """Ann opened two cases for Bakkerij Peeters, then deleted her Panda account."""
    ann_user = fake_panda.add_user(name="Ann Accountant", email="ann@example.test", orgs=[dict(PEETERS)])
    ann = acting_as(ann_user)
    for subject in ("De btw-aangifte klopt niet", "Vraag over de jaarrekening"):
        follow(make_case(ann, organization_id=PEETERS["id"], subject=subject), ann)
    community_db.session.commit()
    assert push(community.test_client(), account_deleted(fake_panda, ann.sub)).status_code == 202
    community_db.session.expire_all()
    return ann


def reader(community, fake_panda, language: str):
    user = fake_panda.add_user(
        name=f"Reader {language}", email=f"reader-{language}@example.test", locale=language, orgs=[dict(PEETERS)]
    )
    acting_as(user)
    browser = community.test_client()
    login_as(browser, fake_panda, user)
    return browser


@pytest.mark.parametrize(("language", "former_member"), READERS)
def test_the_csv_export_names_a_deleted_opener_in_the_reader_s_language(
    community, community_db, fake_panda, erased_opener, language, former_member
):
    browser = reader(community, fake_panda, language)

    response = browser.get(f"{LIST}/export.csv", query_string={"status": "any"})

    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3  # the header and both cases
    assert all(former_member in row for row in rows[1:]), rows
    assert "Ann Accountant" not in text
    if language != "en":
        assert "Former member" not in text


@pytest.mark.parametrize(("language", "former_member"), READERS)
def test_the_case_list_s_opened_by_choices_name_a_deleted_opener_in_the_reader_s_language(
    community, community_db, fake_panda, erased_opener, language, former_member
):
    browser = reader(community, fake_panda, language)

    page = browser.get(LIST, query_string={"status": "any"}).get_data(as_text=True)

    assert f">{former_member}</option>" in page
    assert "Ann Accountant" not in page
    if language != "en":
        assert "Former member" not in page


def test_the_name_in_sql_follows_the_language_of_each_statement(community, community_db, erased_opener):
    from flask_babel import force_locale

    with community.test_request_context("/"):
        names = {}
        for language, _words in READERS:
            with force_locale(language):
                names[language] = community_db.session.execute(
                    select(Person.name).where(Person.sub == erased_opener.sub)
                ).scalar_one()
    assert names == dict(READERS)
    # Someone not erased keeps their own name, and sorting by name still works.
    with community.test_request_context("/"):
        ordered = community_db.session.scalars(select(Person.name).order_by(Person.name)).all()
    assert ordered == sorted(ordered)
