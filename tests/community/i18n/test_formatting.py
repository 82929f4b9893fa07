"""Dates, times, numbers, file sizes and the catalog's names, as the page's language writes them.

Times are shown in the configured time zone (``TIMEZONE``, Brussels by default):
a case opened at 22:30 UTC on 14 July was opened on the 15th for a Belgian reader.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.numbers import format_decimal
from flask import render_template_string
from flask_babel import force_locale

from shared.i18n import locale_for
from support_community.cases.services import conversation
from support_community.cases.services.attachments import Upload
from support_community.extensions import db
from tests.community.auth.fake_op import org
from tests.community.i18n.helpers import LANGUAGES, OPENED_AT
from tests.i18n_checks import page_text

BRUSSELS = ZoneInfo("Europe/Brussels")
PRODUCT = {"en": "Panda Accounting", "nl": "Panda Boekhouding", "fr": "Panda Comptabilité"}
CATEGORY = {"en": "VAT returns", "nl": "Btw-aangiften", "fr": "Déclarations TVA"}


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return page_text(response.get_data(as_text=True))


def written(moment, format: str, language: str, zone=BRUSSELS) -> str:
    return " ".join(format_datetime(moment, format, tzinfo=zone, locale=locale_for(language)).split())


# -- dates and times -------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_customer_reads_when_a_case_was_opened_in_brussels_time_and_their_language(language, make_world, browser):
    world = make_world(language)
    page = text_of(browser(signed_in=world.customer).get(world.case_url()))
    assert written(OPENED_AT, "medium", language) in page
    assert "15" in written(OPENED_AT, "medium", language)


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_agent_reads_the_same_moment_in_the_short_form(language, make_world, browser):
    world = make_world(language)
    page = text_of(browser(signed_in=world.agent).get(world.agent_case_url()))
    assert written(OPENED_AT, "short", language) in page


def test_the_time_zone_is_the_configured_one(make_world, browser, community, monkeypatch):
    world = make_world("nl")
    monkeypatch.setitem(community.config, "BABEL_DEFAULT_TIMEZONE", "UTC")
    page = text_of(browser(signed_in=world.customer).get(world.case_url()))
    assert "14 jul 2026, 22:30:00" in page
    assert "15 jul 2026, 00:30:00" not in page


def test_the_moment_stays_machine_readable_whatever_the_language(make_world, browser):
    world = make_world("fr")
    html = browser(signed_in=world.customer).get(world.case_url()).get_data(as_text=True)
    assert f'<time datetime="{OPENED_AT.isoformat()}">' in html


# -- file sizes and numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "language", "expected"),
    [
        (1, "en", "1 byte"),
        (1, "nl", "1 byte"),
        (1, "fr", "1 octet"),
        (999, "en", "999 bytes"),
        (999, "nl", "999 bytes"),
        (999, "fr", "999 octets"),
        (12_345, "en", "12 KB"),
        (12_345, "nl", "12 KB"),
        (12_345, "fr", "12 Ko"),
        (2_621_440, "en", "2.5 MB"),
        (2_621_440, "nl", "2,5 MB"),
        (2_621_440, "fr", "2,5 Mo"),
        (1_288_490_189, "en", "1,228.8 MB"),
        (1_288_490_189, "nl", "1.228,8 MB"),
        (1_288_490_189, "fr", "1\u202f228,8 Mo"),
    ],
)
def test_a_file_size_is_written_the_way_the_language_writes_numbers(community, size, language, expected):
    with community.test_request_context("/"), force_locale(language):
        assert render_template_string("{{ size|filesize }}", size=size) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_attachments_size_on_the_page_is_in_the_pages_language(language, make_world, browser):
    world = make_world(language)
    text = b"Datum;Bedrag\n" + b"2026-01-31;1.234,56\n" * 131_072  # 2.5 MB of bookkeeping export
    conversation.add_attachments(
        world.case, actor=world.customer_person, uploads=[Upload("grootboek.csv", io.BytesIO(text))]
    )
    db.session.commit()
    expected = {"nl": "grootboek.csv (2,5 MB)", "fr": "grootboek.csv (2,5 Mo)"}[language]
    assert expected in text_of(browser(signed_in=world.customer).get(world.case_url()))
    assert expected in text_of(browser(signed_in=world.agent).get(world.agent_case_url()))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_accountant_with_thousands_of_clients_reads_the_count_in_their_language(language, fake_panda, browser):
    clients = [org(f"Klant {number:04d} BV", customer_number=f"{200000 + number}") for number in range(1234)]
    accountant = fake_panda.add_user(name="Griet Vermeulen", locale=language, orgs=clients)
    page = text_of(browser(signed_in=accountant).get("/"))
    count = " ".join(format_decimal(1234, locale=language).split())  # a page reads its narrow space as a space
    assert {"nl": f"Toon alle {count} organisaties", "fr": f"Afficher les {count} organisations"}[language] in page


# -- names of the catalog ---------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_products_and_categories_are_named_in_the_pages_language(language, make_world, browser):
    world = make_world(language)
    customer, agent = browser(signed_in=world.customer), browser(signed_in=world.agent)
    pages = {
        "new case": customer.get(f"/orgs/{world.case.organization_id}/cases/new"),
        "case list": customer.get(f"/orgs/{world.case.organization_id}/cases"),
        "case": customer.get(world.case_url()),
        "queue": agent.get("/agent"),
        "agent case": agent.get(world.agent_case_url()),
    }
    for name, response in pages.items():
        text = text_of(response)
        assert PRODUCT[language] in text, name
        assert PRODUCT["en"] not in text and CATEGORY["en"] not in text, name
    for name in ("new case", "case", "agent case"):
        assert CATEGORY[language] in text_of(pages[name]), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_choice_names_the_product_in_the_pages_language(language, make_world, browser):
    world = make_world(language)
    url = f"/orgs/{world.case.organization_id}/cases/new"
    response = browser(signed_in=world.customer).post_form(
        url, {"product": "accounting", "severity": "high", "subject": "Vak 54", "description": "Klopt niet."}, page=url
    )
    assert response.status_code == 400
    expected = {
        "nl": "Kies een categorie van Panda Boekhouding.",
        "fr": "Choisissez une catégorie de Panda Comptabilité.",
    }[language]
    assert expected in page_text(response.get_data(as_text=True))
