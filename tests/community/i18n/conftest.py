"""Fixtures of the community's translation tests: compiled catalogs, the English to look for, a busy case.

    english_left(text)            # English sentences of the catalog (and of WTForms/Werkzeug) found in ``text``
    world = make_world("nl")      # Griet's clients, a case with a whole conversation, an agent, all in "nl"
    browser(signed_in=user, accept_language="fr", chosen_language="nl")

The languages, organizations and ``World`` itself: ``tests.community.i18n.helpers``;
``page_text`` and ``html_lang``: ``tests.i18n_checks``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask_babel import get_babel

from shared.database import utcnow
from shared.i18n import LANGUAGE_COOKIE
from support_community.cases.models import Attachment, Severity, Status
from support_community.cases.services import assignment, conversation, severity, statuses
from support_community.extensions import db
from tests.community.auth.fake_op import FakePanda, PandaUser, login_as
from tests.community.factories import acting_as, make_case, open_case, user_with
from tests.community.files import PDF, PNG, TEXT, upload
from tests.community.i18n.helpers import DE_SMEDT, DUPONT, FOREIGN_ENGLISH, OPENED_AT, OTHER, PEETERS, World
from tests.i18n_checks import catalog_english


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


@pytest.fixture()
def make_world(community, fake_panda: FakePanda, demo_catalog, store):
    """Build the world in ``language``: everyone in it reads that language; mails wait in the outbox."""

    def make(language: str) -> World:
        griet = fake_panda.add_user(
            name="Griet Vermeulen",
            email="griet.vermeulen@boekhouding-vermeulen.test",
            locale=language,
            orgs=[PEETERS, DUPONT, DE_SMEDT],
        )
        sam = fake_panda.add_user(
            name="Sam Claes", email="sam.claes@panda-support.test", locale=language, roles=["support_agent"]
        )
        customer, agent = acting_as(griet), acting_as(sam)
        eva = acting_as(
            user_with(
                sub=f"eva-{uuid.uuid4().hex[:8]}",
                name="Eva Lambert",
                email="eva@panda-support.test",
                roles=("support_agent",),
                locale=OTHER[language],
            )
        )

        case = open_case(
            PEETERS,
            customer,
            subject="De btw-aangifte van het tweede kwartaal klopt niet",
            description="Vak 54 en vak 59 verschillen één cent.\nZie https://btw.example.test/q2",
            severity="high",
            uploads=[upload("aangifte-q2.pdf", PDF)],
        )
        case.created_at = OPENED_AT
        assignment.assign(case, agent, actor=eva)
        statuses.change_status(case, Status.IN_PROGRESS, actor=agent, comment="We bekijken het meteen.", by_agent=True)
        conversation.agent_reply(
            case,
            actor=agent,
            body="Gekende fout #4711 in de btw-module.",
            internal=True,
            uploads=[upload("logboek-4711.txt", TEXT)],
        )
        conversation.agent_reply(case, actor=agent, body="Kunt u ons de export van het dagboek bezorgen?")
        statuses.change_status(case, Status.WAITING_FOR_CUSTOMER, actor=agent, by_agent=True)
        conversation.customer_reply(
            case, actor=customer, body="Hierbij de export van het dagboek.", uploads=[upload("dagboek.csv", TEXT)]
        )
        conversation.add_attachments(case, actor=customer, uploads=[upload("scherm.png", PNG)])
        severity.change_severity(case, Severity.CRITICAL, actor=agent)
        conversation.follow(case, actor=customer)

        solved = open_case(
            DUPONT,
            customer,
            subject="Facture électronique refusée par Peppol",
            description="Le client reçoit une erreur de validation.",
            product="invoicing",
            category_key="peppol",
        )
        statuses.change_status(
            solved, Status.SOLVED, actor=agent, comment="Le certificat est renouvelé.", by_agent=True
        )
        closed = make_case(
            customer,
            organization_id=DUPONT["id"],
            organization_name=DUPONT["name"],
            subject="Ancienne question sur les fiches de paie",
            description="Question résolue depuis longtemps.",
            status=Status.CLOSED,
            closed_at=utcnow() - dt.timedelta(days=90),
            last_activity_at=utcnow() - dt.timedelta(days=90),
        )
        db.session.flush()
        files = {a.filename: a for a in db.session.query(Attachment).filter_by(case_id=case.id)}
        db.session.commit()
        return World(
            language,
            griet,
            sam,
            customer,
            agent,
            case,
            solved,
            closed,
            files["aangifte-q2.pdf"],
            files["logboek-4711.txt"],
        )

    return make


@pytest.fixture()
def browser(community, fake_panda: FakePanda):
    """A fresh browser, signed in or not, with an Accept-Language header or a language chosen in the menu."""

    def open_browser(
        *, signed_in: PandaUser | None = None, accept_language: str | None = None, chosen_language: str | None = None
    ):
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
