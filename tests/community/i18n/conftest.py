"""Fixtures of the community's translation tests: compiled catalogs, the English to look for, a busy case.

    english_left(text)            # English sentences of the catalog (and of WTForms/Werkzeug) found in ``text``
    page_text(html)               # what a reader sees (and hears) on a page
    world = make_world("nl")      # Griet's clients, a case with a whole conversation, an agent, all in "nl"
    browser(signed_in=user, accept_language="fr", chosen_language="nl")

Every name and text in the data is Dutch or French, so English on a page can
only come from the code. The factories of the cases tests are imported from
there (pytest does not share fixtures between sibling folders).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from flask_babel import get_babel

from shared.database import utcnow
from shared.i18n import LANGUAGE_COOKIE
from support_community.agents import services as agent_services
from support_community.cases.models import Attachment, Case, Person, Severity, Status
from support_community.cases.services import assignment, conversation, statuses
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.i18n_checks import catalog_english, html_lang, page_text  # noqa: F401
from tests.community.agents.factories import make_case
from tests.community.auth.fake_op import FakePanda, PandaUser, login_as, org
from tests.community.cases.conftest import (PDF, PNG, TEXT, acting_as, demo_catalog, open_case,  # noqa: F401
                                            store, upload, user_with)

LANGUAGES = ("nl", "fr")
OTHER = {"nl": "fr", "fr": "nl", "en": "nl"}

PEETERS = org("Bakkerij Peeters BV", enterprise_number="0403.170.701", customer_number="100234",
              id="7b2f1c3d-2222-4d4d-9e9e-000000000001")
DUPONT = org("Boulangerie Dupont SRL", enterprise_number="0202.239.951", customer_number="100235", role="admin",
             id="7b2f1c3d-2222-4d4d-9e9e-000000000002")
DE_SMEDT = org("Brouwerij De Smedt NV", enterprise_number="0417.497.106", customer_number="100236",
               id="7b2f1c3d-2222-4d4d-9e9e-000000000003")
# 14 July 2026, 22:30 UTC: already the 15th in Brussels (UTC+2 in summer).
OPENED_AT = dt.datetime(2026, 7, 14, 22, 30, tzinfo=dt.timezone.utc)

# English that does not come from the community's catalog but could still reach a page:
# WTForms' own messages, Werkzeug's error pages, Flask-WTF's CSRF errors.
FOREIGN_ENGLISH = ("This field is required", "Field cannot be longer than", "Not a valid choice",
                   "The requested URL was not found", "You don't have the permission", "The CSRF token",
                   "The server could not verify", "Method Not Allowed", "Internal Server Error")


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs(community_app):
    """The .mo files are build products: make sure this run reads the current .po files."""
    from shared.i18n_catalogs import compile_all

    compile_all()
    with community_app.app_context():
        get_babel(community_app).instance.domain_instance.cache.clear()


@pytest.fixture(scope="session")
def english_fragments() -> set[str]:
    """Every stretch of at least three English words in the catalog (placeholders cut it up)."""
    return catalog_english("support_community", strip=" ,.:;()?·“”", extra=FOREIGN_ENGLISH)


@pytest.fixture()
def english_left(english_fragments):
    def find(text: str) -> list[str]:
        text = " ".join(text.split())
        return sorted(fragment for fragment in english_fragments if fragment in text)

    return find


def deliver(app) -> None:
    db.session.commit()
    outbox.deliver_due(app)


@dataclass
class World:
    language: str
    customer: PandaUser          # Griet, an accountant: Bakkerij Peeters BV, Boulangerie Dupont SRL, De Smedt
    agent: PandaUser             # Sam, a support agent
    customer_person: Person
    agent_person: Person
    case: Case                   # a whole conversation: replies, a note, files, status and severity changes
    solved: Case                 # solved last week: may be reopened
    closed: Case                 # closed long ago: too late to reopen
    public_file: Attachment
    internal_file: Attachment

    def case_url(self, case: Case | None = None) -> str:
        case = case or self.case
        return f"/orgs/{case.organization_id}/cases/{case.id}"

    def agent_case_url(self, case: Case | None = None) -> str:
        return f"/agent/cases/{(case or self.case).id}"


@pytest.fixture()
def make_world(community, fake_panda: FakePanda, demo_catalog, store):  # noqa: F811
    """Build the world in ``language``: everyone in it reads that language; mails wait in the outbox."""

    def make(language: str) -> World:
        griet = fake_panda.add_user(name="Griet Vermeulen", email="griet.vermeulen@boekhouding-vermeulen.test",
                                    locale=language, orgs=[PEETERS, DUPONT, DE_SMEDT])
        sam = fake_panda.add_user(name="Sam Claes", email="sam.claes@panda-support.test", locale=language,
                                  roles=["support_agent"])
        customer, agent = acting_as(griet), acting_as(sam)
        eva = acting_as(user_with(sub=f"eva-{uuid.uuid4().hex[:8]}", name="Eva Lambert", email="eva@panda-support.test",
                                  roles=("support_agent",), locale=OTHER[language]))

        case = open_case(PEETERS, customer, subject="De btw-aangifte van het tweede kwartaal klopt niet",
                         description="Vak 54 en vak 59 verschillen één cent.\nZie https://btw.example.test/q2",
                         severity="high", uploads=[upload("aangifte-q2.pdf", PDF)])
        case.created_at = OPENED_AT
        assignment.assign(case, agent, actor=eva)
        statuses.change_status(case, Status.IN_PROGRESS, actor=agent, comment="We bekijken het meteen.",
                               by_agent=True)
        agent_services.reply(case, "Gekende fout #4711 in de btw-module.", actor=agent, internal=True,
                             uploads=[upload("logboek-4711.txt", TEXT)])
        agent_services.reply(case, "Kunt u ons de export van het dagboek bezorgen?", actor=agent)
        statuses.change_status(case, Status.WAITING_FOR_CUSTOMER, actor=agent, by_agent=True)
        conversation.reply(case, actor=customer, body="Hierbij de export van het dagboek.",
                           uploads=[upload("dagboek.csv", TEXT)])
        conversation.add_attachments(case, actor=customer, uploads=[upload("scherm.png", PNG)])
        agent_services.change_severity(case, Severity.CRITICAL, actor=agent)
        conversation.follow(case, actor=customer)

        solved = open_case(DUPONT, customer, subject="Facture électronique refusée par Peppol",
                           description="Le client reçoit une erreur de validation.", product="invoicing",
                           category_key="peppol")
        statuses.change_status(solved, Status.SOLVED, actor=agent, comment="Le certificat est renouvelé.",
                               by_agent=True)
        closed = make_case(customer, organization_id=DUPONT["id"], organization_name=DUPONT["name"],
                           subject="Ancienne question sur les fiches de paie",
                           description="Question résolue depuis longtemps.", status=Status.CLOSED,
                           closed_at=utcnow() - dt.timedelta(days=90),
                           last_activity_at=utcnow() - dt.timedelta(days=90))
        db.session.flush()
        files = {a.filename: a for a in db.session.query(Attachment).filter_by(case_id=case.id)}
        db.session.commit()
        return World(language, griet, sam, customer, agent, case, solved, closed,
                     files["aangifte-q2.pdf"], files["logboek-4711.txt"])

    return make


@pytest.fixture()
def browser(community, fake_panda: FakePanda):
    """A fresh browser, signed in or not, with an Accept-Language header or a language chosen in the menu."""

    def open_browser(*, signed_in: PandaUser | None = None, accept_language: str | None = None,
                     chosen_language: str | None = None):
        client = community.test_client()
        client.csrf_page = "/"
        if accept_language:
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
        if chosen_language:
            client.set_cookie(LANGUAGE_COOKIE, chosen_language)
        if signed_in is not None:
            login_as(client, fake_panda, signed_in)
        return client

    return open_browser
