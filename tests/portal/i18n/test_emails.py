"""Every Panda e-mail, in Dutch and in French, and always in its recipient's language.

Each mail kind is rendered through ``render_mail`` with the context its service
gives it (every variant of its ``if``s), then a few are followed end to end: a
request to join sent by a Dutch-speaking accountant reaches a French-speaking
administrator in French, and the answer comes back in Dutch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from panda_portal.organizations.models import Role
from shared.i18n import locale_for
from shared.outbox.rendering import render_mail
from tests.i18n_checks import html_lang, page_text
from tests.portal.factories import SUPPORT
from tests.portal.i18n.helpers import LANGUAGES

EMAILS = Path(__file__).resolve().parents[3] / "panda_portal" / "templates" / "emails"
LINK = "http://panda.test/orgs/5f0c/"
LINKS = {
    "sign_in_url": "http://panda.test/sign-in",
    "register_url": "http://panda.test/register",
    "forgot_password_url": "http://panda.test/forgot-password",
    "resend_url": "http://panda.test/resend-verification",
}
EXPIRES_AT = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # 1 January 2027 in Brussels


def _applications(world):
    from panda_portal.organizations.services.members import list_applications

    return [app for app in list_applications() if app.key in {SUPPORT, "boekhouding"}]


def _about_an_organization(world, **extra) -> dict:
    return {
        "recipient": world.member.name,
        "actor": world.admin,
        "organization": world.organization,
        "link": LINK,
    } | extra


# mail kind -> {variant: the context its service gives it}
VARIANTS = {
    "access_granted": {"": lambda w: _about_an_organization(w, applications=_applications(w))},
    "access_removed": {"": lambda w: _about_an_organization(w, applications=_applications(w))},
    "access_ask": {
        "": lambda w: {
            "recipient": w.admin.name,
            "requester": w.member,
            "organization": w.organization,
            "application": "Support Community",
            "link": LINK,
        }
    },
    "join_requests_batch": {
        "one": lambda w: {
            "recipient": w.admin.name,
            "requester": w.requester,
            "requests": [{"organization": w.organization, "link": LINK}],
            "count": 1,
            "more": 0,
            "link": LINK,
        },
        "many": lambda w: {
            "recipient": w.admin.name,
            "requester": w.requester,
            "requests": [{"organization": w.organization, "link": LINK}] * 3,
            "count": 250,
            "more": 247,
            "link": LINK,
        },
    },
    "accounts_already_registered": {
        "confirmed": lambda w: {"person_name": w.member.name, "verified": True, **LINKS},
        "not confirmed": lambda w: {"person_name": w.member.name, "verified": False, **LINKS},
    },
    "accounts_already_verified": {"": lambda w: {"person_name": w.member.name, **LINKS}},
    "accounts_no_account": {
        "reset": lambda w: {"address": "onbekend@boekhouding-claes.test", "requested": "reset", **LINKS},
        "verify": lambda w: {"address": "onbekend@boekhouding-claes.test", "requested": "verify", **LINKS},
    },
    "accounts_password_changed": {
        "changed": lambda w: {"person_name": w.member.name, "reset": False, **LINKS},
        "reset": lambda w: {"person_name": w.member.name, "reset": True, **LINKS},
    },
    "accounts_reset_password": {"": lambda w: {"person_name": w.member.name, "link": LINK, "minutes": 60, **LINKS}},
    "accounts_verify": {"": lambda w: {"person_name": w.member.name, "link": LINK, "hours": 24, **LINKS}},
    "accounts_new_browser": {
        "": lambda w: {
            "person_name": w.member.name,
            "device": "iPhone",
            "browser": "Mobile Safari 17",
            "place": "België",
            "when": EXPIRES_AT,
            "sessions_url": LINK,
            "two_step_url": LINK,
            **LINKS,
        }
    },
    "accounts_email_change_confirm": {
        "": lambda w: {
            "person_name": w.member.name,
            "new_email": "nieuw@example.test",
            "link": LINK,
            "hours": 24,
            **LINKS,
        }
    },
    "accounts_email_change_taken": {"": lambda w: dict(LINKS)},
    "accounts_email_changed": {
        "": lambda w: {
            "person_name": w.member.name,
            "old_email": "oud@example.test",
            "new_email": "nieuw@example.test",
            "undo_link": LINK,
            "days": 7,
            **LINKS,
        }
    },
    "accounts_deleted": {"": lambda w: {"person_name": w.member.name, **LINKS}},
    "invitation": {
        "administrator": lambda w: {
            "organization": w.organization,
            "inviter": w.admin,
            "administrator": True,
            "applications": _applications(w),
            "expires_at": EXPIRES_AT,
            "link": LINK,
        },
        "member": lambda w: {
            "organization": w.organization,
            "inviter": w.admin,
            "administrator": False,
            "applications": [],
            "expires_at": EXPIRES_AT,
            "link": LINK,
        },
    },
    "invitation_accepted": {
        "administrator": lambda w: _about_an_organization(w, member=w.requester, administrator=True),
        "member": lambda w: _about_an_organization(w, member=w.requester, administrator=False),
    },
    "join_approved": {
        "with a message": lambda w: _about_an_organization(w, message="Welkom bij de bakkerij!"),
        "without a message": lambda w: _about_an_organization(w, message=None),
    },
    "join_rejected": {
        "with a message": lambda w: _about_an_organization(w, message="Onbekende aanvrager."),
        "without a message": lambda w: _about_an_organization(w, message=None),
    },
    "join_request": {
        "with a message": lambda w: {
            "recipient": w.admin.name,
            "requester": w.requester,
            "organization": w.organization,
            "message": "Groeten, Sofie",
            "link": LINK,
        },
        "without a message": lambda w: {
            "recipient": w.admin.name,
            "requester": w.requester,
            "organization": w.organization,
            "message": None,
            "link": LINK,
        },
    },
    "member_removed": {"": lambda w: _about_an_organization(w)},
    "mfa_disabled": {"": lambda w: {"person_name": w.admin.name, "two_step_url": LINK} | LINKS},
    "mfa_recovery_code_used": {
        "one left": lambda w: {"person_name": w.admin.name, "left": 1, "two_step_url": LINK} | LINKS,
        "several left": lambda w: {"person_name": w.admin.name, "left": 9, "two_step_url": LINK} | LINKS,
    },
    "organization_added": {"": lambda w: {"organization": w.organization, "actor": w.requester, "link": LINK}},
    **{
        kind: {
            "": lambda w: (
                {
                    "person_name": w.admin.name,
                    "token_name": "sync",
                    "scope": "orgs:read",
                    "expires_on": "2027-03-01",
                    "tokens_url": LINK,
                }
                | LINKS
            )
        }
        for kind in ("personal_token_created", "personal_token_expiring")
    },
    "role_changed": {
        "administrator": lambda w: _about_an_organization(w, administrator=True),
        "member": lambda w: _about_an_organization(w, administrator=False),
    },
}
CASES = [(kind, variant) for kind, variants in sorted(VARIANTS.items()) for variant in variants]

GLOSSARY_IN_MAILS = {
    ("join_request", "with a message"): {
        "nl": ["aanvraag tot toetreding", "goedkeuren of weigeren", "beheerder", "Support Community"],
        "fr": ["demande d'adhésion", "approuver ou refuser", "administrateur", "Support Community"],
    },
    ("join_approved", "with a message"): {
        "nl": ["Wissel van organisatie", "lid", "cases"],
        "fr": ["Changer d'organisation", "membre", "cas"],
    },
    ("access_granted", ""): {
        "nl": ["Wissel van organisatie", "Boekhouding"],
        "fr": ["Changer d'organisation", "Comptabilité"],
    },
    ("invitation", "administrator"): {
        "nl": ["beheerder", "Toegang tot applicatie"],
        "fr": ["administrateur", "Accès à l'application"],
    },
    ("role_changed", "administrator"): {
        "nl": ["aanvragen tot toetreding", "beheerder"],
        "fr": ["demandes d'adhésion", "administrateur"],
    },
}


def test_every_mail_template_is_rendered_here():
    kinds = {path.name.removesuffix(".subject.txt") for path in EMAILS.glob("*.subject.txt")}
    assert kinds == set(VARIANTS)
    for kind in kinds:
        assert (EMAILS / f"{kind}.txt").exists() and (EMAILS / f"{kind}.html").exists()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "variant"), CASES)
def test_the_mail_is_entirely_in_the_recipients_language(make_world, english_left, language, kind, variant):
    world = make_world(language)
    subject, text, html = render_mail(kind, language, **VARIANTS[kind][variant](world))
    assert html_lang(html) == language
    for part in (subject, text, page_text(html)):
        assert part.strip()
        assert english_left(part) == [], part
        assert "%(" not in part
    for words in GLOSSARY_IN_MAILS.get((kind, variant), {}).get(language, []):
        assert words in text and words in page_text(html), words


@pytest.mark.parametrize(("kind", "variant"), [("join_request", "with a message"), ("accounts_verify", "")])
def test_the_same_mails_in_english_would_be_caught(make_world, english_left, kind, variant):
    subject, text, html = render_mail(kind, "en", **VARIANTS[kind][variant](make_world("en")))
    assert html_lang(html) == "en"
    assert english_left(subject) and english_left(text) and english_left(page_text(html))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invitations_end_date_is_written_for_the_language_in_brussels_time(make_world, language):
    world = make_world(language)
    _subject, text, html = render_mail("invitation", language, **VARIANTS["invitation"]["member"](world))
    expected = format_datetime(EXPIRES_AT, "short", tzinfo=ZoneInfo("Europe/Brussels"), locale=locale_for(language))
    assert "2027" in expected or "27" in expected
    assert expected in text and expected in page_text(html)


# -- end to end: the recipient's language, not the sender's -----------------------------------
def test_a_dutch_accountants_request_reaches_a_french_administrator_in_french_and_the_answer_comes_back_in_dutch(
    panda_db, make_account, make_org, make_membership, browser, deliver, english_left
):
    marie = make_account(name="Marie Dubois", email="marie@garage-dubois.test", language="fr")
    jan = make_account(name="Jan Janssens", email="jan@boekhouding-janssens.test", language="nl")
    garage = make_org(name="Garage Dubois SRL", customer_number="100235")
    make_membership(marie, garage, role=Role.ADMIN, grants=[SUPPORT])
    panda_db.session.commit()

    # Jan reads Panda in Dutch and asks to join.
    jans_browser = browser(signed_in=jan)
    page = jans_browser.post_form(
        "/orgs/add",
        {
            "customer_number": "100235",
            "enterprise_number": garage.enterprise_number,
            "message": "Ik ben jullie boekhouder.",
        },
        page="/orgs/add",
        follow_redirects=True,
    )
    assert html_lang(page.get_data(as_text=True)) == "nl"
    assert "Uw aanvraag tot toetreding werd naar haar beheerders verstuurd" in page_text(page.get_data(as_text=True))

    # Marie receives it in French.
    mail = deliver("marie@garage-dubois.test")
    assert mail.subject == "Jan Janssens demande à adhérer à Garage Dubois SRL"
    assert html_lang(mail.html) == "fr"
    assert "demande d'adhésion" in mail.text and "Ik ben jullie boekhouder." in mail.text
    assert english_left(mail.text) == [] and english_left(page_text(mail.html)) == []

    # She decides in French; Jan hears about it in Dutch.
    request_page = mail.link_path("/requests/")
    maries_browser = browser(signed_in=marie)
    decided = maries_browser.post_form(
        request_page + "/approve", {"approve-message": "Bienvenue !"}, page=request_page, follow_redirects=True
    )
    assert html_lang(decided.get_data(as_text=True)) == "fr"
    assert "est maintenant membre de Garage Dubois SRL" in page_text(decided.get_data(as_text=True))
    answer = deliver("jan@boekhouding-janssens.test")
    assert answer.subject == "U bent nu lid van Garage Dubois SRL"
    assert html_lang(answer.html) == "nl"
    assert "Wissel van organisatie" in answer.text and "Bienvenue !" in answer.text
    assert english_left(answer.text) == []


def test_an_invitation_to_an_existing_account_is_in_the_invitees_language_not_the_one_chosen(
    panda_db, make_account, make_org, make_membership, browser, deliver
):
    griet = make_account(name="Griet Vermeulen", email="griet@bakkerij-peeters.test", language="nl")
    luc = make_account(name="Luc Dubois", email="luc@fiduciaire-lambert.test", language="fr")
    bakery = make_org(name="Bakkerij Peeters BV")
    make_membership(griet, bakery, role=Role.ADMIN)
    panda_db.session.commit()
    url = f"/orgs/{bakery.id}/invitations/new"
    browser(signed_in=griet).post_form(url, {"email": luc.email, "role": "admin", "language": "nl"}, page=url)
    mail = deliver(luc.email)
    assert mail.subject == "Griet Vermeulen vous invite à être administrateur de Bakkerij Peeters BV"
    assert html_lang(mail.html) == "fr"


def test_a_mail_queued_outside_a_request_is_in_the_recipients_language(panda_db, make_world, deliver):
    """A command-line or worker use case has no browser: the recipient's account decides."""
    from panda_portal.organizations.services import members

    world = make_world("nl")  # Luc, the member, reads French
    members.remove_member(world.membership, actor=world.admin)
    panda_db.session.commit()
    mail = deliver(world.member.email)
    assert mail.subject == "Vous n'êtes plus membre de Bakkerij Peeters BV"
    assert html_lang(mail.html) == "fr"
