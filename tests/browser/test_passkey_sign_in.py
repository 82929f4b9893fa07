"""A passkey signs in without a password, and an organization that requires two-step verification, on a phone.

Passkeys need a real host name (WebAuthn refuses IP addresses): the passkey browser
uses localhost, with Chromium's virtual authenticator (resident keys, user verification).
The organization's screens are taken at 375 px in Dutch and French: Panda marks the
organization for a member without two-step verification, and the community says why it
is missing. ``TWO_STEP_SCREENSHOTS=<folder>`` keeps the pictures.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest

from tests.browser.harness import DESKTOP, PASSWORD, PHONE, Person, serious_violations

pytestmark = pytest.mark.browser

STEP = 30


def _virtual_authenticator(context, page) -> tuple[object, str]:
    session = context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return session, added["authenticatorId"]


def test_a_passkey_signs_in_without_a_password(stack, chromium, axe_source):
    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db as panda_db
    from tests.portal.mfa.helpers import turn_on

    email = f"els.passkey.{uuid.uuid4().hex[:6]}@example.be"
    with stack.panda.test_request_context("/"):
        account = create_account(email, "Els Claes", PASSWORD, "nl", verified=True)
        panda_db.session.commit()
        secret, _codes = turn_on(account)
    app = pyotp.TOTP(secret)

    context = chromium.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(15_000)
    try:
        site = SimpleNamespace(
            panda_url=f"http://localhost:{stack.panda_port}", community_url=f"http://localhost:{stack.community_port}"
        )
        els = Person(site, context, name="Els Claes", email=email, language="nl")
        authenticator, authenticator_id = _virtual_authenticator(context, els.page)

        # Signed in with her password and her app's code, she adds a passkey.
        els.panda("/sign-in")
        els.page.fill("#email", email)
        els.page.fill("#password", PASSWORD)
        els.submit("main form[action^='/sign-in']")
        els.page.fill("#code", app.at(time.time() + STEP))
        els.submit("main form[action='/sign-in/two-step']:not([data-passkey])")
        els.panda("/account/two-step/passkeys")
        els.page.fill("#name", "Telefoon")
        els.submit("main form[data-passkey='create']")
        assert els.page.locator("main li.passkey").count() == 1
        stored = authenticator.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        assert [credential["isResidentCredential"] for credential in stored["credentials"]] == [True]

        # Signed out, she comes back to a page of hers: the sign-in page offers the passkey.
        els.panda("/")
        els.open_user_menu()
        els.submit("details.user-menu form[action='/sign-out']")
        els.panda("/account/two-step")
        assert els.path.startswith("/sign-in"), els.path
        button = els.page.locator("main form.passkey-sign-in button[type=submit]")
        assert button.is_visible()
        assert button.inner_text().strip() == "Sign in with a passkey"  # signed out: the browser's language
        assert serious_violations(els.page, axe_source) == []

        # No e-mail address, no password, no code: the passkey (with her PIN or fingerprint) is enough.
        els.submit("main form.passkey-sign-in")
        assert els.path == "/account/two-step", els.path
        assert els.page.locator("details.user-menu summary").inner_text().strip() == "Els Claes"
        # Two factors in one: changing the second factor asks for nothing more.
        els.panda("/account/two-step/passkeys")
        assert els.path == "/account/two-step/passkeys"
        stored = authenticator.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        assert stored["credentials"][0]["signCount"] >= 2
    finally:
        context.close()


def _team_requiring_two_step(stack, customer: str, language: str) -> SimpleNamespace:
    """An administrator with two-step verification requires it; a member with access has none."""
    from sqlalchemy import select

    from panda_portal.accounts.services.administration import create_account
    from panda_portal.extensions import db
    from panda_portal.organizations.models import CustomerRecord, Organization
    from panda_portal.organizations.services import joining, members, two_step_requirement
    from tests.portal.mfa.helpers import turn_on

    suffix = uuid.uuid4().hex[:6]
    with stack.panda.test_request_context("/"):
        enterprise_number = db.session.scalar(
            select(CustomerRecord.enterprise_number).where(CustomerRecord.customer_number == customer)
        )
        admin = create_account(f"admin.{suffix}@example.be", "Lotte Maes", PASSWORD, language, verified=True)
        member = create_account(f"member.{suffix}@example.be", "Pieter Maes", PASSWORD, language, verified=True)
        db.session.commit()
        secret, _codes = turn_on(admin)
        organization_id = joining.create_organization(customer, enterprise_number, actor=admin).organization_id
        membership = joining.add_organization(customer, enterprise_number, actor=member)
        organization = db.session.get(Organization, organization_id)
        joining.approve_request(organization, membership.id, actor=admin)
        members.update_membership(membership, role="member", application_keys=["support_community"], actor=admin)
        two_step_requirement.set_requirement(organization, True, actor=admin)
        db.session.commit()
        return SimpleNamespace(
            org_id=str(organization_id), name=organization.name, member=member, admin=admin, secret=secret
        )


EXPECTED = {
    "nl": {
        "panda": "Stel verificatie in twee stappen in om voor deze organisatie te werken",
        "community": "vereist verificatie in twee stappen:",
        "community_page": "Verificatie in twee stappen vereist",
    },
    "fr": {
        "panda": "Configurez la validation en deux étapes pour travailler pour cette organisation",
        "community": "exige la validation en deux étapes :",
        "community_page": "Validation en deux étapes exigée",
    },
}


@pytest.mark.parametrize(("language", "customer"), [("nl", "100239"), ("fr", "100240")])
def test_an_organization_that_requires_two_step_on_a_phone(stack, people, axe_source, tmp_path, language, customer):
    folder = Path(os.environ.get("TWO_STEP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    team = _team_requiring_two_step(stack, customer, language)
    pieter = people("Pieter Maes", team.member.email, language, viewport=PHONE)
    texts = EXPECTED[language]

    def picture(name: str) -> None:
        pieter.page.evaluate("document.activeElement?.blur()")
        assert pieter.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        assert serious_violations(pieter.page, axe_source) == [], name
        target = folder / f"two-step-required-{name}-{language}.png"
        pieter.page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide")
        assert target.stat().st_size > 5_000

    # Panda: the organization is marked, with the way to set it up.
    pieter.sign_in_to_panda()
    assert pieter.lang == language
    pieter.panda(f"/orgs/{team.org_id}/")
    card = pieter.page.locator("main section.two-step-needed")
    assert texts["panda"] in card.inner_text()
    assert card.locator(f"a[href='/account/two-step/set-up?next=/orgs/{team.org_id}/']").count() == 1
    picture("panda-organization")
    pieter.panda("/orgs")
    assert texts["panda"] in pieter.page.locator("main").inner_text()
    picture("panda-organizations")

    # The community: the organization is missing, and it says why.
    pieter.sign_in_to_community()
    pieter.community("/switch")
    assert f"{team.name} {texts['community']}" in pieter.page.locator("main").inner_text()
    assert pieter.page.locator(f"main a[href='{stack.panda_url}/account/two-step/set-up']").count() >= 1
    picture("community-switch")
    answer = pieter.community(f"/orgs/{team.org_id}/cases")
    assert answer.status == 404
    assert texts["community_page"] in pieter.page.locator("main h1").inner_text()
    picture("community-organization")


def test_the_administrator_sees_who_has_two_step_on_a_phone(stack, people, axe_source, tmp_path):
    folder = Path(os.environ.get("TWO_STEP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    team = _team_requiring_two_step(stack, "100241", "nl")
    lotte = people("Lotte Maes", team.admin.email, "nl", viewport=PHONE)
    lotte.panda("/sign-in")
    lotte.page.fill("#email", team.admin.email)
    lotte.page.fill("#password", PASSWORD)
    lotte.submit("main form[action^='/sign-in']")
    lotte.page.fill("#code", pyotp.TOTP(team.secret).at(time.time() + STEP))
    lotte.submit("main form[action='/sign-in/two-step']:not([data-passkey])")
    assert lotte.lang == "nl"

    for name, path in (("members", f"/orgs/{team.org_id}/members"), ("settings", f"/orgs/{team.org_id}/settings")):
        lotte.panda(path)
        assert lotte.path == path
        lotte.page.evaluate("document.activeElement?.blur()")
        assert lotte.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        assert serious_violations(lotte.page, axe_source) == [], name
        lotte.page.screenshot(path=str(folder / f"two-step-required-admin-{name}-nl.png"), full_page=True)
    lotte.panda(f"/orgs/{team.org_id}/members?two_step=off")
    rows = lotte.page.locator("main #members-heading ~ div table tbody tr")
    assert rows.count() == 1 and "Pieter Maes" in rows.first.inner_text()
