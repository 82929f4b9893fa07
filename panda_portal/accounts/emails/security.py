"""Mails that keep a person's account safe: a sign-in from a new browser, a change of address, a deletion."""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale

from panda_portal.accounts.emails import account_links, issuer
from panda_portal.accounts.models import Account
from panda_portal.outbox.services import outbox
from shared.i18n import locale_for
from shared.outbox.rendering import queue_mail


def send_new_browser(account: Account, *, user_agent: str, address: str, when: dt.datetime) -> None:
    """Someone signed in to the account from a browser it had not been used with."""
    from panda_portal.accounts.services.sessions import describe_agent, describe_place

    with force_locale(locale_for(account.language)):
        device, browser = describe_agent(user_agent)
        place = describe_place(address, account.language)
    queue_mail(
        outbox,
        "accounts_new_browser",
        to=account.email,
        locale=account.language,
        person_name=account.name,
        device=device,
        browser=browser,
        place=place,
        when=when,
        sessions_url=f"{issuer()}/account/sessions",
        two_step_url=f"{issuer()}/account/two-step",
        **account_links(),
    )


def send_email_change_confirmation(account: Account, new_email: str, token: str, *, hours: int) -> None:
    queue_mail(
        outbox,
        "accounts_email_change_confirm",
        to=new_email,
        locale=account.language,
        person_name=account.name,
        new_email=new_email,
        link=f"{issuer()}/account/email/confirm/{token}",
        hours=hours,
        **account_links(),
    )


def send_email_taken(account: Account, new_email: str) -> None:
    """The address asked for belongs to another account: its owner is told, the requester is not."""
    queue_mail(outbox, "accounts_email_change_taken", to=new_email, locale=account.language, **account_links())


def send_email_changed(account: Account, old_email: str, new_email: str, undo_token: str, *, days: int) -> None:
    """Told to the old address, with the way back."""
    queue_mail(
        outbox,
        "accounts_email_changed",
        to=old_email,
        locale=account.language,
        person_name=account.name,
        old_email=old_email,
        new_email=new_email,
        undo_link=f"{issuer()}/account/email/undo/{undo_token}",
        days=days,
        **account_links(),
    )


def send_account_deleted(email: str, name: str, language: str) -> None:
    queue_mail(outbox, "accounts_deleted", to=email, locale=language, person_name=name, **account_links())
