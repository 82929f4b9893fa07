"""Every community page, in Dutch and in French: the right ``<html lang>``, the glossary's words, no English left.

The pages are reached the way people reach them: every route of the URL map,
GET or POST (a form with its errors, the page after a redirect with its
message), plus the pages that only an error shows. Customer pages are seen by
Griet, an accountant whose token says the language under test; the agent's by
Sam, a support agent; public pages by a visitor whose browser asks for it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask, request, request_started

from tests.community.auth.fake_op import FakePanda
from tests.community.factories import category
from tests.community.files import HTML, PDF, PNG, TEXT
from tests.community.i18n.helpers import DE_SMEDT, DUPONT, LANGUAGES, PEETERS, World
from tests.i18n_checks import html_lang, page_text

# Routes that answer machines or hand over a file, not people with a page.
NOT_PAGES = {
    "static",
    "shared.static",
    "health.healthz",
    "health.readyz",
    "auth.sign_in",  # a redirect to Panda
    "auth.sign_out",  # a redirect to Panda's end-session endpoint
    "auth.backchannel_logout",  # Panda's server posts a logout token
    "cases.download",
    "agents.case_attachment",  # the attachment's own bytes
    "kb.suggestions_fragment",  # a piece of the new-case form for its script (seen whole in new_case_with_suggestions)
    "auth.search_organizations",  # a piece of a switcher for its script (its words: switch_organization_pinned)
    "cases.all_clients_export",  # CSV files (tests/community/cases/test_all_clients.py)
    "cases.case_list_export",
    "agents.case_presence",  # the case page's script asks who else is there (its words: agent_case_with_a_colleague)
    "agents.reports_csv",  # a CSV file (tests/community/agents/test_reports.py)
}
SWITCH = {"nl": "Wissel van organisatie", "fr": "Changer d'organisation"}
SIGN_IN = {"nl": "Aanmelden met Panda", "fr": "Se connecter avec Panda"}


@dataclass
class Visit:
    world: World
    language: str
    browser: Callable
    app: Flask
    monkeypatch: pytest.MonkeyPatch
    fake_panda: FakePanda
    receivers: list = field(default_factory=list)  # webhook receivers on loopback ports, stopped after the test

    def customer(self):
        return self.browser(signed_in=self.world.customer)

    def agent(self):
        return self.browser(signed_in=self.world.agent)

    def anonymous(self):
        return self.browser(accept_language=self.language)


@dataclass
class Page:
    endpoint: str
    visit: Callable[[Visit], object]
    status: int
    words: dict[str, list[str]] = field(default_factory=dict)
    signed_in: bool = True


PAGES: dict[str, Page] = {}


def page(endpoint: str, status: int = 200, *, signed_in: bool = True, **words: list[str]):
    def register(visit: Callable[[Visit], object]) -> Callable[[Visit], object]:
        PAGES[visit.__name__] = Page(endpoint, visit, status, words, signed_in)
        return visit

    return register


def _org(org: dict, path: str = "") -> str:
    return f"/orgs/{org['id']}/{path}"


def _post_case(v: Visit, action: str, data: dict | None = None, *, case=None, **kwargs):
    url = v.world.case_url(case)
    return v.customer().post_form(f"{url}/{action}", data or {}, page=url, follow_redirects=True, **kwargs)


def _post_agent(v: Visit, action: str, data: dict, *, follow: bool = True):
    url = v.world.agent_case_url()
    return v.agent().post_form(f"{url}/{action}", data, page=url, follow_redirects=follow)


# -- public pages ------------------------------------------------------------------------------------
@page(
    "cases.home",
    signed_in=False,
    nl=["Support Community", "Aanmelden met Panda"],
    fr=["Support Community", "Se connecter avec Panda"],
)
def start_page_for_a_visitor(v: Visit):
    return v.anonymous().get("/")


@page(
    "auth.callback",
    400,
    signed_in=False,
    nl=["Aanmelden is niet gelukt", "Opnieuw proberen"],
    fr=["La connexion n'a pas abouti", "Réessayer"],
)
def failed_sign_in(v: Visit):
    return v.anonymous().get("/auth/callback", query_string={"state": "verlopen", "code": "x"})


@page("language.choose_language", signed_in=False, nl=["Aanmelden met Panda"], fr=["Se connecter avec Panda"])
def language_chosen_in_the_menu(v: Visit):
    client = v.browser(accept_language="en")
    return client.post_form("/language", {"language": v.language, "next": "/"}, page="/", follow_redirects=True)


# -- the customer's pages ---------------------------------------------------------------------------
@page(
    "cases.home",
    nl=["Al mijn klanten", "Klantnummer 100234", "Ondernemingsnummer 0403.170.701"],
    fr=["Tous mes clients", "Numéro client 100234", "Numéro d'entreprise 0403.170.701"],
)
def start_page_of_an_accountant(v: Visit):
    return v.customer().get("/")


@page(
    "cases.org_home",
    nl=["Beheerder", "Klantnummer", "Ondernemingsnummer", "Boulangerie Dupont SRL heeft geen open cases."],
    fr=["Administrateur", "Numéro client", "Numéro d'entreprise", "Boulangerie Dupont SRL n'a aucun cas ouvert."],
)
def organization_start_page(v: Visit):
    return v.customer().get(_org(DUPONT))


@page(
    "cases.case_list",
    nl=["Kritiek", "In behandeling", "Panda Boekhouding", "Ernst"],
    fr=["Critique", "En cours", "Panda Comptabilité", "Gravité"],
)
def case_list(v: Visit):
    return v.customer().get(_org(PEETERS, "cases"))


@page(
    "cases.case_list", nl=["Geen enkele case voldoet aan deze filters."], fr=["Aucun cas ne correspond à ces filtres."]
)
def case_list_without_a_match(v: Visit):
    return v.customer().get(_org(PEETERS, "cases"), query_string={"q": "onbestaand", "severity": "low"})


@page(
    "cases.case_list",
    nl=["Brouwerij De Smedt NV heeft nog geen cases."],
    fr=["Brouwerij De Smedt NV n'a encore aucun cas."],
)
def case_list_of_an_organization_without_cases(v: Visit):
    return v.customer().get(_org(DE_SMEDT, "cases"))


@page(
    "cases.new_case",
    nl=["Panda Boekhouding", "Btw-aangiften", "Ernst", "Bijlagen"],
    fr=["Panda Comptabilité", "Déclarations TVA", "Gravité", "Pièces jointes"],
)
def new_case_form(v: Visit):
    return v.customer().get(_org(PEETERS, "cases/new"))


@page("cases.new_case", 400, nl=["Dit veld is vereist"], fr=["Ce champ est requis"])
def new_case_form_sent_empty(v: Visit):
    url = _org(PEETERS, "cases/new")
    return v.customer().post_form(url, {"product": "accounting", "severity": "normal"}, page=url)


@page(
    "cases.new_case",
    400,
    nl=["is geen bestandstype dat u kunt toevoegen"],
    fr=["n'est pas un type de fichier qui peut être joint"],
)
def new_case_with_a_refused_file(v: Visit):
    url = _org(PEETERS, "cases/new")
    data = {
        "product": "accounting",
        "category": str(category("accounting", "vat").id),
        "severity": "high",
        "subject": "Vak 54 klopt niet",
        "description": "Sinds de update klopt vak 54 niet.",
        "attachments": (io.BytesIO(HTML), "factuur.html"),
    }
    return v.customer().post_form(url, data, page=url, content_type="multipart/form-data")


@page(
    "cases.new_case",
    400,
    nl=["Kies een categorie van Panda Boekhouding."],
    fr=["Choisissez une catégorie de Panda Comptabilité."],
)
def new_case_without_a_category(v: Visit):
    url = _org(PEETERS, "cases/new")
    data = {
        "product": "accounting",
        "severity": "high",
        "subject": "Vak 54 klopt niet",
        "description": "Sinds de update klopt vak 54 niet.",
    }
    return v.customer().post_form(url, data, page=url)


@page(
    "cases.new_case",
    nl=["is aangemaakt. U hoort van ons per e-mail.", "Nieuw"],
    fr=["a été ouvert. Nous vous répondrons par e-mail.", "Nouveau"],
)
def new_case_opened(v: Visit):
    url = _org(PEETERS, "cases/new")
    data = {
        "product": "accounting",
        "category": str(category("accounting", "vat").id),
        "severity": "low",
        "subject": "Vraag over de jaarrekening",
        "description": "Waar vind ik de balans?",
    }
    return v.customer().post_form(url, data, page=url, follow_redirects=True)


@page(
    "cases.case_detail",
    nl=["Wacht op klant", "Niet meer volgen", "Gesprek", "Case sluiten", "Beschrijving"],
    fr=["En attente du client", "Ne plus suivre", "Conversation", "Fermer le cas", "Description"],
)
def case_with_its_conversation(v: Visit):
    return v.customer().get(v.world.case_url())


@page("cases.case_detail", nl=["Opgelost", "Case heropenen", "Volgen"], fr=["Résolu", "Rouvrir le cas", "Suivre"])
def solved_case(v: Visit):
    return v.customer().get(v.world.case_url(v.world.solved))


@page(
    "cases.case_detail",
    nl=["Gesloten", "kan heropend worden tot 30 dagen"],
    fr=["Fermé", "peut être rouvert jusqu'à 30 jours"],
)
def case_closed_long_ago(v: Visit):
    return v.customer().get(v.world.case_url(v.world.closed))


@page("cases.reply", nl=["Uw antwoord is toegevoegd aan case"], fr=["Votre réponse a été ajoutée au cas"])
def reply_sent(v: Visit):
    return _post_case(v, "reply", {"body": "Dank u, het werkt opnieuw."})


@page("cases.reply", 400, nl=["Dit veld is vereist"], fr=["Ce champ est requis"])
def reply_sent_empty(v: Visit):
    url = v.world.case_url()
    return v.customer().post_form(f"{url}/reply", {"body": ""}, page=url)


@page("cases.attach", nl=["2 bestanden zijn toegevoegd aan case"], fr=["2 fichiers ont été ajoutés au cas"])
def files_added(v: Visit):
    return _post_case(
        v,
        "attachments",
        {"files": [(io.BytesIO(PNG), "scherm-2.png"), (io.BytesIO(TEXT), "dagboek-2.csv")]},
        content_type="multipart/form-data",
    )


@page(
    "cases.attach",
    400,
    nl=["is een PDF-bestand, dus de naam moet eindigen op .pdf"],
    fr=["est un fichier PDF : son nom doit donc se terminer par .pdf"],
)
def file_with_a_wrong_name(v: Visit):
    url = v.world.case_url()
    return v.customer().post_form(
        f"{url}/attachments", {"files": (io.BytesIO(PDF), "factuur.png")}, page=url, content_type="multipart/form-data"
    )


@page("cases.close", nl=["is gesloten.", "Gesloten"], fr=["est fermé.", "Fermé"])
def case_closed(v: Visit):
    return _post_case(v, "close", {"comment": "Opgelost na de update."})


@page("cases.reopen", nl=["is opnieuw geopend."], fr=["est rouvert."])
def solved_case_reopened(v: Visit):
    return _post_case(v, "reopen", case=v.world.solved)


@page("cases.reopen", nl=["kan niet meer heropend worden"], fr=["ne peut plus être rouvert"])
def old_case_reopened_too_late(v: Visit):
    return _post_case(v, "reopen", case=v.world.closed)


@page(
    "cases.follow",
    nl=["U volgt case", "u krijgt een e-mail wanneer er iets verandert"],
    fr=["Vous suivez le cas", "vous recevrez un e-mail lorsqu'il change"],
)
def case_followed(v: Visit):
    return _post_case(v, "follow", case=v.world.solved)


@page("cases.unfollow", nl=["U volgt case", "niet langer."], fr=["Vous ne suivez plus le cas"])
def case_no_longer_followed(v: Visit):
    return _post_case(v, "unfollow")


@page(
    "cases.all_clients",
    nl=["Al mijn klanten", "Bakkerij Peeters BV", "Kritiek"],
    fr=["Tous mes clients", "Bakkerij Peeters BV", "Critique"],
)
def all_clients(v: Visit):
    return v.customer().get("/cases")


@page(
    "cases.all_clients",
    nl=["Geen enkele open case voldoet aan deze filters."],
    fr=["Aucun cas ouvert ne correspond à ces filtres."],
)
def all_clients_without_a_match(v: Visit):
    return v.customer().get("/cases", query_string={"severity": "low"})


@page(
    "cases.choose_organization",
    nl=["Nieuwe case: voor welke organisatie?", "Klantnummer"],
    fr=["Nouveau cas : pour quelle organisation ?", "Numéro client"],
)
def organization_for_a_new_case(v: Visit):
    return v.customer().get("/cases/new")


@page(
    "auth.switch",
    nl=["Wissel van organisatie", "Klantnummer", "Ondernemingsnummer", "Beheerder", "Lid", "1–3 van 3 organisaties"],
    fr=[
        "Changer d'organisation",
        "Numéro client",
        "Numéro d'entreprise",
        "Administrateur",
        "Membre",
        "1–3 sur 3 organisations",
    ],
)
def switch_organization(v: Visit):
    return v.customer().get("/switch")


@page(
    "auth.switch",
    nl=["Geen enkele organisatie voldoet aan ‘Garage’."],
    fr=["Aucune organisation ne correspond à « Garage »."],
)
def switch_organization_without_a_match(v: Visit):
    return v.customer().get("/switch", query_string={"q": "Garage"})


@page(
    "auth.favourite",
    nl=["staat nu bovenaan uw lijst", "Favorieten", "Losmaken", "Recent gebruikt", "Alle organisaties"],
    fr=[
        "est épinglée en haut de votre liste",
        "Favoris",
        "Désépingler",
        "Utilisées récemment",
        "Toutes les organisations",
    ],
)
def switch_organization_pinned(v: Visit):
    client = v.customer()
    client.get(_org(PEETERS))  # used recently
    return client.post_form(_org(PEETERS, "favourite"), {"favourite": "1"}, page="/switch", follow_redirects=True)


@page(
    "preferences.notifications_page",
    nl=["Mailvoorkeuren", "Stuur mij mails over cases die ik volg"],
    fr=["Préférences d'e-mail", "M'envoyer des e-mails sur les cas que je suis"],
)
def mail_preferences(v: Visit):
    return v.customer().get("/account/notifications")


@page(
    "preferences.notifications_page",
    nl=["Uw mailvoorkeuren zijn opgeslagen."],
    fr=["Vos préférences d'e-mail sont enregistrées."],
)
def mail_preferences_saved(v: Visit):
    return v.customer().post_form("/account/notifications", {}, page="/account/notifications", follow_redirects=True)


# -- the agent's pages ---------------------------------------------------------------------------------
@page(
    "agents.queue",
    nl=["Niet toegewezen en van mij", "Cases zoeken", "Kritiek", "Bakkerij Peeters BV", "Panda Boekhouding", "1 case"],
    fr=[
        "Non attribués et les miens",
        "Rechercher des cas",
        "Critique",
        "Bakkerij Peeters BV",
        "Panda Comptabilité",
        "1 cas",
    ],
)
def agent_queue(v: Visit):
    return v.agent().get("/agent")


@page(
    "agents.queue",
    nl=["Wachtrij met cases", "Niet toegewezen", "Opgelost", "Gesloten"],
    fr=["File d'attente des cas", "Non attribué", "Résolu", "Fermé"],
)
def agent_queue_of_every_case(v: Visit):
    return v.agent().get("/agent", query_string={"status": "all", "assignee": "any", "sort": "severity"})


@page(
    "agents.case_detail",
    nl=[
        "Interne notitie — niet zichtbaar voor de klant",
        "Ernst",
        "Kritiek",
        "Toegewezen aan",
        "Gekende fout #4711",
        "intern",
        "Geschiedenis",
    ],
    fr=[
        "Note interne — non visible pour le client",
        "Gravité",
        "Critique",
        "Attribué à",
        "Gekende fout #4711",
        "interne",
        "Historique",
    ],
)
def agent_case(v: Visit):
    return v.agent().get(v.world.agent_case_url())


@page("agents.case_reply", nl=["Uw interne notitie is toegevoegd."], fr=["Votre note interne a été ajoutée."])
def agent_note_added(v: Visit):
    return _post_agent(v, "messages", {"body": "Doorgestuurd naar het ontwikkelteam.", "internal": "y"})


@page("agents.case_note", nl=["Uw interne notitie is toegevoegd."], fr=["Votre note interne a été ajoutée."])
def agent_note_from_its_own_form(v: Visit):
    return _post_agent(v, "notes", {"note-body": "Doorgestuurd naar het ontwikkelteam."})


@page("agents.case_note", 400, nl=["Schrijf eerst een notitie."], fr=["Écrivez d’abord une note."])
def agent_note_empty(v: Visit):
    return _post_agent(v, "notes", {"note-body": ""}, follow=False)


@page(
    "agents.case_reply",
    nl=["Uw antwoord is naar de klant verstuurd.", "Wacht op klant"],
    fr=["Votre réponse a été envoyée au client.", "En attente du client"],
)
def agent_reply_with_a_status(v: Visit):
    return _post_agent(v, "messages", {"body": "Welke versie gebruikt u?", "new_status": "waiting_for_customer"})


@page(
    "agents.case_reply", nl=["Uw antwoord is naar de klant verstuurd."], fr=["Votre réponse a été envoyée au client."]
)
def agent_reply_sent(v: Visit):
    return _post_agent(v, "messages", {"body": "De correctie staat in versie 12.4."})


@page("agents.case_reply", 400, nl=["Schrijf eerst een bericht."], fr=["Écrivez d'abord un message."])
def agent_reply_sent_empty(v: Visit):
    return _post_agent(v, "messages", {"body": ""}, follow=False)


@page("agents.case_status", nl=["De case is nu ‘Opgelost’."], fr=["Le cas est désormais « Résolu »."])
def agent_status_changed(v: Visit):
    return _post_agent(v, "status", {"status": "solved", "comment": "Opgelost in versie 12.4."})


@page("agents.case_status", 400, nl=["Kies een status."], fr=["Choisissez un statut."])
def agent_status_sent_empty(v: Visit):
    return _post_agent(v, "status", {"status": ""}, follow=False)


@page("agents.case_assign", nl=["De case is niet langer toegewezen."], fr=["Le cas n'est plus attribué."])
def agent_assignment_removed(v: Visit):
    return _post_agent(v, "assignee", {"assignee": ""})


@page("agents.case_severity", nl=["De ernst is nu ‘Laag’."], fr=["La gravité est désormais « Faible »."])
def agent_severity_changed(v: Visit):
    return _post_agent(v, "severity", {"severity": "low"})


# -- the workspace: canned replies, bulk changes, colleagues on a case, reports, ratings -----------------
def _canned(v: Visit):
    from support_community.cases.services import canned
    from support_community.extensions import db

    reply = canned.create(
        actor=v.world.agent_person,
        title="Export",
        bodies={"en": "Hello {first_name}", "nl": "Dag {first_name}, {case_number}", "fr": "Bonjour {first_name}"},
        set_status="waiting_for_customer",
    )
    db.session.commit()
    return reply


@page(
    "agents.canned_list",
    nl=["Standaardantwoorden", "Nog geen standaardantwoorden."],
    fr=["Réponses types", "Pas encore de réponses types."],
)
def canned_replies_none_yet(v: Visit):
    return v.agent().get("/agent/canned")


@page(
    "agents.canned_new",
    nl=["Nieuw standaardantwoord", "Tekst in het Nederlands"],
    fr=["Nouvelle réponse type", "Texte en néerlandais"],
)
def canned_reply_new(v: Visit):
    return v.agent().get("/agent/canned/new")


@page(
    "agents.canned_new",
    400,
    nl=["Schrijf het antwoord in minstens één taal."],
    fr=["Rédigez la réponse dans au moins une langue."],
)
def canned_reply_without_text(v: Visit):
    return v.agent().post_form("/agent/canned/new", {"title": "Leeg"}, page="/agent/canned/new")


@page(
    "agents.canned_edit",
    nl=["Standaardantwoord bewerken", "Dit standaardantwoord verwijderen"],
    fr=["Modifier la réponse type", "Supprimer cette réponse type"],
)
def canned_reply_edited(v: Visit):
    return v.agent().get(f"/agent/canned/{_canned(v).id}")


@page("agents.canned_delete", nl=["is verwijderd"], fr=["est supprimée"])
def canned_reply_deleted(v: Visit):
    url = f"/agent/canned/{_canned(v).id}"
    return v.agent().post_form(f"{url}/delete", {}, page=url, follow_redirects=True)


@page(
    "agents.case_insert_canned",
    nl=["Een standaardantwoord invoegen", "Dag Griet"],
    fr=["Insérer une réponse type", "Bonjour Griet"],
)
def canned_reply_inserted(v: Visit):
    reply = _canned(v)
    return _post_agent(v, "canned", {"body": "", "canned": str(reply.id)}, follow=False)


@page("agents.case_detail", nl=["schrijft een antwoord."], fr=["écrit une réponse."])
def agent_case_with_a_colleague(v: Visit):
    from support_community.cases.services import collisions
    from support_community.extensions import db
    from tests.community.factories import make_agent

    collisions.replying(v.world.case, actor=make_agent(name="Eva Claes"))
    db.session.commit()
    return v.agent().get(v.world.agent_case_url())


@page("agents.bulk_review", nl=["1 case wijzigen?", "Ernst: Laag"], fr=["Modifier 1 cas ?", "Gravité : Faible"])
def bulk_change_reviewed(v: Visit):
    data = {"case": [str(v.world.case.id)], "bulk_severity": "low"}
    return v.agent().post_form("/agent/bulk", data, page="/agent")


@page("agents.bulk_apply", nl=["1 case is gewijzigd."], fr=["1 cas a été modifié."])
def bulk_change_done(v: Visit):
    data = {"case": [str(v.world.case.id)], "bulk_severity": "low"}
    return v.agent().post_form("/agent/bulk/apply", data, page="/agent", follow_redirects=True)


@page("agents.bulk_apply", nl=["Er is niets gewijzigd."], fr=["Rien n’a été modifié."])
def bulk_change_refused(v: Visit):
    data = {"case": [str(v.world.case.id), str(uuid.uuid4())], "bulk_severity": "low"}
    return v.agent().post_form("/agent/bulk/apply", data, page="/agent", follow_redirects=True)


@page(
    "agents.reports_page", nl=["Rapporten", "Per ernst", "Tevredenheid"], fr=["Rapports", "Par gravité", "Satisfaction"]
)
def agent_reports(v: Visit):
    return v.agent().get("/agent/reports", query_string={"days": "90"})


@page("rating.rate_case", nl=["Bedankt voor uw beoordeling."], fr=["Merci pour votre évaluation."])
def solved_case_rated(v: Visit):
    return _post_case(v, "rating", {"rating": "good", "comment": ""}, case=v.world.solved)


@page(
    "rating.rate_from_mail",
    410,
    signed_in=False,
    nl=["Deze beoordelingslink is niet (meer) geldig."],
    fr=["Ce lien d’évaluation n’est pas (ou plus) valable."],
)
def rating_link_no_longer_valid(v: Visit):
    return v.anonymous().get("/rate/verlopen")


def _rating_link(v: Visit) -> str:
    from support_community.cases.services.satisfaction import link_token

    return f"/rate/{link_token(v.world.solved, v.world.customer_person.sub)}"


@page(
    "rating.rate_from_mail",
    signed_in=False,
    nl=["Uw antwoord: Goed, ik ben tevreden.", "Mijn beoordeling versturen"],
    fr=["Votre réponse : Bien, je suis satisfait.", "Envoyer mon évaluation"],
)
def rating_link_opened(v: Visit):
    return v.anonymous().get(_rating_link(v), query_string={"rating": "good"})


@page(
    "rating.rate_from_mail",
    signed_in=False,
    nl=["Bedankt voor uw beoordeling.", "Uw beoordeling is opgeslagen.", "Voeg een opmerking toe"],
    fr=["Merci pour votre évaluation.", "Votre évaluation est enregistrée.", "Ajoutez un commentaire"],
)
def rating_comment_saved(v: Visit):
    link, browser = _rating_link(v), v.anonymous()
    browser.post_form(link, {"rating": "good"}, page=f"{link}?rating=good")
    return browser.post_form(link, {"rating": "good", "comment": "Snel."}, page=link, follow_redirects=True)


# -- the knowledge base ---------------------------------------------------------------------------------
def _seeded(v: Visit):
    """The first article (in the world's language): its address."""
    from support_community.extensions import db
    from support_community.kb.services.seed import SEED_SLUGS, seed_knowledge_base

    seed_knowledge_base()
    db.session.commit()
    return f"/kb/{v.language}/{SEED_SLUGS[v.language]}"


def _kb_editor(v: Visit, language: str | None = None) -> str:
    from support_community.kb.services.seed import SEED_ARTICLE_ID

    _seeded(v)
    return f"/agent/kb/{SEED_ARTICLE_ID}/{language or v.language}"


@page(
    "kb.index",
    signed_in=False,
    nl=["Hulpartikelen", "Zoek in de hulpartikelen", "Alle producten", "Laatst bijgewerkt"],
    fr=["Articles d'aide", "Chercher dans les articles d'aide", "Tous les produits", "Dernière mise à jour"],
)
def help_articles_for_a_visitor(v: Visit):
    _seeded(v)
    return v.anonymous().get("/kb")


@page(
    "kb.index",
    nl=["Artikelen over ‘ondernemingsnummer’", "Open een case"],
    fr=["Articles sur « numéro d'entreprise »", "Ouvrir un cas"],
)
def help_articles_searched(v: Visit):
    _seeded(v)
    query = {"nl": "ondernemingsnummer", "fr": "numéro d'entreprise"}[v.language]
    response = v.customer().get("/kb", query_string={"q": query})
    assert "<mark>" in response.get_data(as_text=True)
    return response


@page("kb.index", nl=["Geen enkel artikel gaat over ‘zebrapad’"], fr=["Aucun article ne parle de « zebrapad »"])
def help_articles_without_a_match(v: Visit):
    return v.customer().get("/kb", query_string={"q": "zebrapad"})


@page(
    "kb.article",
    signed_in=False,
    nl=[
        "Wissel van organisatie",
        "ondernemingsnummer",
        "Was dit artikel nuttig?",
        "Ook in:",
        "Laatst bijgewerkt",
        "Panda-portaal en Support Community · Organisaties en toegang",
    ],
    fr=[
        "Changer d'organisation",
        "numéro d'entreprise",
        "Cet article vous a-t-il été utile ?",
        "Aussi en :",
        "Portail Panda et Support Community · Organisations et accès",
    ],
)
def help_article_for_a_visitor(v: Visit):
    return v.anonymous().get(_seeded(v))


@page("kb.vote", signed_in=False, nl=["Bedankt! Fijn dat het artikel hielp."], fr=["Merci ! Nous sommes heureux"])
def help_article_found_helpful(v: Visit):
    url = _seeded(v)
    return v.anonymous().post_form(f"{url}/feedback", {"helpful": "yes"}, page=url, follow_redirects=True)


@page(
    "cases.new_case",
    nl=["Dit artikel kan uw vraag beantwoorden", "Dit beantwoordde mijn vraag", "Verder: de case openen"],
    fr=["Cet article peut répondre à votre question", "Ceci a répondu à ma question", "Continuer : ouvrir le cas"],
)
def new_case_with_suggestions(v: Visit):
    _seeded(v)
    url = _org(PEETERS, "cases/new")
    typed = {
        "nl": ("Ondernemingsnummer van mijn klant", "Waar geef ik het klantnummer en het ondernemingsnummer in?"),
        "fr": ("Numéro d'entreprise de mon client", "Où saisir le numéro client et le numéro d'entreprise ?"),
    }[v.language]
    data = {
        "product": "accounting",
        "category": str(category("accounting", "vat").id),
        "severity": "low",
        "subject": typed[0],
        "description": typed[1],
    }
    return v.customer().post_form(url, data, page=url)


@page("kb.answered", nl=["Fijn dat het artikel uw vraag beantwoordde."], fr=["Nous sommes heureux que l'article"])
def question_answered_by_an_article(v: Visit):
    from support_community.extensions import db
    from support_community.kb.models import ArticleTranslation
    from support_community.kb.services.seed import SEED_SLUGS

    _seeded(v)
    translation = db.session.query(ArticleTranslation).filter_by(slug=SEED_SLUGS[v.language]).one()
    url = _org(PEETERS, "cases/new")
    return v.customer().post_form(
        _org(PEETERS, "kb/answered"), {"answered": str(translation.id)}, page=url, follow_redirects=True
    )


@page(
    "kb.editor_list",
    nl=["Hulpartikelen: redactie", "Nieuw artikel", "Gepubliceerd", "Wie mag het lezen"],
    fr=["Articles d'aide : rédaction", "Nouvel article", "Publié", "Qui peut le lire"],
)
def help_articles_editor(v: Visit):
    _seeded(v)
    return v.agent().get("/agent/kb")


@page(
    "kb.new_article",
    nl=["Nieuw artikel", "Voorbeeld", "Concept bewaren", "Bewaren en publiceren", "Iedereen, ook zonder aan te melden"],
    fr=["Nouvel article", "Aperçu", "Enregistrer le brouillon", "Enregistrer et publier", "Tout le monde"],
)
def new_help_article(v: Visit):
    return v.agent().get("/agent/kb/new")


@page("kb.new_article", nl=["Voorbeeld (niet bewaard)"], fr=["Aperçu (non enregistré)"])
def new_help_article_previewed(v: Visit):
    data = {"language": v.language, "title": "Titel", "body": "**Tekst**", "visibility": "public", "action": "preview"}
    return v.agent().post_form("/agent/kb/new", data, page="/agent/kb/new")


@page(
    "kb.edit",
    nl=["Deze versie", "Gepubliceerd", "Talen", "Wat lezers zeiden", "Geschiedenis", "Depubliceren"],
    fr=["Cette version", "Publié", "Langues", "Ce que les lecteurs ont dit", "Historique", "Dépublier"],
)
def help_article_in_the_editor(v: Visit):
    return v.agent().get(_kb_editor(v))


@page(
    "kb.edit",
    409,
    nl=["Iemand anders heeft dit artikel intussen bewaard."],
    fr=["Quelqu'un d'autre a enregistré cet article entre-temps."],
)
def help_article_saved_over_a_newer_version(v: Visit):
    url = _kb_editor(v)
    data = {"title": "Titel", "body": "Tekst", "visibility": "public", "base_revision": "0", "action": "save"}
    return v.agent().post_form(url, data, page=url)


@page("kb.edit", nl=["Uw concept is bewaard als versie 1."], fr=["Votre brouillon est enregistré comme version 1."])
def help_article_translation_drafted(v: Visit):
    from support_community.extensions import db
    from support_community.kb.services.editing import create_article

    saved = create_article(
        actor=None,
        language="en",
        title="Printing",
        body="Print.",
        product_key=None,
        category_id=None,
        visibility="public",
    )
    db.session.commit()
    url = f"/agent/kb/{saved.translation.article_id}/{v.language}"
    data = {"title": "Titel", "body": "Tekst", "visibility": "public", "base_revision": "0", "action": "save"}
    return v.agent().post_form(url, data, page=url, follow_redirects=True)


@page("kb.unpublish", nl=["staat niet meer op de site"], fr=["n'est plus sur le site"])
def help_article_unpublished(v: Visit):
    url = _kb_editor(v)
    return v.agent().post_form(f"{url}/unpublish", {}, page=url, follow_redirects=True)


@page("kb.publish", nl=["is gepubliceerd."], fr=["est publiée."])
def help_article_published_again(v: Visit):
    url = _kb_editor(v)
    client = v.agent()
    client.post_form(f"{url}/unpublish", {}, page=url)
    return client.post_form(f"{url}/publish", {}, page=url, follow_redirects=True)


@page(
    "kb.history",
    nl=["Geschiedenis van", "Versie 1", "Geladen met de eerste artikelen"],
    fr=["Historique de", "Version 1", "Chargé avec les premiers articles"],
)
def help_article_history(v: Visit):
    return v.agent().get(f"{_kb_editor(v)}/history")


@page(
    "kb.report",
    nl=["Rapport hulpartikelen", "vragen beantwoord zonder case", "De laatste 30 dagen"],
    fr=["Rapport des articles d'aide", "questions résolues sans cas", "Les 30 derniers jours"],
)
def help_articles_report(v: Visit):
    return v.agent().get("/agent/kb/report")


@page(
    "agents.case_article_link",
    nl=["Een hulpartikel koppelen", "Koppeling invoegen", "in de taal van de klant"],
    fr=["Lier un article d'aide", "Insérer le lien", "dans la langue du client"],
)
def agent_help_article_linked(v: Visit):
    from support_community.extensions import db
    from support_community.kb.models import ArticleTranslation
    from support_community.kb.services.seed import SEED_ARTICLE_ID

    _seeded(v)
    translation = db.session.query(ArticleTranslation).filter_by(article_id=SEED_ARTICLE_ID, language="en").one()
    data = {"body": "Zie:", "article": str(translation.id)}
    response = _post_agent(v, "article-link", data, follow=False)
    assert f"/kb/{v.language}/" in response.get_data(as_text=True)
    return response


# -- webhooks: an organization's administrator (Griet, of Boulangerie Dupont SRL) and the agents ----------
def _webhooks(v: Visit, *, vendor: bool) -> tuple[object, str]:
    """The browser of whoever manages these webhooks and the address of their list."""
    return (v.agent(), "/webhooks") if vendor else (v.customer(), _org(DUPONT, "webhooks"))


def _subscription(v: Visit, *, vendor: bool = False, paused: bool = False) -> tuple[str, str]:
    """A subscription whose receiver (on a loopback port) got a test event; its page and its delivery's id."""
    from sqlalchemy import update

    from shared.database import utcnow
    from support_community.extensions import db
    from support_community.outbox.models import OutboxMessage
    from support_community.outbox.services import outbox
    from support_community.webhooks.services import webhooks
    from tests.shared.webhooks.receiver import Receiver

    v.monkeypatch.setitem(v.app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    receiver = Receiver().start()
    v.receivers.append(receiver)
    by = (v.world.agent_person if vendor else v.world.customer_person).sub
    subscription, _secret = webhooks.create(
        organization_id=None if vendor else uuid.UUID(DUPONT["id"]),
        url=receiver.url,
        description="Boekhoudpakket",
        events=["case.created"],
        actor_id=by,
    )
    delivery = webhooks.send_test(subscription, actor_id=by)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).values(next_attempt_at=utcnow()))
    db.session.commit()
    outbox.deliver_due(v.app)
    assert receiver.received, "the receiver got the test event"
    if paused:
        webhooks.pause(subscription, actor_id=by)
    db.session.commit()
    return f"{_webhooks(v, vendor=vendor)[1]}/{subscription.id}", str(delivery.id)


def _webhook_action(v: Visit, action: str, *, vendor: bool = False, paused: bool = False):
    url, delivery_id = _subscription(v, vendor=vendor, paused=paused)
    client, _list = _webhooks(v, vendor=vendor)
    path = f"{url}/deliveries/{delivery_id}/redeliver" if action == "redeliver" else f"{url}/{action}"
    return client.post_form(path, {}, page=url, follow_redirects=True)


WEBHOOKS_OF = {
    False: {
        "nl": ["Gebeurtenissen van Boulangerie Dupont SRL."],
        "fr": ["Événements de Boulangerie Dupont SRL."],
    },
    True: {
        "nl": ["Gebeurtenissen van alle organisaties, voor de eigen systemen van de leverancier."],
        "fr": ["Événements de toutes les organisations, pour les systèmes du fournisseur."],
    },
}


def _webhook_pages(vendor: bool) -> None:
    """The same pages and buttons for an organization's webhooks (``org``) and the vendor's (``vendor``)."""
    name = "vendor" if vendor else "org"
    whose = "agents" if vendor else "organization"
    of = WEBHOOKS_OF[vendor]

    def register(endpoint: str, label: str, visit: Callable[[Visit], object], status: int = 200, **words):
        visit.__name__ = f"webhooks_of_{whose}_{label}"
        for language in LANGUAGES:
            words[language] = words.get(language, []) + (
                of[language] if endpoint.endswith(("_list", "_detail")) else []
            )
        page(f"webhooks.{name}_{endpoint}", status, **words)(visit)

    def none_yet(v: Visit):
        client, url = _webhooks(v, vendor=vendor)
        return client.get(url)

    register(
        "list",
        "none_yet",
        none_yet,
        nl=["Webhooks", "Webhook toevoegen", "Abonnementen", "Nog geen webhooks."],
        fr=["Webhooks", "Ajouter un webhook", "Abonnements", "Pas encore de webhooks."],
    )

    def one_paused(v: Visit):
        _subscription(v, vendor=vendor, paused=True)
        client, url = _webhooks(v, vendor=vendor)
        return client.get(url)

    register(
        "list",
        "one_paused",
        one_paused,
        nl=["URL van het eindpunt", "Boekhoudpakket", "Gepauzeerd"],
        fr=["URL du point de réception", "Boekhoudpakket", "En pause"],
    )

    def new_form(v: Visit):
        client, url = _webhooks(v, vendor=vendor)
        return client.get(f"{url}/new")

    register(
        "new",
        "new_form",
        new_form,
        nl=["Webhook toevoegen", "URL van het eindpunt"],
        fr=["Ajouter un webhook", "URL du point de réception"],
    )

    def new_form_sent_empty(v: Visit):
        client, url = _webhooks(v, vendor=vendor)
        return client.post_form(f"{url}/new", {"url": "", "events": []}, page=f"{url}/new")

    register(
        "new", "new_form_sent_empty", new_form_sent_empty, 400, nl=["Dit veld is vereist"], fr=["Ce champ est requis"]
    )

    def new_form_with_a_private_address(v: Visit):
        client, url = _webhooks(v, vendor=vendor)
        data = {"url": "http://10.0.0.7/haak", "events": ["case.created"]}
        return client.post_form(f"{url}/new", data, page=f"{url}/new")

    register(
        "new",
        "new_form_with_a_private_address",
        new_form_with_a_private_address,
        400,
        nl=["privé-, lokaal of gereserveerd adres"],
        fr=["adresse privée, locale ou réservée"],
    )

    def added(v: Visit):
        from tests.shared.webhooks.receiver import Receiver

        v.monkeypatch.setitem(v.app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
        receiver = Receiver().start()
        v.receivers.append(receiver)
        client, url = _webhooks(v, vendor=vendor)
        data = {"url": receiver.url, "description": "Boekhoudpakket", "events": ["case.created"]}
        return client.post_form(f"{url}/new", data, page=f"{url}/new")

    register(
        "new",
        "added_with_its_secret",
        added,
        nl=["Ondertekeningsgeheim", "Ik heb het geheim bewaard"],
        fr=["Secret de signature", "J'ai conservé le secret"],
    )

    def detail(v: Visit):
        url, _delivery = _subscription(v, vendor=vendor)
        return _webhooks(v, vendor=vendor)[0].get(url)

    register(
        "detail",
        "detail",
        detail,
        nl=["Actief", "Recente berichten", "Afgeleverd", "Opnieuw versturen", "Deze webhook verwijderen"],
        fr=["Actif", "Envois récents", "Livré", "Renvoyer", "Supprimer ce webhook"],
    )

    def saved(v: Visit):
        url, _delivery = _subscription(v, vendor=vendor)
        client = _webhooks(v, vendor=vendor)[0]
        page_html = client.get(url).get_data(as_text=True)
        receiver_url = v.receivers[-1].url
        assert receiver_url in page_html
        data = {"url": receiver_url, "description": "Facturatie", "events": ["case.created", "case.replied"]}
        return client.post_form(url, data, page=url, follow_redirects=True)

    register(
        "detail",
        "saved",
        saved,
        nl=["Het abonnement is bewaard."],
        fr=["L'abonnement a été enregistré."],
    )

    register(
        "rotate",
        "secret_rotated",
        lambda v: _webhook_action(v, "rotate", vendor=vendor),
        nl=["Ondertekeningsgeheim", "24 uur"],
        fr=["Secret de signature", "24 heures"],
    )
    register(
        "pause",
        "paused",
        lambda v: _webhook_action(v, "pause", vendor=vendor),
        nl=["De verzending is gepauzeerd.", "Verzending hervatten"],
        fr=["Les envois sont en pause.", "Reprendre les envois"],
    )
    register(
        "resume",
        "resumed",
        lambda v: _webhook_action(v, "resume", vendor=vendor, paused=True),
        nl=["De verzending is hervat.", "Verzending pauzeren"],
        fr=["Les envois ont repris.", "Mettre les envois en pause"],
    )
    register(
        "delete",
        "deleted",
        lambda v: _webhook_action(v, "delete", vendor=vendor),
        nl=["Het abonnement is verwijderd.", "Nog geen webhooks."],
        fr=["L'abonnement a été supprimé.", "Pas encore de webhooks."],
    )
    register(
        "test",
        "test_event_sent",
        lambda v: _webhook_action(v, "test", vendor=vendor),
        nl=["Er is een testgebeurtenis onderweg.", "Wacht op verzending"],
        fr=["Un événement de test est en route.", "En attente d'envoi"],
    )
    register(
        "redeliver",
        "sent_again",
        lambda v: _webhook_action(v, "redeliver", vendor=vendor),
        nl=["De gebeurtenis wordt opnieuw verstuurd."],
        fr=["L'événement est renvoyé."],
    )


_webhook_pages(vendor=False)
_webhook_pages(vendor=True)


# -- pages only an error shows -------------------------------------------------------------------------
@page("cases.case_detail", 404, nl=["Pagina niet gevonden"], fr=["Page introuvable"])
def unknown_case(v: Visit):
    return v.customer().get(_org(PEETERS, f"cases/{uuid.uuid4()}"))


@page("cases.org_home", 404, nl=["Pagina niet gevonden"], fr=["Page introuvable"])
def organization_the_token_does_not_list(v: Visit):
    return v.customer().get(f"/orgs/{uuid.uuid4()}/")


@page("agents.queue", 403, nl=["U kunt deze pagina niet openen"], fr=["Vous ne pouvez pas ouvrir cette page"])
def agent_queue_for_a_customer(v: Visit):
    return v.customer().get("/agent")


@page(
    "cases.follow",
    401,
    signed_in=False,
    nl=["Meld u eerst aan", "Aanmelden met Panda"],
    fr=["Connectez-vous d'abord", "Se connecter avec Panda"],
)
def follow_without_signing_in(v: Visit):
    return v.anonymous().post_form(_org(PEETERS, f"cases/{v.world.case.id}/follow"), {}, page="/")


@page(
    "cases.follow",
    400,
    nl=["Deze aanvraag kan niet verwerkt worden", "laad de pagina opnieuw"],
    fr=["Cette demande ne peut pas être traitée", "rechargez la page"],
)
def form_without_its_security_token(v: Visit):
    return v.customer().post(_org(PEETERS, f"cases/{v.world.case.id}/follow"), data={})


@page(
    "cases.new_case",
    413,
    nl=["De bestanden zijn te groot", "Er werd niets opgeslagen."],
    fr=["Les fichiers sont trop volumineux", "Rien n'a été enregistré."],
)
def files_too_large_for_any_form(v: Visit):
    client = v.customer()
    url = _org(PEETERS, "cases/new")
    token = client.csrf_token(url)
    v.monkeypatch.setitem(v.app.config, "MAX_CONTENT_LENGTH", 2048)
    return client.post(
        url,
        data={"csrf_token": token, "attachments": (io.BytesIO(b"a" * 10_000), "groot.txt")},
        content_type="multipart/form-data",
    )


@page(
    "cases.all_clients",
    503,
    nl=["De aanmeldservice is niet beschikbaar"],
    fr=["Le service de connexion est indisponible"],
)
def panda_unreachable(v: Visit):
    client = v.customer()
    with client.session_transaction() as session:
        session["tokens"] = dict(session["tokens"], expires_at=0)
    v.fake_panda.failures["token"] = 503
    return client.get("/cases")


# -- the walk ----------------------------------------------------------------------------------------
@pytest.fixture()
def visit(make_world, browser, community, monkeypatch, fake_panda):
    receivers: list = []

    def make(language: str) -> Visit:
        return Visit(make_world(language), language, browser, community, monkeypatch, fake_panda, receivers)

    yield make
    for receiver in receivers:
        receiver.stop()


def test_every_route_is_visited(community):
    # The API answers programs (JSON, problem+json; its texts are tested in tests/community/api).
    endpoints = {rule.endpoint for rule in community.url_map.iter_rules() if not rule.rule.startswith("/api/")}
    visited = {page.endpoint for page in PAGES.values()}
    assert endpoints - NOT_PAGES - visited == set()
    assert visited - endpoints == set()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_speaks_the_language(name, language, visit, community, english_left):
    page = PAGES[name]
    hit: list[str] = []

    def record(_sender, **_extra):
        hit.append(request.url_rule.endpoint if request.url_rule else "")

    with request_started.connected_to(record, community):
        response = page.visit(visit(language))

    assert page.endpoint in hit
    assert response.status_code == page.status
    html = response.get_data(as_text=True)
    assert html_lang(html) == language
    text = page_text(html)
    assert english_left(text) == []
    for word in page.words.get(language, []) + [SWITCH[language] if page.signed_in else SIGN_IN[language]]:
        assert word in text, f"{word!r} missing from {name} in {language}"
