"""Every Panda page, in Dutch and in French: the right ``<html lang>``, the glossary's words, no English left.

The pages are reached the way people reach them: a GET for every route of the
URL map, and the pages that only answer a form (a confirmation, an error, a
throttled attempt) through that form. Signed-in pages are seen by Griet, an
administrator whose account is in the language under test; public pages by a
visitor whose browser asks for it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask import template_rendered

from panda_portal.accounts.models import AccountToken
from panda_portal.organizations.models import MembershipStatus
from tests.i18n_checks import html_lang, page_text
from tests.portal.i18n.helpers import INVITATION_TOKEN, LANGUAGES, REQUESTED_AT, World

TEMPLATES = Path(__file__).resolve().parents[3] / "panda_portal" / "templates"
# Routes that answer machines with JSON, not people with pages.
NOT_PAGES = {"/.well-known/openid-configuration", "/jwks", "/healthz", "/readyz", "/userinfo"}


@dataclass
class Visit:
    world: World
    browser: Callable
    language: str
    monkeypatch: pytest.MonkeyPatch
    db: object
    app: object

    def as_admin(self):
        return self.browser(signed_in=self.world.admin)

    def anonymous(self):
        return self.browser(accept_language=self.language)

    def link(self, purpose: str, *, verified: bool) -> str:
        from panda_portal.accounts.models import Account
        from panda_portal.accounts.services.links import issue_link

        account = Account(
            email=f"{purpose}@boekhouding-claes.test",
            name="An Claes",
            language="nl",
            email_verified_at=None if not verified else REQUESTED_AT,
        )
        self.db.session.add(account)
        self.db.session.flush()
        lifetime = dt.timedelta(hours=1)
        token = issue_link(account, purpose, lifetime)
        self.db.session.commit()
        return token


def _org(v: Visit, path: str = "") -> str:
    return f"/orgs/{v.world.org_id}/{path}"


def _confirm_members_change(v: Visit):
    url = _org(v, f"members/{v.world.membership.id}")
    return v.as_admin().post_form(url, {"role": "admin", "applications": ["boekhouding"]}, page=url)


def _throttled_mail_form(v: Visit):
    v.monkeypatch.setitem(v.app.config, "EMAIL_LIMIT_PER_ADDRESS", "1 per hour")
    client = v.anonymous()
    client.post_form("/resend-verification", {"email": "iemand@boekhouding-claes.test"}, page="/resend-verification")
    return client.post_form(
        "/resend-verification", {"email": "iemand@boekhouding-claes.test"}, page="/resend-verification"
    )


def _throttled_add(v: Visit):
    v.monkeypatch.setitem(v.app.config, "ADD_ORGANIZATION_LIMIT", "1 per hour")
    client = v.as_admin()
    wrong = {"customer_number": "999999", "enterprise_number": "0403.170.701"}
    client.post_form("/orgs/add", wrong, page="/orgs/add")
    return client.post_form("/orgs/add", wrong, page="/orgs/add")


def _unconfirmed_sign_in(v: Visit):
    from panda_portal.accounts.services.administration import create_account

    create_account(
        "nog.niet@boekhouding-claes.test", "Nele Wouters", "tulpen rozen en madeliefjes", "nl", verified=False
    )
    v.db.session.commit()
    return v.anonymous().post_form(
        "/sign-in",
        {"email": "nog.niet@boekhouding-claes.test", "password": "tulpen rozen en madeliefjes"},
        page="/sign-in",
    )


def _request_sent(v: Visit):
    # Luc's account is in French: the page's language comes from the menu's cookie.
    client = v.browser(signed_in=v.world.member, chosen_language=v.language)
    return client.post_form(
        "/orgs/add",
        {"customer_number": "100235", "enterprise_number": v.world.other_organization.enterprise_number},
        page="/orgs/add",
        follow_redirects=True,
    )


def _invitee(v: Visit):
    from panda_portal.accounts.models import Account

    jan = Account(
        email="jan.peeters@bakkerij-peeters.test",
        name="Jan Peeters",
        language=v.language,
        email_verified_at=REQUESTED_AT,
    )
    v.db.session.add(jan)
    v.db.session.commit()
    return v.browser(signed_in=jan).get(f"/invitations/{INVITATION_TOKEN}")


def _decided_request(v: Visit):
    from panda_portal.organizations.services import joining

    joining.approve_request(
        v.world.organization, v.world.request.id, actor=v.world.admin, message="Welkom bij de bakkerij!"
    )
    v.db.session.commit()
    return v.as_admin().get(_org(v, f"requests/{v.world.request.id}"))


def _bulk_preview(v: Visit):
    client = v.as_admin()
    rows = "100234,0403.170.701\n100236,0403.170.702\n999999,0403.170.701\n100234,0403.170.701"
    return client.post_form("/orgs/add/bulk", {"rows": rows}, page="/orgs/add/bulk", follow_redirects=True)


def _ensure_two_step(v: Visit) -> None:
    from panda_portal.mfa.services.two_step import is_on
    from tests.portal.mfa.helpers import turn_on

    if not is_on(v.world.admin):  # one world serves every visit in test_every_page_template_is_rendered_by_the_visits
        turn_on(v.world.admin)


def _two_step_on(v: Visit, *, recently_given: bool = True):
    """Griet with two-step verification on; signed in, with a second factor given just now (or not)."""
    import time

    _ensure_two_step(v)
    client = v.as_admin()
    if recently_given:
        with client.session_transaction() as session:
            session["second_factor_at"] = int(time.time())
    return client


def _two_step_set_up(v: Visit, *, right_code: bool):
    from tests.portal.mfa.helpers import code

    client = v.as_admin()
    page = client.get("/account/two-step/set-up").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    typed = code(secret) if right_code else "000000"
    return client.post_form("/account/two-step/set-up", {"code": typed}, page="/account/two-step/set-up")


def _with_a_passkey(v: Visit, client):
    """Griet's passkey (as stored: the ceremony itself is tested in tests/portal/mfa/test_passkeys.py)."""
    from sqlalchemy import select

    from panda_portal.mfa.models import Passkey

    _ensure_two_step(v)
    if v.db.session.scalars(select(Passkey).where(Passkey.account_id == v.world.admin.id)).first() is None:
        v.db.session.add(
            Passkey(
                account_id=v.world.admin.id,
                credential_id="dGVsZWZvb24",
                public_key=b"key",
                name="Telefoon",
                last_used_at=REQUESTED_AT,
            )
        )
        v.db.session.commit()
    return client


def _second_step_of_signing_in(v: Visit):
    _ensure_two_step(v)
    client = v.anonymous()
    credentials = {"email": v.world.admin.email, "password": "paardenbloem zonnebloem korenbloem"}
    return client.post_form("/sign-in", credentials, page="/sign-in", follow_redirects=True)


# label -> (the visit, the status it answers)
PAGES: dict[str, tuple[Callable[[Visit], object], int]] = {
    "home": (lambda v: v.as_admin().get("/"), 200),
    "profile": (lambda v: v.as_admin().get("/account"), 200),
    "my activity": (lambda v: v.as_admin().get("/account/activity"), 200),
    "change password": (lambda v: v.as_admin().get("/account/password"), 200),
    "authorization error": (lambda v: v.anonymous().get("/authorize"), 400),
    "unknown client": (lambda v: v.anonymous().get("/authorize?client_id=onbekend&response_type=code"), 400),
    "sign out of an application": (lambda v: v.as_admin().get("/end-session"), 200),
    "signed out of an application": (lambda v: v.anonymous().get("/end-session"), 200),
    "forgot password": (lambda v: v.anonymous().get("/forgot-password"), 200),
    "register": (lambda v: v.anonymous().get("/register"), 200),
    "resend verification": (lambda v: v.anonymous().get("/resend-verification"), 200),
    "sign in": (lambda v: v.anonymous().get("/sign-in"), 200),
    "wrong password": (
        lambda v: v.anonymous().post_form(
            "/sign-in", {"email": v.world.admin.email, "password": "helemaal niet juist"}, page="/sign-in"
        ),
        200,
    ),
    "unconfirmed address": (_unconfirmed_sign_in, 200),
    "check your mailbox": (
        lambda v: v.anonymous().post_form("/forgot-password", {"email": v.world.admin.email}, page="/forgot-password"),
        200,
    ),
    "too many mails": (_throttled_mail_form, 429),
    "verify": (lambda v: v.anonymous().get(f"/verify/{v.link(AccountToken.VERIFY, verified=False)}"), 200),
    "unknown verification link": (lambda v: v.anonymous().get("/verify/geen-echte-link"), 404),
    "reset password": (
        lambda v: v.anonymous().get(f"/reset-password/{v.link(AccountToken.RESET, verified=True)}"),
        200,
    ),
    "unknown reset link": (lambda v: v.anonymous().get("/reset-password/geen-echte-link"), 404),
    "invitation, signed out": (lambda v: v.anonymous().get(f"/invitations/{INVITATION_TOKEN}"), 200),
    "invitation, other account": (lambda v: v.as_admin().get(f"/invitations/{INVITATION_TOKEN}"), 200),
    "invitation, invited account": (_invitee, 200),
    "unknown invitation": (lambda v: v.anonymous().get("/invitations/geen-echte-uitnodiging"), 404),
    "switch organization": (lambda v: v.as_admin().get("/orgs"), 200),
    "switch organization, filtered": (lambda v: v.as_admin().get("/orgs?q=Bakkerij"), 200),
    "switch organization, nothing found": (lambda v: v.as_admin().get("/orgs?q=Slagerij"), 200),
    "add an organization": (lambda v: v.as_admin().get("/orgs/add"), 200),
    "switcher": (lambda v: v.as_admin().get("/orgs/switch"), 200),
    "switcher, searched": (lambda v: v.as_admin().get("/orgs/switch?q=Bakkerij"), 200),
    "organizations, filtered": (lambda v: v.as_admin().get("/orgs?role=admin&without=support_community"), 200),
    "requests to join": (lambda v: v.as_admin().get("/requests"), 200),
    "ask for access": (lambda v: v.as_admin().get("/ask-for-access?application=boekhouding"), 200),
    "add several organizations": (lambda v: v.as_admin().get("/orgs/add/bulk"), 200),
    "add several organizations, preview": (_bulk_preview, 200),
    "add, not in the register": (
        lambda v: v.as_admin().post_form(
            "/orgs/add", {"customer_number": "999999", "enterprise_number": "0403.170.701"}, page="/orgs/add"
        ),
        422,
    ),
    "add, invalid enterprise number": (
        lambda v: v.as_admin().post_form(
            "/orgs/add", {"customer_number": "100236", "enterprise_number": "0403.170.702"}, page="/orgs/add"
        ),
        422,
    ),
    "add, confirm": (
        lambda v: v.as_admin().post_form(
            "/orgs/add",
            {
                "customer_number": v.world.unregistered.customer_number,
                "enterprise_number": v.world.unregistered.enterprise_number,
            },
            page="/orgs/add",
        ),
        200,
    ),
    "add, throttled": (_throttled_add, 429),
    "add, request sent": (_request_sent, 200),
    "organization home": (lambda v: v.as_admin().get(_org(v)), 200),
    "organization home, member": (lambda v: v.as_admin().get(f"/orgs/{v.world.other_organization.id}/"), 200),
    "audit log": (lambda v: v.as_admin().get(_org(v, "audit")), 200),
    "members": (lambda v: v.as_admin().get(_org(v, "members")), 200),
    "member detail": (lambda v: v.as_admin().get(_org(v, f"members/{v.world.membership.id}")), 200),
    "confirm member changes": (_confirm_members_change, 200),
    "remove a member": (lambda v: v.as_admin().get(_org(v, f"members/{v.world.membership.id}/remove")), 200),
    "request to join": (lambda v: v.as_admin().get(_org(v, f"requests/{v.world.request.id}")), 200),
    "decided request": (_decided_request, 200),
    "approve a request": (
        lambda v: v.as_admin().post_form(
            _org(v, f"requests/{v.world.request.id}/approve"),
            {"approve-message": ""},
            page=_org(v, f"requests/{v.world.request.id}"),
            follow_redirects=True,
        ),
        200,
    ),
    "reject a request": (
        lambda v: v.as_admin().post_form(
            _org(v, f"requests/{v.world.request.id}/reject"),
            {"reject-message": "Onbekende aanvrager."},
            page=_org(v, f"requests/{v.world.request.id}"),
            follow_redirects=True,
        ),
        200,
    ),
    "reject several requests, confirmation": (
        lambda v: v.as_admin().post_form("/requests/reject", {"requests": [_new_request(v)]}, page="/requests"),
        200,
    ),
    "reject several requests, done": (
        lambda v: v.as_admin().post_form(
            "/requests/reject/confirm",
            {"requests": [_new_request(v)], "message": "Onbekende aanvrager."},
            page="/requests",
            follow_redirects=True,
        ),
        200,
    ),
    "invite": (lambda v: v.as_admin().get(_org(v, "invitations/new")), 200),
    "invite, nothing filled in": (
        lambda v: v.as_admin().post_form(
            _org(v, "invitations/new"), {"email": "", "role": "", "language": "xx"}, page=_org(v, "invitations/new")
        ),
        400,
    ),
    "invitation sent": (
        lambda v: v.as_admin().post_form(
            _org(v, "invitations/new"),
            {"email": "boekhouder@boekhouding-claes.test", "role": "member", "language": "nl"},
            page=_org(v, "invitations/new"),
            follow_redirects=True,
        ),
        200,
    ),
    "leave, only administrator": (lambda v: v.as_admin().get(_org(v, "leave")), 200),
    "leave": (lambda v: v.as_admin().get(f"/orgs/{v.world.other_organization.id}/leave"), 200),
    "step down, only administrator": (lambda v: v.as_admin().get(_org(v, "step-down")), 200),
    "withdraw a request": (
        lambda v: v.as_admin().post_form(
            f"/requests/{_pending_of_admin(v)}/withdraw", {}, page="/", follow_redirects=True
        ),
        200,
    ),
    "profile saved": (
        lambda v: v.as_admin().post_form(
            "/account", {"name": "Griet Vermeulen", "language": v.language}, page="/account", follow_redirects=True
        ),
        200,
    ),
    "signed out": (
        lambda v: v.browser(signed_in=v.world.admin, accept_language=v.language).post_form(
            "/sign-out", {}, page="/", follow_redirects=True
        ),
        200,
    ),
    "page not found": (lambda v: v.as_admin().get(f"/orgs/{uuid.uuid4()}/"), 404),
    "no access": (lambda v: v.as_admin().get(f"/orgs/{v.world.other_organization.id}/members"), 403),
    "no such address": (lambda v: v.anonymous().get("/bestaat-niet"), 404),
    # Two-step verification, last (one world serves every visit in
    # test_every_page_template_is_rendered_by_the_visits): set up while it is off, then the pages for when it is on.
    "set up two-step verification": (lambda v: v.as_admin().get("/account/two-step/set-up"), 200),
    "set up two-step verification, wrong code": (lambda v: _two_step_set_up(v, right_code=False), 400),
    "recovery codes": (lambda v: _two_step_set_up(v, right_code=True), 200),
    "two-step verification": (lambda v: v.as_admin().get("/account/two-step"), 200),
    "two-step verification, on": (lambda v: _two_step_on(v).get("/account/two-step"), 200),
    "new recovery codes": (lambda v: _two_step_on(v).get("/account/two-step/recovery-codes"), 200),
    "turn off two-step verification": (lambda v: _two_step_on(v).get("/account/two-step/turn-off"), 200),
    "confirm it is you": (
        lambda v: _two_step_on(v, recently_given=False).get("/account/two-step/confirm?next=/account/password"),
        200,
    ),
    "second step of signing in": (_second_step_of_signing_in, 200),
    "passkeys": (lambda v: _two_step_on(v).get("/account/two-step/passkeys"), 200),
    "passkeys, one added": (lambda v: _with_a_passkey(v, _two_step_on(v)).get("/account/two-step/passkeys"), 200),
    "second step of signing in, with a passkey": (
        lambda v: _with_a_passkey(v, None) or _second_step_of_signing_in(v),
        200,
    ),
}

# The GET route each page above starts from (the URL map must hold no other page).
ROUTE_PAGES = {
    "/": "home",
    "/account": "profile",
    "/account/activity": "my activity",
    "/account/password": "change password",
    "/account/two-step": "two-step verification",
    "/account/two-step/set-up": "set up two-step verification",
    "/account/two-step/recovery-codes": "new recovery codes",
    "/account/two-step/turn-off": "turn off two-step verification",
    "/account/two-step/confirm": "confirm it is you",
    "/sign-in/two-step": "second step of signing in",
    "/account/two-step/passkeys": "passkeys",
    "/authorize": "authorization error",
    "/end-session": "sign out of an application",
    "/forgot-password": "forgot password",
    "/register": "register",
    "/resend-verification": "resend verification",
    "/sign-in": "sign in",
    "/verify/<token>": "verify",
    "/reset-password/<token>": "reset password",
    "/invitations/<token>": "invitation, signed out",
    "/orgs": "switch organization",
    "/orgs/add": "add an organization",
    "/orgs/switch": "switcher",
    "/requests": "requests to join",
    "/ask-for-access": "ask for access",
    "/orgs/add/bulk": "add several organizations",
    "/orgs/add/bulk/<batch_id>": "add several organizations, preview",
    # A CSV file, not a page: its language is tested in tests/portal/organizations/test_bulk_adding.py.
    "/orgs/add/bulk/<batch_id>/result.csv": "add several organizations, preview",
    "/orgs/<org_id>/": "organization home",
    "/orgs/<org_id>/audit": "audit log",
    "/orgs/<org_id>/members": "members",
    "/orgs/<org_id>/members/<membership_id>": "member detail",
    "/orgs/<org_id>/members/<membership_id>/remove": "remove a member",
    "/orgs/<org_id>/requests/<membership_id>": "request to join",
    "/orgs/<org_id>/invitations/new": "invite",
    "/orgs/<org_id>/leave": "leave",
    "/orgs/<org_id>/step-down": "step down, only administrator",
}


# -- one's sessions, address, data and account ----------------------------------------------------
def _email_change(v: Visit, *, confirmed: bool) -> str:
    """A change of the administrator's address to confirm (or, once ``confirmed``, to undo); its token."""
    import secrets

    from panda_portal.accounts.models import EmailChange
    from panda_portal.accounts.services.email_change import _digest
    from shared.database import utcnow

    token = secrets.token_urlsafe(16)
    now = utcnow()
    v.db.session.add(
        EmailChange(
            account_id=v.world.admin.id,
            old_email=v.world.admin.email,
            new_email=f"nieuw.{uuid.uuid4().hex[:6]}@boekhouding-claes.test",
            confirm_hash=_digest(token if not confirmed else secrets.token_urlsafe(16)),
            confirm_expires_at=now + dt.timedelta(hours=1),
            confirmed_at=now if confirmed else None,
            undo_hash=_digest(token) if confirmed else None,
            undo_expires_at=now + dt.timedelta(days=7) if confirmed else None,
        )
    )
    v.db.session.commit()
    return token


def _someone_without_two_step(v: Visit):
    """A browser signed in as a new person without two-step verification (password: tulpen rozen en madeliefjes)."""
    from panda_portal.accounts.services.administration import create_account

    account = create_account(
        f"wim.{uuid.uuid4().hex[:6]}@boekhouding-claes.test",
        "Wim Wouters",
        "tulpen rozen en madeliefjes",
        v.language,
        verified=True,
    )
    v.db.session.commit()
    return v.browser(signed_in=account, chosen_language=v.language)


def _address_change_sent(v: Visit):
    from panda_portal.extensions import limiter

    # Earlier visits of the same walk (the throttled forms) used up the mail limit of this test client's address.
    limiter.reset()
    return _someone_without_two_step(v).post_form(
        "/account/email",
        {"email": "ergens.anders@boekhouding-claes.test", "password": "tulpen rozen en madeliefjes"},
        page="/account/email",
    )


def _admin_confirmed(v: Visit):
    """Griet's browser; with a second factor given just now once she has two-step verification on."""
    from panda_portal.mfa.services.two_step import is_on

    return _two_step_on(v) if is_on(v.world.admin) else v.as_admin()


def _deleted_account(v: Visit):
    form = {"password": "tulpen rozen en madeliefjes", "understood": "y"}
    return _someone_without_two_step(v).post_form("/account/delete", form, page="/account/delete")


PAGES.update(
    {
        "where you are signed in": (lambda v: v.as_admin().get("/account/sessions"), 200),
        "change e-mail address": (lambda v: _someone_without_two_step(v).get("/account/email"), 200),
        "change e-mail address, link sent": (_address_change_sent, 200),
        "confirm the new e-mail address": (
            lambda v: v.anonymous().get(f"/account/email/confirm/{_email_change(v, confirmed=False)}"),
            200,
        ),
        "unknown e-mail address link": (lambda v: v.anonymous().get("/account/email/confirm/geen-echte-link"), 404),
        "undo the change of e-mail address": (
            lambda v: v.anonymous().get(f"/account/email/undo/{_email_change(v, confirmed=True)}"),
            200,
        ),
        "change of e-mail address undone": (
            lambda v: (lambda path: v.anonymous().post_form(path, {}, page=path))(
                f"/account/email/undo/{_email_change(v, confirmed=True)}"
            ),
            200,
        ),
        "your data": (lambda v: _admin_confirmed(v).get("/account/data"), 200),
        "delete your account, last administrator": (lambda v: _admin_confirmed(v).get("/account/delete"), 200),
        "delete your account": (lambda v: _someone_without_two_step(v).get("/account/delete"), 200),
        "account deleted": (_deleted_account, 200),
    }
)
ROUTE_PAGES.update(
    {
        "/account/sessions": "where you are signed in",
        "/account/email": "change e-mail address",
        "/account/email/confirm/<token>": "confirm the new e-mail address",
        "/account/email/undo/<token>": "undo the change of e-mail address",
        "/account/data": "your data",
        "/account/delete": "delete your account, last administrator",
    }
)


# -- personal access tokens ------------------------------------------------------------------------
def _token_made(v: Visit):
    # Making one asks for a recent second factor of those who have one: given just now.
    client = _two_step_on(v)
    form = {"name": "Boekhoudpakket", "scopes": ["orgs:read"], "days": "30"}
    return client.post_form("/account/tokens", form, page="/account/tokens")


PAGES.update(
    {
        "personal access tokens": (lambda v: v.as_admin().get("/account/tokens"), 200),
        "personal access token made": (_token_made, 201),
        "personal access tokens of an organization": (
            lambda v: v.as_admin().get(_org(v, "settings/personal-tokens")),
            200,
        ),
    }
)
ROUTE_PAGES.update(
    {
        "/account/tokens": "personal access tokens",
        "/orgs/<org_id>/settings/personal-tokens": "personal access tokens of an organization",
    }
)


# -- the organization's settings: two-step verification for everyone --------------------------------
def _settings_saved(v: Visit, client):
    url = _org(v, "settings")
    return client.post_form(url, {"requires_two_step": "y"}, page=url, follow_redirects=True)


PAGES.update(
    {
        "organization settings": (lambda v: v.as_admin().get(_org(v, "settings")), 200),
        # Whoever requires it without having it is sent to set it up first (a message says why).
        "organization settings, set up your own first": (lambda v: _settings_saved(v, v.as_admin()), 200),
        "organization settings, required": (lambda v: _settings_saved(v, _two_step_on(v)), 200),
    }
)
ROUTE_PAGES["/orgs/<org_id>/settings"] = "organization settings"


# -- webhooks: an organization's administrators (Griet) and the vendor's staff --------------------------
def _staff(v: Visit):
    """A browser signed in as one of the vendor's support staff, in the language under test."""
    from panda_portal.accounts.services.administration import create_account

    account = create_account(
        f"staf.{uuid.uuid4().hex[:6]}@panda.test",
        "Els Staf",
        "tulpen rozen en madeliefjes",
        v.language,
        verified=True,
        support_agent=True,
    )
    v.db.session.commit()
    return v.browser(signed_in=account)


def _webhook(v: Visit, *, vendor: bool = False) -> str:
    """A subscription with a test event waiting to be sent (to a loopback port, allowed as in development); its page."""
    from panda_portal.webhooks.services import webhooks

    v.monkeypatch.setitem(v.app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    subscription, _secret = webhooks.create(
        organization_id=None if vendor else v.world.organization.id,
        url="http://127.0.0.1:9/haak",
        description="Boekhoudpakket",
        events=["membership.changed"],
        actor_id=str(v.world.admin.id),
    )
    webhooks.send_test(subscription, actor_id=str(v.world.admin.id))
    v.db.session.commit()
    return f"/webhooks/{subscription.id}" if vendor else _org(v, f"webhooks/{subscription.id}")


PAGES.update(
    {
        "webhooks": (lambda v: v.as_admin().get(_org(v, "webhooks")), 200),
        "webhooks, one": (lambda v: _webhook(v) and v.as_admin().get(_org(v, "webhooks")), 200),
        "add a webhook": (lambda v: v.as_admin().get(_org(v, "webhooks/new")), 200),
        "add a webhook, private address": (
            lambda v: v.as_admin().post_form(
                _org(v, "webhooks/new"),
                {"url": "http://10.0.0.7/haak", "events": ["membership.changed"]},
                page=_org(v, "webhooks/new"),
            ),
            400,
        ),
        "webhook": (lambda v: v.as_admin().get(_webhook(v)), 200),
        "webhooks of the vendor": (lambda v: _staff(v).get("/webhooks"), 200),
        "add a webhook of the vendor": (lambda v: _staff(v).get("/webhooks/new"), 200),
        "webhook of the vendor": (lambda v: _staff(v).get(_webhook(v, vendor=True)), 200),
    }
)
ROUTE_PAGES.update(
    {
        "/orgs/<org_id>/webhooks": "webhooks",
        "/orgs/<org_id>/webhooks/new": "add a webhook",
        "/orgs/<org_id>/webhooks/<subscription_id>": "webhook",
        "/webhooks": "webhooks of the vendor",
        "/webhooks/new": "add a webhook of the vendor",
        "/webhooks/<subscription_id>": "webhook of the vendor",
    }
)


def _new_request(v: Visit) -> str:
    """A request to join the administrator's organization that nobody decided yet (the visits share one world)."""
    from panda_portal.accounts.models import Account
    from panda_portal.organizations.models import Membership, Role

    requester = Account(name="Jan Peeters", email=f"jan.{uuid.uuid4().hex[:8]}@example.test", language=v.language)
    request = Membership(
        organization_id=v.world.organization.id,
        account=requester,
        role=Role.MEMBER,
        status=MembershipStatus.PENDING,
        requested_at=REQUESTED_AT,
    )
    v.db.session.add_all([requester, request])
    v.db.session.commit()
    return str(request.id)


def _pending_of_admin(v: Visit) -> str:
    from sqlalchemy import select

    from panda_portal.organizations.models import Membership

    return str(
        v.db.session.scalars(
            select(Membership.id).where(
                Membership.account_id == v.world.admin.id, Membership.status == MembershipStatus.PENDING
            )
        ).one()
    )


@pytest.fixture()
def visit(panda, panda_db, make_world, browser, monkeypatch):
    def make(language: str) -> Visit:
        world = make_world(language)
        return Visit(world, browser, language, monkeypatch, panda_db, panda)

    return make


def test_every_page_of_the_url_map_is_visited(panda):
    pages = {
        rule.rule
        for rule in panda.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.endswith("/<path:filename>")
        # The API answers programs (JSON, problem+json; its texts are tested in tests/portal/api).
        and not rule.rule.startswith("/api/")
    }
    assert pages - NOT_PAGES - set(ROUTE_PAGES) == set(), "visit these pages in PAGES and ROUTE_PAGES"
    assert set(ROUTE_PAGES) - pages == set(), "these routes no longer exist"
    assert set(ROUTE_PAGES.values()) <= set(PAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_page_is_entirely_in_the_chosen_language(visit, english_left, language, page):
    action, status = PAGES[page]
    response = action(visit(language))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert html_lang(html) == language
    assert english_left(page_text(html)) == []


def test_every_page_template_is_rendered_by_the_visits(panda, visit):
    page_templates = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "emails" not in path.parts and "{% extends" in path.read_text()
    } - {"layout.html"}
    rendered: set[str] = set()

    def note(sender, template, context, **extra):
        rendered.add(template.name)

    template_rendered.connect(note, panda)
    try:
        v = visit("nl")
        for action, _status in PAGES.values():
            action(v)
    finally:
        template_rendered.disconnect(note, panda)
    assert page_templates - rendered == set()


GLOSSARY_ON_PAGES = {
    # page: {language: words that must be on it}
    "home": {
        "nl": [
            "Wissel van organisatie",
            "Organisatie toevoegen",
            "Uw aanvragen tot toetreding",
            "Toegang tot applicatie",
        ],
        "fr": [
            "Changer d'organisation",
            "Ajouter une organisation",
            "Vos demandes d'adhésion",
            "Accès à l'application",
        ],
    },
    "add an organization": {
        "nl": ["Klantnummer", "Ondernemingsnummer", "aanvraag tot toetreding"],
        "fr": ["Numéro client", "Numéro d'entreprise", "demande d'adhésion"],
    },
    "members": {
        "nl": ["Beheerder uitnodigen", "Aanvragen tot toetreding", "Beheerder", "Lid"],
        "fr": ["Inviter un administrateur", "Demandes d'adhésion", "Administrateur", "Membre"],
    },
    "request to join": {
        "nl": ["Goedkeuren", "Weigeren", "Aanvraag goedkeuren", "Aanvraag weigeren"],
        "fr": ["Approuver", "Refuser", "Approuver la demande", "Refuser la demande"],
    },
    "member detail": {
        "nl": ["Toegang tot applicatie", "Support Community", "Boekhouding"],
        "fr": ["Accès à l'application", "Support Community", "Comptabilité"],
    },
    "organization home": {
        "nl": ["Klantnummer 100234", "Ondernemingsnummer"],
        "fr": ["Numéro client 100234", "Numéro d'entreprise"],
    },
    "approve a request": {
        "nl": ["is nu lid van Bakkerij Peeters BV", "‘Support Community’"],
        "fr": ["est maintenant membre de Bakkerij Peeters BV", "« Support Community »"],
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", sorted(GLOSSARY_ON_PAGES))
def test_pages_use_the_glossary_words(visit, language, page):
    action, _status = PAGES[page]
    text = page_text(action(visit(language)).get_data(as_text=True))
    for words in GLOSSARY_ON_PAGES[page][language]:
        assert words in text, f"{words!r} not on {page}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_application_names_are_shown_in_the_pages_language(visit, language):
    v = visit(language)
    client = v.as_admin()
    name = {"nl": "Boekhouding", "fr": "Comptabilité"}[language]
    description = {"nl": "Het hele jaar de boeken bijhouden.", "fr": "Tenir les livres toute l'année."}[language]
    for url in ("/", "/orgs", _org(v), _org(v, "members"), f"/invitations/{INVITATION_TOKEN}"):
        text = page_text(client.get(url).get_data(as_text=True))
        assert name in text, url
        assert "Bookkeeping" not in text, url
    detail = page_text(client.get(_org(v, f"members/{v.world.membership.id}")).get_data(as_text=True))
    assert name in detail and description in detail
    assert "Bookkeeping" not in detail and "Keep the books" not in detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_are_written_for_the_language_in_brussels_time(visit, language):
    v = visit(language)
    text = page_text(v.as_admin().get(_org(v, f"requests/{v.world.request.id}")).get_data(as_text=True))
    # 22:30 UTC on 14 July is 00:30 on 15 July in Brussels.
    expected = format_datetime(REQUESTED_AT, "medium", tzinfo=ZoneInfo("Europe/Brussels"), locale=language)
    assert "15" in expected and "00:30" in expected
    assert expected in text
    assert format_datetime(REQUESTED_AT, "medium", tzinfo=ZoneInfo("Europe/Brussels"), locale="en") not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_audit_log_speaks_the_readers_language(visit, language):
    v = visit(language)
    org_log = page_text(v.as_admin().get(_org(v, "audit")).get_data(as_text=True))
    own = page_text(v.as_admin().get("/account/activity").get_data(as_text=True))
    expected = {
        "nl": (
            [
                "Uitnodiging verstuurd",
                "Uitnodiging opnieuw verstuurd",
                "geldig tot",
                "toegang tot applicatie: – → Boekhouding, Support Community",
                "rol: – → beheerder",
            ],
            [
                "Account aangemaakt door een operator",
                "operator (opdrachtregel)",
                "e-mailadres bevestigd: – → ja",
                "supportmedewerker: – → nee",
                "taal: – → Nederlands",
            ],
        ),
        "fr": (
            [
                "Invitation envoyée",
                "Invitation renvoyée",
                "valable jusqu'au",
                "accès à l'application : – → Comptabilité, Support Community",
                "rôle : – → administrateur",
            ],
            [
                "Compte créé par un opérateur",
                "opérateur (ligne de commande)",
                "adresse e-mail confirmée : – → oui",
                "agent de support : – → non",
                "langue : – → Français",
            ],
        ),
    }[language]
    for words in expected[0]:
        assert words in org_log
    for words in expected[1]:
        assert words in own
    # Applications by their name, the new end of validity as a date written for the reader.
    assert "→ boekhouding" not in org_log and "support_community" not in org_log
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", org_log)


def test_the_same_pages_in_english_would_be_caught(visit, english_left):
    """The check above finds English when it is there (Griet reads the portal in English)."""
    v = visit("en")
    for page in ("home", "members", "request to join", "sign in"):
        action, _status = PAGES[page]
        html = action(v).get_data(as_text=True)
        assert html_lang(html) == "en"
        assert english_left(page_text(html)), page


@pytest.mark.parametrize("language", LANGUAGES)
def test_counts_are_written_with_the_languages_digit_grouping(panda, language):
    """An accountant with a thousand clients reads "1.234" in Dutch and "1 234" in French, not "1234"."""
    from types import SimpleNamespace

    from babel.numbers import format_decimal
    from flask import render_template

    from panda_portal.organizations.forms.switching import FavouriteForm

    result = SimpleNamespace(query="", total=1234, entries=[], page=3, pages=25)
    with panda.test_request_context("/orgs", headers={"Accept-Language": language}):
        text = page_text(
            render_template(
                "organizations/organizations.html",
                result=result,
                application_names={},
                filters={},
                role="",
                without="",
                sort="name",
                favourite_form=FavouriteForm(),
            )
        )
    grouped = " ".join(format_decimal(1234, locale=language).split())  # page_text makes every space plain
    assert grouped != "1234"
    assert {"nl": f"Uw {grouped} organisaties", "fr": f"Vos {grouped} organisations"}[language] in text
    assert "1234" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_librarys_own_messages_are_translated_too(visit, language):
    action, _status = PAGES["invite, nothing filled in"]
    text = page_text(action(visit(language)).get_data(as_text=True))
    assert {"nl": "Dit veld is vereist.", "fr": "Ce champ est requis."}[language] in text
    assert "This field is required" not in text and "Not a valid choice" not in text
