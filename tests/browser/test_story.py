"""The help-centre article, played in Chromium by the people in it, in English, Dutch and French.

A client administrator and an accountant register and confirm their addresses from
the mails; the accountant adds his client's organization (a request to join) and a
new one of his own; she approves from the mail and ticks "Support Community" on the
screen she lands on; he switches to her organization in Panda and in the community,
opens a case in her name, which an agent answers (and notes on, internally); she
removes the access and the client is gone from his next page; he invites her as
administrator of the organization he created and steps down.

Elements are found by form actions, names, ids and links, never by their words, so
the same test runs in every language; each page's ``<html lang>`` is checked.
"""

from __future__ import annotations

import uuid

import pytest

from tests.browser.steps import add_organization, change_application_access, create_organization, open_case

pytestmark = pytest.mark.browser

# language → (the client's organization, the organization the accountant adds for a new client)
ORGANIZATIONS = {"en": ("100234", "100236"), "nl": ("100237", "100238"), "fr": ("100239", "100241")}


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_an_accountant_manages_cases_in_his_clients_name_from_registration_to_hand_over(
    stack, people, mailbox, language
):
    client_number, new_client_number = ORGANIZATIONS[language]
    suffix = f"{language}.{uuid.uuid4().hex[:6]}"
    admin = people("An Peeters", f"an.{suffix}@example.be", language)
    accountant = people("Jan Janssens", f"jan.{suffix}@example.be", language)

    # Step 1: each has a personal account, confirmed from the mail.
    admin.register_and_verify(mailbox)
    admin.sign_in_to_panda()
    assert admin.lang == language
    client_id = create_organization(admin, client_number)

    accountant.register_and_verify(mailbox)
    accountant.sign_in_to_panda()

    # Step 2: the client's organization is in Panda already: a request to join goes to her.
    add_organization(accountant, client_number)
    assert accountant.path == "/" and accountant.page.locator(".flash-success").count() == 1
    assert accountant.page.locator("main form[action$='/withdraw']").count() == 1  # the pending request
    # A client who is not in Panda yet: he adds the organization and becomes its administrator.
    own_id = create_organization(accountant, new_client_number)
    assert accountant.has_link(f"/orgs/{own_id}/members", "main")

    # In the community, only organizations that granted him the access are listed.
    accountant.sign_in_to_community()
    assert accountant.lang == language
    assert accountant.switcher_lists(own_id) and not accountant.switcher_lists(client_id)

    # Step 3: she approves from the mail and lands on his detail screen, where she ticks the access.
    admin.page.goto(mailbox.link(admin.email, f"/orgs/{client_id}/requests/"))
    assert admin.lang == language
    admin.submit("main form[action$='/approve']")
    assert admin.path.startswith(f"/orgs/{client_id}/members/") and admin.page.url.endswith("#access")
    membership_path = admin.path
    change_application_access(admin, granted=True)

    # He is told by mail, with a link to Panda, where he can now switch to the client's environment.
    accountant.page.goto(mailbox.link(accountant.email, f"{stack.panda_url}/orgs/{client_id}/"))
    assert accountant.path == f"/orgs/{client_id}/"
    accountant.panda("/")
    accountant.switch_to(client_id)
    accountant.switch_to(own_id)

    # Step 4: in the community, "Switch organization" now lists the client; he acts in her name.
    accountant.community("/")
    accountant.open_user_menu()
    accountant.follow('details.user-menu a[href="/switch"]')
    assert accountant.has_link(f"/orgs/{client_id}/", "main") and accountant.has_link(f"/orgs/{own_id}/", "main")
    accountant.switch_to(client_id)
    assert accountant.lang == language
    case_id = open_case(
        accountant,
        client_id,
        f"VAT return rejected ({language})",
        "The VAT return for the second quarter is refused with code 17.",
    )
    case_path = accountant.path

    # A support agent answers, and adds a note for colleagues only.
    agent = people("Sam Support", f"sam.{suffix}@example.be", language)
    stack.create_agent(agent.email, agent.name, language)
    agent.sign_in_to_panda()
    agent.sign_in_to_community()
    assert agent.lang == language
    agent.open_user_menu()
    agent.follow('details.user-menu a[href="/agent"]')
    agent.page.select_option("#status", "open")
    agent.page.select_option("#assignee", "any")
    agent.submit("main form[action='/agent']")
    agent.follow(f'main a[href="/agent/cases/{case_id}"]')
    reply = f"Please send us the export of the declaration ({uuid.uuid4().hex[:6]})."
    note = f"Looks like the known quarter-end bug ({uuid.uuid4().hex[:6]})."
    agent.page.fill("#body", reply)
    agent.submit("main form[action$='/messages']")
    agent.page.fill("#note-body", note)
    agent.submit("main form[action$='/notes']")
    assert agent.page.locator("#conversation .message-internal").filter(has_text=note).count() == 1

    # The accountant sees the reply, never the internal note.
    accountant.page.reload()
    assert accountant.page.locator("ol.timeline .message-support").filter(has_text=reply).count() == 1
    assert note not in accountant.page.content()

    # She removes the access again: the client is gone from his very next page in the community.
    admin.panda(membership_path)
    change_application_access(admin, granted=False)
    stack.wait_for_panda_outbox()  # the back-channel message to the community
    accountant.follow("a.brand")
    assert accountant.page.url.startswith(stack.community_url)
    assert not accountant.has_link(f"/orgs/{client_id}/") and accountant.has_link(f"/orgs/{own_id}/")
    assert accountant.community(case_path).status == 404

    # Hand-over: he invites her as administrator of the organization he created, and steps down.
    accountant.panda("/")
    accountant.switch_to(own_id)
    accountant.follow(f'main a[href="/orgs/{own_id}/members"]')
    accountant.follow(f'main a[href="/orgs/{own_id}/invitations/new?role=admin"]')
    assert accountant.page.locator("#role-admin").is_checked()
    accountant.page.fill("#email", admin.email)
    accountant.page.check("#application-support_community")
    accountant.submit(f"main form[action='/orgs/{own_id}/invitations/new']")
    assert accountant.path == f"/orgs/{own_id}/members"

    admin.page.goto(mailbox.link(admin.email, "/invitations/"))
    assert admin.lang == language
    admin.submit("main form[action^='/invitations/']")
    assert admin.path == f"/orgs/{own_id}/" and admin.has_link(f"/orgs/{own_id}/members", "main")

    accountant.follow(f'main a[href="/orgs/{own_id}/step-down"]')
    accountant.submit(f"main form[action='/orgs/{own_id}/step-down']")
    assert accountant.path == f"/orgs/{own_id}/"
    assert not accountant.has_link(f"/orgs/{own_id}/members", "main")
    assert accountant.lang == language
