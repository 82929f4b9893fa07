"""Every mail of the community, in Dutch and in French, in the language of whoever receives it.

The mails are the real ones: the notification services put them in the outbox
while the world is built (a case opened, assigned, answered, its status changed,
reopened by the customer), the outbox delivers them to the SMTP sink.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from shared.outbox.rendering import render_mail
from support_community.cases.emails import recipients
from support_community.cases.emails.creating import send_case_opened
from support_community.cases.models import Person, Status
from support_community.cases.services import conversation, statuses
from support_community.extensions import db
from support_community.outbox.services import outbox
from tests.community.auth.fake_op import sign_in
from tests.community.factories import make_agent, make_case, make_person
from tests.community.i18n.helpers import LANGUAGES, PEETERS, deliver
from tests.i18n_checks import html_lang, page_text

TEAM = "support-team@community.localhost"
HREF = re.compile(r'href="([^"]*)"')
GREETING = {"nl": "Beste Griet Vermeulen,", "fr": "Bonjour Griet Vermeulen,"}
SUMMARY = {"nl": ["Organisatie", "Case"], "fr": ["Organisation", "Cas"]}
FOOTER = {
    "nl": "U ontvangt deze mail omdat u deze case aanmaakte of volgt.",
    "fr": "Vous recevez cet e-mail parce que vous avez ouvert ou suivez ce cas.",
}
# What each mail must say in the language under test, besides the summary.
WORDS = {
    ("case_opened", None): {
        "nl": ["heeft een nieuwe case aangemaakt voor", "Ernst", "Hallo,"],
        "fr": ["a ouvert un nouveau cas pour", "Gravité", "Bonjour,"],
    },
    ("case_assigned", None): {
        "nl": ["Eva Lambert heeft u een case van Bakkerij Peeters BV toegewezen.", "Beste Sam Claes,"],
        "fr": ["Eva Lambert vous a attribué un cas de Bakkerij Peeters BV.", "Bonjour Sam Claes,"],
    },
    ("case_agent_replied", None): {
        "nl": ["van het supportteam heeft geantwoord op de case van", "Lees de case en antwoord"],
        "fr": ["de l'équipe de support a répondu au cas de", "Lire le cas et répondre"],
    },
    ("case_customer_replied", None): {
        "nl": ["heeft geantwoord op een case van", "Case openen"],
        "fr": ["a répondu à un cas de", "Ouvrir le cas"],
    },
    ("case_status_changed", False): {"nl": ["heeft de status van de case van"], "fr": ["a changé le statut du cas de"]},
    ("case_status_changed", True): {
        "nl": ["van ‘Opgelost’ naar ‘In behandeling’", "Hallo,"],
        "fr": ["de «\u00a0Résolu\u00a0» en «\u00a0En cours\u00a0»", "Bonjour,"],
    },
}
CUSTOMER_MAILS = {("case_agent_replied", None), ("case_status_changed", False)}


@dataclass
class Sent:
    name: str
    for_agents: bool | None
    to: str
    locale: str | None
    subject: str


@pytest.fixture()
def sent(monkeypatch) -> list[Sent]:
    """What the notification services asked for: which mail, to whom, in which language, with which subject."""
    record: list[Sent] = []
    real = recipients.queue_mail

    def spy(outbox, name, *, to, locale, **context):
        subject, _text, _html = render_mail(name, locale, **context)
        record.append(Sent(name, context.get("for_agents"), to, locale, subject))
        return real(outbox, name, to=to, locale=locale, **context)

    monkeypatch.setattr(recipients, "queue_mail", spy)
    return record


def words(text: str) -> str:
    """``text`` with every run of white space (line breaks, non-breaking spaces) as one space."""
    return " ".join(text.split())


def mail_for(mail_sink, item: Sent):
    matches = [m for m in mail_sink.to(item.to) if " ".join(m.subject.split()) == item.subject]
    assert matches, f"no mail {item.subject!r} to {item.to}: {[m.subject for m in mail_sink.to(item.to)]}"
    return matches[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_speaks_the_recipients_language(
    language, community, make_world, sent, mail_sink, monkeypatch, english_left
):
    monkeypatch.setitem(community.config, "AGENTS_TEAM_LOCALE", language)
    world = make_world(language)
    # The customer reopens the solved case: the agents' side hears of it.
    conversation.reopen(world.solved, actor=world.customer_person)
    deliver(community)

    assert {(item.name, item.for_agents) for item in sent} == set(WORDS)
    for item in sent:
        assert item.locale == language
        mail = mail_for(mail_sink, item)
        assert html_lang(mail.html) == language
        text, html_text = words(mail.text), page_text(mail.html)
        for part in (mail.subject, text, html_text):
            assert english_left(part) == [], (item.name, part)
        for word in WORDS[(item.name, item.for_agents)][language] + SUMMARY[language]:
            assert words(word) in text and words(word) in html_text, (item.name, word)
        if (item.name, item.for_agents) in CUSTOMER_MAILS:
            assert GREETING[language] in text
            assert words(FOOTER[language]) in text and words(FOOTER[language]) in html_text
        else:
            assert words(FOOTER[language]) not in text
        # Links are absolute: a mail is read outside the site.
        assert all(href.startswith("http://community.test/") for href in HREF.findall(mail.html))
        assert "http://community.test/" in mail.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_subjects_name_the_case_and_what_happened(language, community, make_world, sent, mail_sink, monkeypatch):
    monkeypatch.setitem(community.config, "AGENTS_TEAM_LOCALE", language)
    world = make_world(language)
    deliver(community)
    subjects = {item.subject for item in sent}
    number, subject = world.case.number, world.case.subject
    expected = {
        "nl": [
            f"[{number}] Nieuwe case voor Bakkerij Peeters BV: {subject}",
            f"[{number}] Aan u toegewezen: {subject}",
            f"[{number}] Nieuw antwoord van support: {subject}",
            f"[{number}] Case in behandeling: {subject}",
            f"[{number}] Case wacht op klant: {subject}",
            f"[{number}] Griet Vermeulen antwoordde: {subject}",
            f"[{world.solved.number}] Case opgelost: {world.solved.subject}",
        ],
        "fr": [
            f"[{number}] Nouveau cas pour Bakkerij Peeters BV : {subject}",
            f"[{number}] Cas qui vous est attribué : {subject}",
            f"[{number}] Nouvelle réponse du support : {subject}",
            f"[{number}] Cas en cours : {subject}",
            f"[{number}] Cas en attente du client : {subject}",
            f"[{number}] Griet Vermeulen a répondu : {subject}",
            f"[{world.solved.number}] Cas résolu : {world.solved.subject}",
        ],
    }[language]
    for line in expected:
        assert line in subjects


def test_each_person_reads_the_conversation_in_their_own_language(community, mail_sink):
    luc = make_person(name="Luc Dubois", email="luc.dubois@fiduciaire-lambert.test", locale="fr")
    sofie = make_agent(name="Sofie Claes", email="sofie.claes@panda-support.test", locale="nl")
    case = make_case(
        luc,
        organization_id=PEETERS["id"],
        organization_name="Bakkerij Peeters BV",
        subject="Extraits CODA manquants",
        assignee=sofie,
    )

    conversation.agent_reply(case, actor=sofie, body="Kunt u het CODA-bestand van maart sturen?")
    conversation.customer_reply(case, actor=luc, body="Voici le fichier de mars.")
    statuses.change_status(case, Status.SOLVED, actor=sofie, by_agent=True)
    deliver(community)

    to_luc = mail_sink.to("luc.dubois@fiduciaire-lambert.test")
    to_sofie = mail_sink.to("sofie.claes@panda-support.test")
    assert len(to_luc) == 2 and len(to_sofie) == 1
    for mail in to_luc:
        assert html_lang(mail.html) == "fr" and "Bonjour Luc Dubois," in mail.text
    assert any("Nouvelle réponse du support" in mail.subject for mail in to_luc)
    assert any("Cas résolu" in mail.subject for mail in to_luc)
    [mail] = to_sofie
    assert html_lang(mail.html) == "nl" and "Beste Sofie Claes," in mail.text
    assert "Luc Dubois heeft geantwoord op een case van Bakkerij Peeters BV." in mail.text


def test_the_agents_team_address_reads_english_unless_told_otherwise(community, mail_sink, monkeypatch):
    luc = make_person(name="Luc Dubois", email="luc.dubois@fiduciaire-lambert.test", locale="fr")
    case = make_case(luc, subject="Extraits CODA manquants")
    send_case_opened(case, actor=luc)
    monkeypatch.setitem(community.config, "AGENTS_TEAM_LOCALE", "nl")
    send_case_opened(case, actor=luc)
    deliver(community)

    english, dutch = mail_sink.to(TEAM)
    assert html_lang(english.html) == "en" and "opened a new case for" in english.text
    assert html_lang(dutch.html) == "nl" and "heeft een nieuwe case aangemaakt voor" in dutch.text


def test_a_language_changed_in_panda_reaches_the_mails_once_the_person_signs_in_and_acts(
    community, community_client, fake_panda, make_world, mail_sink
):
    world = make_world("nl")
    deliver(community)
    mail_sink.clear()

    world.customer.locale = "fr"  # Griet switches her account to French in Panda
    sign_in(community_client, fake_panda, world.customer)
    url = world.case_url()
    community_client.post_form(f"{url}/reply", {"body": "Merci, je vous envoie l'export."}, page=url)
    assert db.session.get(Person, world.customer.sub, populate_existing=True).locale == "fr"

    conversation.agent_reply(world.case, actor=world.agent_person, body="Merci, c'est corrigé.")
    deliver(community)
    mail = mail_sink.last_to(world.customer.email)
    assert html_lang(mail.html) == "fr"
    assert "Nouvelle réponse du support" in mail.subject


@pytest.mark.parametrize(
    "subject",
    [
        "[CS-2026-000002] Nouveau cas pour Boulangerie Dupont SRL : facture électronique refusée par Peppol",
        "[CS-2026-000003] Cas en attente du client : les extraits CODA de mars n'arrivent plus dans la comptabilité "
        "depuis la mise à jour — données bancaires à vérifier",
        "[CS-2026-000004] Nieuwe case voor Brouwerij De Smedt NV: één btw-aangifte te veel ingediend",
    ],
)
def test_a_long_subject_with_accents_arrives_with_every_space(community, mail_sink, subject):
    outbox.enqueue_mail(to="luc.dubois@fiduciaire-lambert.test", subject=subject, text="Bonjour,")
    deliver(community)
    assert mail_sink.last_to("luc.dubois@fiduciaire-lambert.test").subject == subject
