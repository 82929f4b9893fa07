"""Fixtures of the translation tests: compiled catalogs, the English to look for, a populated portal.

english_left(text)            # English sentences of the catalog found in ``text``
world = make_world("nl")      # an organization full of people, requests, invitations and history
browser(signed_in=account)    # a fresh browser, optionally signed in or asking for a language
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import get_babel

from panda_portal.organizations.models import Application, Invitation, MembershipStatus, Role
from shared.i18n import LANGUAGE_COOKIE
from tests.i18n_checks import catalog_english
from tests.portal.factories import SUPPORT, sign_in_client
from tests.portal.i18n.helpers import INVITATION_TOKEN, REQUESTED_AT, World


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs(panda_app):
    """The .mo files are build products: make sure this run reads the current .po files."""
    from shared.i18n_catalogs import compile_all

    compile_all()
    with panda_app.app_context():
        get_babel(panda_app).instance.domain_instance.cache.clear()


@pytest.fixture(scope="session")
def english_fragments() -> set[str]:
    """Every stretch of at least three English words in the catalog (placeholders cut it up)."""
    return catalog_english("panda_portal", strip=" ,.:;()")


@pytest.fixture()
def english_left(english_fragments):
    def find(text: str) -> list[str]:
        text = " ".join(text.split())
        return sorted(fragment for fragment in english_fragments if fragment in text)

    return find


@pytest.fixture()
def bookkeeping(panda_db, applications):
    """A second application, named differently in each language."""
    application = Application(
        key="boekhouding",
        name_en="Bookkeeping",
        name_nl="Boekhouding",
        name_fr="Comptabilité",
        description_en="Keep the books of the whole year.",
        description_nl="Het hele jaar de boeken bijhouden.",
        description_fr="Tenir les livres toute l'année.",
        position=20,
    )
    panda_db.session.add(application)
    panda_db.session.flush()
    return application


@pytest.fixture()
def make_world(panda, panda_db, make_account, make_org, make_customer, make_membership, bookkeeping):
    """Griet administers Bakkerij Peeters BV: a member, a pending request, invitations, a history."""
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.accounts.services.profile import update_profile
    from panda_portal.organizations.services import invitations, members
    from shared.database import utcnow

    def make(language: str) -> World:
        # Created by an operator in English, then switched to ``language`` by Griet herself:
        # her own activity then has an operator, yes/no values and a language change in it.
        admin = create_account(
            "griet.vermeulen@bakkerij-peeters.test",
            "Griet Vermeulen",
            "paardenbloem zonnebloem korenbloem",
            "en",
            verified=True,
        )
        update_profile(admin, "Griet Vermeulen", language, actor=admin)
        member = make_account(name="Luc Dubois", email="luc.dubois@fiduciaire-lambert.test", language="fr")
        requester = make_account(name="Sofie Claes", email="sofie.claes@boekhouding-claes.test", language="nl")
        organization = make_org(name="Bakkerij Peeters BV", customer_number="100234")
        other = make_org(name="Garage Dubois SRL", customer_number="100235")
        elsewhere = make_org(name="Fiduciaire Lambert SC", customer_number="100237")
        make_membership(admin, organization, role=Role.ADMIN, grants=[SUPPORT, "boekhouding"])
        make_membership(admin, other, grants=[SUPPORT])
        membership = make_membership(member, organization)
        request = make_membership(
            requester,
            organization,
            status=MembershipStatus.PENDING,
            message="Graag toegang tot de cases. Groeten, Sofie",
        )
        request.requested_at = REQUESTED_AT
        make_membership(admin, elsewhere, status=MembershipStatus.PENDING)
        # History in the organization's audit log, through the real use cases.
        members.update_membership(membership, role=Role.MEMBER, application_keys=[SUPPORT, "boekhouding"], actor=admin)
        invited = invitations.invite(
            organization,
            email="nieuw.lid@bakkerij-peeters.test",
            role=Role.ADMIN,
            application_keys=[SUPPORT],
            language=language,
            actor=admin,
        )
        invited.expires_at = utcnow() + dt.timedelta(days=2)  # sent again five days later
        invitations.resend_invitation(invited, actor=admin)
        invitation = Invitation(
            organization_id=organization.id,
            email="jan.peeters@bakkerij-peeters.test",
            role=Role.MEMBER,
            application_keys=[SUPPORT, "boekhouding"],
            token_hash=invitations.hash_token(INVITATION_TOKEN),
            language=language,
            invited_by_id=admin.id,
            expires_at=utcnow() + dt.timedelta(days=7),
        )
        panda_db.session.add(invitation)
        # An invitation for Griet herself, waiting in another organization.
        panda_db.session.add(
            Invitation(
                organization_id=elsewhere.id,
                email=admin.email,
                role=Role.MEMBER,
                application_keys=[],
                token_hash=invitations.hash_token("griet-elders"),
                language=language,
                invited_by_id=admin.id,
                expires_at=utcnow() + dt.timedelta(days=7),
            )
        )
        unregistered = make_customer(customer_number="100236", name="Brouwerij De Smedt NV")
        panda_db.session.commit()
        return World(
            language, admin, member, requester, organization, other, membership, request, unregistered, invitation
        )

    return make


@pytest.fixture()
def browser(panda):
    """A fresh browser, signed in or not, optionally with an Accept-Language header or a language chosen in the menu."""

    def open_browser(*, signed_in=None, accept_language: str | None = None, chosen_language: str | None = None):
        client = panda.test_client()
        client.csrf_page = "/sign-in"
        if accept_language:
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
        if chosen_language:
            client.set_cookie(LANGUAGE_COOKIE, chosen_language)
        if signed_in is not None:
            sign_in_client(client, signed_in)
        return client

    return open_browser
